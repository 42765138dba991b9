import ArgumentParser
import Foundation
import KernelSim

extension Ksim {
  struct Differential: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check partial-order reduction against the plain search on generated scenarios.",
      discussion: """
        Each seed generates a small scenario (random locks, orders, flavours, interrupt sources, a \
        softirq); both searches must report the same findings, and the reduced search must store \
        the same states in the same order with the step memo as without it. A disagreement prints \
        the seed and the scenario and exits 1.
        """)

    @Option(parsing: .unconditional, help: "Number of generated scenarios.")
    var cases: Int = 2000

    @Option(parsing: .unconditional, help: "First seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("max-states"), parsing: .unconditional, help: "Skip a case whose plain search stores more states than this.")
    var maxStates: Int = 1_000_000

    func validate() throws {
      if cases < 1 { throw ValidationError("--cases must be ≥ 1") }
      if maxStates < 1 { throw ValidationError("--max-states must be ≥ 1") }
    }

    func run() throws {
      installInterruptHandler()
      let generator = ScenarioGenerator()
      var reduced = 0, full = 0, failures = 0, findings = 0, skipped = 0
      // Cases run whole (each is small); Ctrl-C stops before the next one.
      var done = 0
      for i in 0..<cases {
        if interruptFlag.isRaised { printErr("interrupted after \(i) cases"); break }
        done = i + 1
        let s = seed &+ UInt64(i)
        let text = generator.scenario(seed: s)
        let loaded = Frontend.load(text: text, path: "generated-\(s).ksim")
        guard let p = loaded.program, !loaded.diagnostics.contains(where: { $0.severity == .error }) else {
          print("seed \(s): does not compile\n\(text)")
          failures += 1
          continue
        }
        guard let o = DifferentialCheck().run(p, options: ExploreOptions(maxStates: maxStates)) else {
          skipped += 1
          continue
        }
        reduced += o.reduced.statistics.statesStored
        full += o.full.statistics.statesStored
        if !o.full.findings.isEmpty { findings += 1 }
        if !o.agree {
          failures += 1
          print("seed \(s): reduction and the plain search disagree")
          for d in o.differences { print("  \(d)") }
          print(text)
        }
        if isatty(2) != 0 && i % 50 == 49 {
          FileHandle.standardError.write(Data("\r\(i + 1)/\(cases) cases".utf8))
        }
      }
      if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      let ratio = reduced > 0 ? Double(full) / Double(reduced) : 0
      print("\(done) generated scenarios from seed \(seed): \(failures == 0 ? "all agree" : "\(failures) disagree")\(skipped > 0 ? " (\(skipped) skipped: over --max-states)" : ""); "
            + "\(findings) with findings; states \(reduced) with reduction, \(full) without (\(String(format: "%.2f", ratio))x)")
      if failures > 0 { throw ExitCode(1) }
      if interruptFlag.isRaised { throw Status.interrupted }
    }
  }
}
