import ArgumentParser
import Foundation
import KernelSim

extension Ksim {
  struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Explore every interleaving within the bounds and report actual deadlocks, hangs and bugs.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Argument(help: "Scenario files (.ksim).")
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(name: .customLong("trace-out"), help: "Write each finding's witness as a trace file into this directory.")
    var traceOut: String?

    @Option(name: .customLong("irq-bound"), parsing: .unconditional, help: "Firings per interrupt source (overrides each source's 'fires N'; default: the scenario's, else 1).")
    var irqBound: Int?

    @Option(name: .customLong("max-states"), parsing: .unconditional, help: "Stop after storing this many states (the verdict is then INCOMPLETE).")
    var maxStates: Int = 5_000_000

    @Option(name: .customLong("max-memory"), parsing: .unconditional, help: "Stop when ksim's resident memory exceeds this many MiB (the verdict is then INCOMPLETE).")
    var maxMemory: Int?

    @Option(name: .customLong("preemptions"), parsing: .unconditional, help: "Preemptions the explorer may inject (default: the scenario's 'preemptions N;', else 0).")
    var preemptions: Int?

    @Flag(name: .customLong("no-reduction"), help: "The plain exhaustive search, without partial-order reduction (the reference: same findings, more states).")
    var noReduction = false

    @Flag(help: "Print only the verdict table (one line per scenario).")
    var summary = false

    @Flag(help: "Include wall-clock time (output is then no longer byte-identical across runs).")
    var timing = false

    func validate() throws {
      if let b = irqBound, b < 0 { throw ValidationError("--irq-bound must be ≥ 0") }
      if let n = preemptions, n < 0 { throw ValidationError("--preemptions must be ≥ 0") }
      if maxStates < 1 { throw ValidationError("--max-states must be ≥ 1") }
      if let m = maxMemory, m < 1 || m > 1 << 30 { throw ValidationError("--max-memory must be between 1 and 1073741824 (MiB)") }
    }

    func run() throws {
      installInterruptHandler()
      let (programs, failed) = loadScenarios(files)
      var options = ExploreOptions(irqBound: irqBound, maxStates: maxStates, preemptions: preemptions, reduction: !noReduction)
      options.maxMemory = maxMemory.map { $0 << 20 }
      var results: [ExplorationResult] = []
      var mismatch = false, undecided = 0, stoppedEarly = 0
      let width = programs.map { $0.name.count }.max() ?? 0
      for (i, p) in programs.enumerated() {
        let r = Explorer(program: p, options: options).run(progress: progressReporter(p.name), stop: interruptFlag)
        endProgress()
        results.append(r)
        let v = Verdict(r)
        if v.fails { mismatch = true }
        if v.undecided || (v.expected == nil && !r.statistics.complete) { undecided += 1 }
        if !r.statistics.complete { stoppedEarly += 1 }
        if format == .text {
          if summary { print(TextReport.verdictLine(r, nameWidth: width, timing: timing)) } else {
            print(TextReport.exploration(r, timing: timing))
          }
        }
        if let dir = traceOut { try writeTraces(r, to: dir, options: options) }
        if interruptFlag.isRaised {
          let skipped = programs[(i + 1)...].map(\.path)
          printErr("interrupted: the results above are incomplete" + (skipped.isEmpty ? "" : "; not explored: " + skipped.joined(separator: ", ")))
          break
        }
      }
      if format == .json { print(JSONReport.exploration(results), terminator: "") }
      if format == .text && summary {
        let ok = results.filter { Verdict($0).matches == true }.count
        print("\(results.count) scenario\(results.count == 1 ? "" : "s") explored, \(ok) as expected"
              + (stoppedEarly > 0 ? ", \(stoppedEarly) stopped early" : "") + (failed ? ", some files did not load" : ""))
      }
      if failed { throw Status.badInput }
      if mismatch { throw Status.mismatch }
      if interruptFlag.isRaised { throw Status.interrupted }
      if undecided > 0 { throw Status.incomplete }
    }

    func writeTraces(_ r: ExplorationResult, to dir: String, options: ExploreOptions) throws {
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      let machine = Machine(program: r.program, options: options)
      for (i, f) in r.findings.enumerated() {
        guard case .success(let t) = TimelineBuilder(machine: machine).build(f.witness.map { ($0, nil) }) else { continue }
        let path = "\(dir)/\(r.program.name).\(f.kind.rawValue.lowercased())\(i + 1).trace"
        try TraceText.render(t, options: options).write(toFile: path, atomically: true, encoding: .utf8)
        if format == .text && !summary { print("wrote \(path)") }
      }
    }
  }
}
