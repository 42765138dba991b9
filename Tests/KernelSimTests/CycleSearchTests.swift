import Testing
@testable import KernelSim

/// `Machine.findCycle` skips the search where a cycle is impossible (`anyoneBlocked`,
/// `mayHaveCycle`). On random walks through generated scenarios, it must find exactly what
/// the search finds on its own, in every state.
@Suite struct CycleSearchTests {
  @Test func preChecksNeverHideACycle() {
    let generator = ScenarioGenerator()
    var random = TestRandom(seed: 11)
    var states = 0, cycles = 0
    for seed in UInt64(1)...150 {
      guard let p = Frontend.load(text: generator.scenario(seed: seed), path: "g.ksim").program else { continue }
      let m = Machine(program: p)
      var scratch = Machine.CycleScratch()
      for _ in 0..<8 {
        var s = m.initialState()
        var log: EventLog? = nil
        for _ in 0..<300 {
          let choices = m.enabledChoices(s)
          if choices.isEmpty { break }
          if m.step(&s, choices[random.next(choices.count)], log: &log) != nil { break }
          states += 1
          let fast = m.findCycle(s, scratch: &scratch)
          let full = m.searchCycle(s, scratch: &scratch)
          #expect(fast == full, "seed \(seed): pre-checked \(String(describing: fast)), searched \(String(describing: full))")
          if full != nil { cycles += 1; break }
        }
      }
    }
    // The walks must reach deadlocks for the comparison to mean something.
    #expect(cycles > 50, "walks reached \(cycles) cycles in \(states) states")
  }

  /// The same along the witnesses of seed scenarios' deadlocks, whose waits the generated
  /// ones lack: sleeping locks (mutex, rwsem, percpu-rwsem) and flush_work's wait for a
  /// worker, next to spinlocks and interrupted contexts. Every state of every witness is
  /// compared, and each witness must end in a cycle both find.
  @Test func preChecksFindTheCyclesOfSeedWitnesses() throws {
    var reasons = Set<String>()
    for name in ["flush_work_under_mutex", "mutex_abba_one_cpu", "rwsem_reader_behind_writer", "netfs_freeze_self",
                 "aio_fuse_softirq_aa", "klist_hardirq"] {
      let path = repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path
      let p = try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
      let explorer = Explorer(program: p)
      let deadlocks = explorer.run().findings.filter { $0.kind == .deadlock }
      #expect(!deadlocks.isEmpty, "\(name) has no deadlock to replay")
      let m = explorer.machine
      var scratch = Machine.CycleScratch()
      for finding in deadlocks {
        var s = m.initialState()
        var log: EventLog? = nil
        var last: [WaitEdge]? = nil
        for choice in finding.witness {
          #expect(m.step(&s, choice, log: &log) == nil)
          let fast = m.findCycle(s, scratch: &scratch)
          last = m.searchCycle(s, scratch: &scratch)
          #expect(fast == last, "\(name): pre-checked \(String(describing: fast)), searched \(String(describing: last))")
        }
        let cycle = try #require(last, "\(name): the witness does not end in a cycle")
        for e in cycle { reasons.insert("\(e.reason)".components(separatedBy: "(").first!) }
      }
    }
    #expect(reasons.isSuperset(of: ["spinsOn", "sleepsOn", "completion", "interruptedBy"]), "\(reasons)")
  }
}
