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

  /// The smallest members of each benchmark family (make bench runs them all, in release).
  static let benchFiles = ["spin_ring_2_buggy", "spin_ring_2_fixed", "spin_ring_3_buggy", "spin_ring_3_fixed",
                           "mutex_ring_2_buggy", "mutex_ring_2_fixed", "mutex_ring_3_buggy", "mutex_ring_3_fixed",
                           "rcu_ring_2_buggy", "rcu_ring_2_fixed", "rcu_ring_3_buggy", "rcu_ring_3_fixed"]
    .map { "Scenarios/bench/\($0).ksim" }

  @Test(arguments: ScenarioTests.benchFiles)
  func benchFamilyExpectationHolds(_ file: String) throws {
    let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent(file).path).program)
    let r = Explorer(program: p).run()
    #expect(r.statistics.complete && Verdict(r).matches == true, "\(file): \(Verdict(r).outcome.rawValue)")
  }

  /// Scenarios/prelude and Scenarios/common are libraries of kernel paths that scenarios
  /// include (common files may declare the tasks their scenarios share): no scenario line, CPU
  /// count or expect line of their own, since a verdict belongs to the scenario that includes
  /// them. Every benchmark file states its verdict.
  @Test func librariesDeclareNoScenarioAndBenchFilesExpectAVerdict() throws {
    for folder in ["Scenarios/prelude", "Scenarios/common"] {
      let dir = repositoryRoot.appendingPathComponent(folder)
      for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".ksim") {
        let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        let heads = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for keyword in ["scenario ", "cpus ", "expect "] {
          #expect(!heads.contains { $0.hasPrefix(keyword) }, "\(folder)/\(name) declares '\(keyword)'")
        }
      }
    }
    let bench = repositoryRoot.appendingPathComponent("Scenarios/bench")
    for name in try FileManager.default.contentsOfDirectory(atPath: bench.path) where name.hasSuffix(".ksim") {
      let p = try #require(Frontend.load(path: bench.appendingPathComponent(name).path).program, "\(name)")
      #expect(p.expectation != nil, "Scenarios/bench/\(name) has no expect line")
    }
  }

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
    if let check = ScenarioTests.seedFacts[p.name] { check(r) }
    if e.outcome == .deadlock {
      // Every deadlock witness replays to the same cycle.
      for d in r.deadlocks {
        let t = try TimelineBuilder(machine: Machine(program: p)).build(d.witness.map { ($0, Int?.none) }).get()
        guard case .deadlock(let cycle, _) = t.end else { Issue.record("\(file): witness does not end in a deadlock"); continue }
        #expect(cycle == d.cycle)
      }
    }
  }

  /// What each seed scenario must show beyond its expect line: the participants and the
  /// deadlocks a fix removes.
  static let seedFacts: [String: @Sendable (ExplorationResult) -> Void] = [
    "srcu_rq_lock": { r in
      let names = r.deadlocks.map { $0.locks.map { r.program.locks[$0].name } }
      #expect(names.contains(["runqueues[0].__lock"]), "the self-deadlock on cpu0's rq lock")
      #expect(r.deadlocks.contains { $0.cycle.count == 1 }, "a one-context cycle (AA)")
      #expect(r.deadlocks.contains { $0.cycle.count == 2 }, "a two-CPU ABBA")
    },
    "srcu_rq_lock_delay_fix": { r in
      #expect(r.deadlocks.count == 1, "only the ABBA remains")
      #expect(!r.deadlocks.contains { $0.cycle.count == 1 }, "the self-deadlock is gone")
    },
    "aio_fuse_softirq_aa": { r in
      let sig = r.deadlocks.first?.signature ?? ""
      #expect(sig.contains("softirq RCU_SOFTIRQ on cpu0"), "\(sig)")
      #expect(sig.contains("task fuse_daemon interrupted"), "\(sig)")
    },
    "aio_fuse_worker_abba": { r in
      #expect(r.deadlocks.contains { $0.signature.contains("kworker/1") && $0.signature.contains("softirq RCU_SOFTIRQ") })
    },
    "mutex_under_spinlock": { r in
      #expect(r.bugs.map { $0.bug?.kind } == [.sleepInAtomic])
      #expect(r.bugs.first?.bug?.chain == ["t", "update_stats", "mutex_lock"])
    },
    "mutex_unlock_other_task": { r in
      #expect(r.bugs.allSatisfy { $0.bug?.kind == .unlockNotHeld }, "\(r.bugs.map { $0.bug?.message ?? "" })")
      #expect(r.bugs.contains { $0.bug?.message.contains("task other") == true })
    },
    "wait_event_lost_wakeup": { r in
      #expect(r.hangs.count == 1 && r.deadlocks.isEmpty)
      #expect(r.hangs.first?.signature.contains("task waiter sleeps") == true)
    },
    "klist_irqsave_add_tail": { r in
      let m = Machine(program: r.program)
      guard let d = r.deadlocks.first,
            case .success(let t) = TimelineBuilder(machine: m).build(d.witness.map { ($0, Int?.none) }) else { return }
      let holds = t.steps.last?.snapshot.cpus[0].contexts.flatMap(\.holds) ?? []
      #expect(holds.contains { $0.chain.contains("klist_del") }, "the remaining AA goes through klist_del")
    },
  ]

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
