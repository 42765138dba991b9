import ArgumentParser
import Foundation
import KernelSim

/// `ksim`: explore kernel locking scenarios for actual deadlocks.
@main
struct Ksim: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ksim",
    abstract: "A deterministic kernel-concurrency simulator: is a lockdep splat a real deadlock?",
    discussion: """
      Exit status: 0 when results are as the scenarios expect, 1 when a result contradicts a \
      scenario's expect line, 2 for bad input or usage, 3 when a run stopped at --max-states or \
      --max-memory before its verdict, 130 when interrupted (Ctrl-C).
      """,
    subcommands: [Check.self, Explore.self, Replay.self, Watch.self, Bench.self, Differential.self])

  /// ArgumentParser's `main`, but a bad command line exits 2 as documented (DESIGN §7), not
  /// with the parser's EX_USAGE (64).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if exitCode(for: error) == .validationFailure {
        printErr(fullMessage(for: error))
        Foundation.exit(Status.badInput.rawValue)
      }
      exit(withError: error)
    }
  }
}

/// Exit statuses (DESIGN §7, with 3 and 130 added: a run stopped early neither matches nor
/// contradicts its expect line, and scripts need to tell it from both).
enum Status {
  static let mismatch = ExitCode(1)
  static let badInput = ExitCode(2)
  /// A run stopped at a limit (`--max-states`, `--max-memory`) before its verdict.
  static let incomplete = ExitCode(3)
  /// Ctrl-C: 128 + SIGINT, as a shell reports a process the signal ended.
  static let interrupted = ExitCode(130)
}

/// Prints diagnostics to stderr; returns the programs of the files that loaded without errors.
func loadScenarios(_ paths: [String]) -> (programs: [Program], failed: Bool) {
  var programs: [Program] = []
  var failed = false
  for path in paths {
    let loaded = Frontend.load(path: path)
    for d in loaded.diagnostics { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
    if let p = loaded.program, !loaded.hasErrors { programs.append(p) } else { failed = true }
  }
  return (programs, failed)
}

func printErr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Reads and replays trace `path` against `program`; prints located errors and throws on bad
/// input (an unreadable file, a bad line, a choice that is not enabled where it is used).
func replayTrace(_ path: String, program: Program, irqBound: Int?) throws -> Timeline {
  guard let data = FileManager.default.contents(atPath: path) else {
    printErr("\(path): error: cannot read trace file")
    throw Status.badInput
  }
  let parsed: TraceText.Parsed
  switch TraceText.parse(String(decoding: data, as: UTF8.self), path: path, program: program) {
  case .success(let p): parsed = p
  case .failure(let e): printErr(e.description); throw Status.badInput
  }
  let machine = Machine(program: program, irqBound: irqBound ?? parsed.irqBound, preemptions: parsed.preemptions)
  switch TimelineBuilder(machine: machine).build(parsed.choices.map { ($0.choice, $0.line) }) {
  case .success(let t): return t
  case .failure(let e):
    printErr("\(path):\(e.line ?? 0): error: step \(e.stepIndex): '\(e.choice)' is not enabled here; enabled: \(e.enabled.isEmpty ? "nothing (the run has ended)" : e.enabled.joined(separator: ", "))")
    throw Status.badInput
  }
}
