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

  /// The same on seed scenarios, whose waits the generated ones lack: sleeping locks
  /// (rwsem, percpu-rwsem, mutex), grace periods, flush_work's wait for a worker.
  @Test(arguments: ["netfs_four_tasks", "netfs_freeze_self", "rwsem_reader_behind_writer", "flush_work_under_mutex",
                    "mutex_abba_one_cpu", "srcu_rq_lock", "aio_fuse_worker_abba"])
  func preChecksNeverHideACycleInSeeds(_ name: String) throws {
    let path = repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path
    let p = try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
    let m = Machine(program: p)
    var scratch = Machine.CycleScratch()
    var random = TestRandom(seed: 5)
    var waiting = 0
    for _ in 0..<40 {
      var s = m.initialState()
      var log: EventLog? = nil
      for _ in 0..<400 {
        let choices = m.enabledChoices(s)
        if choices.isEmpty { break }
        if m.step(&s, choices[random.next(choices.count)], log: &log) != nil { break }
        if m.anyoneBlocked(s) { waiting += 1 }
        let fast = m.findCycle(s, scratch: &scratch)
        let full = m.searchCycle(s, scratch: &scratch)
        #expect(fast == full, "\(name): pre-checked \(String(describing: fast)), searched \(String(describing: full))")
        if full != nil { break }
      }
    }
    #expect(waiting > 0, "the walks never reached a state where anyone waits")
  }
}
