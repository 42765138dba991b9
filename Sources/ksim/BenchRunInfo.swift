import Foundation

/// What a benchmark run was measured on, written with its results (`ksim bench --json-out`) so
/// that two result files can be compared knowing whether they are comparable: when, on which
/// processor and how many, with which build, and under what name (`--label`; `make bench`
/// passes the git commit).
struct BenchRunInfo {
  var label: String?
  var maxStates: Int
  var maxMemoryMiB: Int?

  /// "release" or "debug": the targets are for release builds, and a debug build is some
  /// ten times slower.
  static var build: String {
    #if DEBUG
    return "debug"
    #else
    return "release"
    #endif
  }

  /// The processor's model name (`/proc/cpuinfo`), or nil where it cannot be read.
  static var processor: String? {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return nil }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }

  var json: [String: Any] {
    let date = ISO8601DateFormatter().string(from: Date())
    var machine: [String: Any] = [
      "cpus": ProcessInfo.processInfo.activeProcessorCount,
      "memoryBytes": ProcessInfo.processInfo.physicalMemory,
    ]
    if let p = BenchRunInfo.processor { machine["processor"] = p }
    var run: [String: Any] = ["date": date, "build": BenchRunInfo.build, "machine": machine, "maxStates": maxStates]
    if let label { run["label"] = label }
    if let maxMemoryMiB { run["maxMemoryMiB"] = maxMemoryMiB }
    return run
  }
}
