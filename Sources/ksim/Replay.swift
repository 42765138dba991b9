import ArgumentParser
import Foundation
import KernelSim

extension Ksim {
  struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Replay a trace step by step as a text timeline (step, CPU, context, operation, outcome, call chain).")

    @Argument(help: "The scenario file (.ksim).")
    var file: String

    @Option(help: "The trace file to replay (from explore --trace-out, or written by hand).")
    var trace: String

    @Option(name: .customLong("irq-bound"), parsing: .unconditional, help: "Firings per interrupt source (default: the trace header's, else the scenario's).")
    var irqBound: Int?

    func validate() throws {
      if let b = irqBound, b < 0 { throw ValidationError("--irq-bound must be ≥ 0") }
    }

    func run() throws {
      let (programs, failed) = loadScenarios([file])
      guard !failed, let program = programs.first else { throw Status.badInput }
      print(TextReport.timeline(try replayTrace(trace, program: program, irqBound: irqBound)), terminator: "")
    }
  }
}
