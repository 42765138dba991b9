import Foundation
import Testing
@testable import KernelSim

/// Every scenario in Scenarios/ checks cleanly and its `expect` line holds, by running the
/// explorer over the modelled paths.
@Suite struct ScenarioTests {
  static let files: [String] = {
    let dir = repositoryRoot.appendingPathComponent("Scenarios")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".ksim") }.sorted().map { "Scenarios/\($0)" }
  }()

  @Test func thereAreScenarios() {
    #expect(ScenarioTests.files.count >= 4)
  }

  @Test(arguments: ScenarioTests.files)
  func expectationHolds(_ file: String) throws {
    let loaded = Frontend.load(path: repositoryRoot.appendingPathComponent(file).path)
    #expect(!loaded.hasErrors, "\(loaded.diagnostics.map(\.description))")
    let p = try #require(loaded.program)
    let e = try #require(p.expectation, "\(file) has no expect line")
    let r = Explorer(program: p).run()
    let v = Verdict(r)
    #expect(r.statistics.complete, "\(file): exploration incomplete")
    #expect(v.matches == true, "\(file): expected \(v.expected ?? "?"), got \(v.outcome.rawValue)")
    if e.outcome == .deadlock {
      // Every deadlock witness replays to the same cycle.
      for d in r.deadlocks {
        let t = try TimelineBuilder(machine: Machine(program: p)).build(d.witness.map { ($0, Int?.none) }).get()
        guard case .deadlock(let cycle, _) = t.end else { Issue.record("\(file): witness does not end in a deadlock"); continue }
        #expect(cycle == d.cycle)
      }
    }
  }

  @Test func klistSeedVerdictsAreTheExpectedOnes() throws {
    // Pin the seed verdicts themselves (not only "matches its own expect line").
    let expected: [String: Verdict.Outcome] = [
      "klist_hardirq": .deadlock, "klist_lockdep_pair": .noDeadlock,
      "klist_irqsave_add_tail": .deadlock, "klist_no_walk_in_hardirq": .noDeadlock,
    ]
    for (name, outcome) in expected {
      let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path).program)
      #expect(Verdict(Explorer(program: p).run()).outcome == outcome, "\(name)")
    }
  }
}
