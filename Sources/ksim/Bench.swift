import ArgumentParser
import Foundation
import KernelSim

extension Ksim {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure explorations: states stored, transitions, states per second, peak memory, bytes per state.",
      discussion: "Use a release build (make bench). Results also go to --json-out for comparing runs.")

    @Argument(help: "Scenario files (.ksim).")
    var files: [String]

    @Option(name: .customLong("json-out"), help: "Write the results as JSON here.")
    var jsonOut: String?

    @Option(name: .customLong("max-states"), help: "Stop a scenario after this many stored states.")
    var maxStates: Int = 20_000_000

    func run() throws {
      installInterruptHandler()
      let (programs, failed) = loadScenarios(files)
      let width = max(8, programs.map { $0.name.count }.max() ?? 0)
      print("scenario".padding(toLength: width, withPad: " ", startingAt: 0)
            + "  verdict      states      transitions  states/s    peak MiB  bytes/state  reduction")
      var rows: [[String: Any]] = []
      for p in programs {
        let r = Explorer(program: p, options: ExploreOptions(maxStates: maxStates)).run(progress: progressReporter(p.name), stop: interruptFlag)
        endProgress()
        let s = r.statistics
        let v = Verdict(r)
        let bytesPerState = s.statesStored > 0 ? s.peakMemory / s.statesStored : 0
        print(p.name.padding(toLength: width, withPad: " ", startingAt: 0)
              + "  " + v.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
              + String(format: "%10d  %13d  %10.0f  %8d  %11d  %@", s.statesStored, s.transitions, s.statesPerSecond,
                       s.peakMemory >> 20, bytesPerState, "none (not implemented)"))
        rows.append([
          "scenario": p.name, "verdict": v.outcome.rawValue, "matches": v.matches as Any, "states": s.statesStored,
          "transitions": s.transitions, "seconds": s.seconds, "statesPerSecond": s.statesPerSecond,
          "peakMemoryBytes": s.peakMemory, "bytesPerState": bytesPerState, "complete": s.complete,
          "reduction": NSNull(),
        ])
        if interruptFlag.isRaised { break }
      }
      if let jsonOut {
        let dir = (jsonOut as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let data = try JSONSerialization.data(withJSONObject: ["results": rows], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: jsonOut))
        print("wrote \(jsonOut)")
      }
      if failed { throw Status.badInput }
    }
  }
}
