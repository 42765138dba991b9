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

    @Option(name: .customLong("irq-bound"), help: "Firings per interrupt source (default: the trace header's, else the scenario's).")
    var irqBound: Int?

    func run() throws {
      let (programs, failed) = loadScenarios([file])
      guard !failed, let program = programs.first else { throw Status.badInput }
      guard let data = FileManager.default.contents(atPath: trace) else {
        printErr("\(trace): error: cannot read trace file")
        throw Status.badInput
      }
      let parsed: TraceText.Parsed
      switch TraceText.parse(String(decoding: data, as: UTF8.self), path: trace, program: program) {
      case .success(let p): parsed = p
      case .failure(let e): printErr(e.description); throw Status.badInput
      }
      let machine = Machine(program: program, irqBound: irqBound ?? parsed.irqBound)
      switch TimelineBuilder(machine: machine).build(parsed.choices.map { ($0.choice, $0.line) }) {
      case .success(let t):
        print(TextReport.timeline(t), terminator: "")
      case .failure(let e):
        printErr("\(trace):\(e.line ?? 0): error: step \(e.stepIndex): '\(e.choice)' is not enabled here; enabled: \(e.enabled.isEmpty ? "nothing (the run has ended)" : e.enabled.joined(separator: ", "))")
        throw Status.badInput
      }
    }
  }
}
