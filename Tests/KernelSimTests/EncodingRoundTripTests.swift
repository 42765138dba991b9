import Foundation
import Testing
@testable import KernelSim

/// The explorer stores states only as encodings and expands frontier states from either the
/// value it computed or the decoding of its key (`Explorer.heldStates`). Both must be the same
/// state: decoding a key and encoding the result again must give the same key, and without
/// dead-local elimination the decoded state must equal the original. Checked along seeded
/// random walks to the end of scenarios that use the whole prelude (sleeping locks, workqueues,
/// SRCU, RCU callbacks, irq_work, preemption; the RCU ring for `spin_lock_bh`), so that deep
/// states with unusual fields (a bh count, an RCU nesting depth, a task queued on a lock) are
/// met.
///
/// The same holds for the visited set's collapsed form (`VisitedSet`: a state as the ids of its
/// parts): decoding gives the state back, and keying a state from its parent's parts (as the
/// explorer does) gives the same key as encoding every part.
@Suite struct EncodingRoundTripTests {
  static let seeds = ["srcu_rq_lock_irq_work_fix", "netfs_four_tasks", "aio_fuse_worker_abba", "aio_fuse_softirq_aa",
                      "flush_work_under_mutex", "klist_irqsave_add_tail", "rwsem_reader_behind_writer",
                      "bench/rcu_ring_3_fixed"]

  @Test(arguments: seeds) func decodingGivesTheStateBack(_ name: String) throws {
    let path = repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path
    let loaded = Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path)
    let p = try #require(loaded.program)
    let machine = Machine(program: p)
    let live = LocalLiveness(program: p)
    let initial = machine.initialState()
    var random = TestRandom(seed: 0x2545_F491_4F6C_DD1D)
    var checked = 0
    var exact = VisitedSet(baseline: initial)
    var elided = VisitedSet(baseline: initial, live: live)
    for _ in 0..<40 {
      var s = initial
      var before: (state: MachineState, exact: Int32, elided: Int32)? = nil
      for _ in 0..<400 {
        let full = exact.key(s)
        if let before {
          #expect(exact.key(s, from: (before.state, exact.parts(before.exact))) == full, "\(name): keyed from the parent differently")
          #expect(elided.key(s, from: (before.state, elided.parts(before.elided))) == elided.key(s))
          // From the parent as decoded (dead locals zeroed), as the explorer keys once its
          // frontier outgrows the states it holds as values.
          #expect(elided.key(s, from: (elided.state(before.elided), elided.parts(before.elided))) == elided.key(s))
          // With the parent's baseline marks, as the explorer keys (`markBaselineTasks`): from
          // the parent held as a value and from it decoded.
          var marked = elided.parts(before.elided)
          elided.markBaselineTasks(before.state, in: &marked)
          #expect(marked.baselineKnown)
          #expect(elided.key(s, from: before.state, parts: marked) == elided.key(s), "\(name): keyed with the marks differently")
          let decoded = elided.state(before.elided)
          var markedDecoded = elided.parts(before.elided)
          elided.markBaselineTasks(decoded, in: &markedDecoded)
          #expect(elided.key(s, from: decoded, parts: markedDecoded) == elided.key(s))
        }
        let id = exact.insert(full).id
        #expect(exact.state(id) == s, "\(name): a stored state decoded differently")
        let liveKey = elided.key(s)
        let liveId = elided.insert(liveKey).id
        #expect(elided.key(elided.state(liveId)) == liveKey)
        before = (s, id, liveId)
        let plain = StateKey(s, baseline: initial)
        let back = plain.state(baseline: initial)
        #expect(back == s, "\(name): a state decoded differently")
        #expect(StateKey(back, baseline: initial) == plain)
        let key = StateKey(s, baseline: initial, live: live)
        #expect(StateKey(key.state(baseline: initial), baseline: initial, live: live) == key)
        checked += 1
        let choices = machine.enabledChoices(s)
        if choices.isEmpty { break }
        var log: EventLog? = nil
        if machine.step(&s, choices[random.next(choices.count)], log: &log) != nil { break }
      }
    }
    #expect(checked > 40 * 5)
  }
}
