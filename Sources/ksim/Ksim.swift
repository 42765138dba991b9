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
      Exit status: 0 when results are as the scenarios expect, 1 when a result contradicts a
      scenario's expect line, 2 for bad input or usage.
      """,
    subcommands: [Check.self, Explore.self, Replay.self, Watch.self, Bench.self])
}

/// Exit statuses (DESIGN §7).
enum Status {
  static let mismatch = ExitCode(1)
  static let badInput = ExitCode(2)
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
