import Testing
@testable import KernelSim

/// The step memo (`StepMemo`) lets the explorer skip steps whose outcome it has seen from the
/// same parts. It must never change what the search finds or stores: every remembered step,
/// run for real, must give the successor the memo predicted, and a search with the memo must
/// equal one without it.
@Suite struct StepMemoTests {
  static let seeds: [(name: String, maxStates: Int)] = [
    ("netfs_four_tasks", 15_000), ("srcu_rq_lock_irq_work_fix", 15_000), ("aio_fuse_worker_abba", 15_000),
    ("flush_work_under_mutex", 5_000), ("rwsem_reader_behind_writer", 5_000), ("wait_event_lost_wakeup", 5_000),
    ("klist_hardirq", 5_000), ("netfs_freeze_self", 15_000), ("bench/mutex_ring_3_buggy", 5_000),
    ("bench/rcu_ring_3_fixed", 15_000), ("bench/spin_ring_4_buggy", 5_000),
  ]

  static func load(_ name: String) throws -> Program {
    let path = repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path
    return try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
  }

  static func run(_ p: Program, maxStates: Int, memo: Bool = true, verify: Bool = false, reduction: Bool = true,
                  heldStates: Int = Explorer.heldStates) -> ExplorationResult {
    var o = ExploreOptions(maxStates: maxStates, reduction: reduction)
    o.stepMemo = memo
    o.verifyStepMemo = verify
    o.heldStates = heldStates
    return Explorer(program: p, options: o).run()
  }

  /// Every step the memo answers for is run anyway and keyed: same key, every time.
  @Test(arguments: seeds.map(\.name))
  func rememberedStepsAreTheStepsThemselves(_ name: String) throws {
    let p = try Self.load(name)
    let limit = Self.seeds.first { $0.name == name }!.maxStates
    let r = Self.run(p, maxStates: limit, verify: true)
    #expect(r.statistics.memoChecks > 0, "\(name): the memo answered for no step")
    #expect(r.statistics.memoMismatches == 0, "\(name): \(r.statistics.memoMismatches) of \(r.statistics.memoChecks) remembered steps differ")
  }

  /// With and without the memo: the same states, transitions and findings, witnesses included.
  @Test(arguments: seeds.map(\.name))
  func theMemoChangesNoResult(_ name: String) throws {
    let p = try Self.load(name)
    let limit = Self.seeds.first { $0.name == name }!.maxStates
    let with = Self.run(p, maxStates: limit)
    let without = Self.run(p, maxStates: limit, memo: false)
    #expect(with.statistics.statesStored == without.statistics.statesStored)
    #expect(with.statistics.storedDigest == without.statistics.storedDigest, "other states or another order")
    #expect(with.statistics.transitions == without.statistics.transitions)
    #expect(with.findings.map(\.signature) == without.findings.map(\.signature))
    #expect(with.findings.map(\.witness) == without.findings.map(\.witness))
    #expect(without.statistics.memoizedSteps == 0)
  }

  /// Beyond the states held as values, a new state the memo predicts is stored without being
  /// built when no context of it waits (no cycle to look for). With none held, every such
  /// state takes that path: still the same states, transitions and findings as without the
  /// memo (a wrong "nothing waits" would lose the deadlocks of the buggy families).
  @Test(arguments: seeds.map(\.name))
  func statesStoredUnbuiltChangeNoResult(_ name: String) throws {
    let p = try Self.load(name)
    let limit = Self.seeds.first { $0.name == name }!.maxStates
    let unbuilt = Self.run(p, maxStates: limit, heldStates: 0)
    let without = Self.run(p, maxStates: limit, memo: false)
    #expect(unbuilt.statistics.storedDigest == without.statistics.storedDigest, "other states or another order")
    #expect(unbuilt.statistics.transitions == without.statistics.transitions)
    #expect(unbuilt.findings.map(\.signature) == without.findings.map(\.signature))
    #expect(unbuilt.findings.map(\.witness) == without.findings.map(\.witness))
  }

  /// The memo does its job where it should: on netfs_four_tasks' first states, more than one
  /// transition in ten comes from it (over the whole search, a third).
  @Test func theMemoAnswersForStepsOnTheSeeds() throws {
    let r = Self.run(try Self.load("netfs_four_tasks"), maxStates: 15_000)
    #expect(r.statistics.memoizedSteps * 10 > r.statistics.transitions,
            "\(r.statistics.memoizedSteps) of \(r.statistics.transitions) transitions from the memo")
  }

  /// Generated scenarios (spinlocks, rwlocks, irq variants, interrupt sources), with and
  /// without reduction: every remembered step checked, and the same results without the memo.
  @Test func generatedScenariosAgree() {
    let generator = ScenarioGenerator()
    var checks = 0
    for seed in UInt64(1)...40 {
      guard let p = Frontend.load(text: generator.scenario(seed: seed), path: "g.ksim").program else { continue }
      for reduction in [true, false] {
        let verified = Self.run(p, maxStates: 10_000, verify: true, reduction: reduction)
        checks += verified.statistics.memoChecks
        #expect(verified.statistics.memoMismatches == 0, "seed \(seed)")
        let with = Self.run(p, maxStates: 10_000, reduction: reduction)
        let unbuilt = Self.run(p, maxStates: 10_000, reduction: reduction, heldStates: 0)
        let without = Self.run(p, maxStates: 10_000, memo: false, reduction: reduction)
        #expect(with.statistics.storedDigest == without.statistics.storedDigest, "seed \(seed)")
        #expect(with.findings.map(\.signature) == without.findings.map(\.signature), "seed \(seed)")
        #expect(unbuilt.statistics.storedDigest == without.statistics.storedDigest, "seed \(seed), none held")
        #expect(unbuilt.findings.map(\.signature) == without.findings.map(\.signature), "seed \(seed), none held")
      }
    }
    #expect(checks > 1_000, "only \(checks) remembered steps checked")
  }

  /// qrwlock fairness: a process-context `read_lock()` waits behind a writer spinning on another
  /// CPU, which no part of the reader's own keys shows. Remembering it would let the reader in
  /// from a state with the writer waiting (the case `readsOtherContexts` excludes).
  @Test func aReaderBehindAWaitingWriterIsNotRemembered() throws {
    let p = try #require(program("""
      cpus 3;
      rwlock_t rw;
      task r0 on cpu0 { read_lock(&rw); read_unlock(&rw); }
      task w on cpu1 { write_lock(&rw); write_unlock(&rw); }
      task r2 on cpu2 { read_lock(&rw); read_unlock(&rw); }
      expect no deadlock;
      """))
    for reduction in [true, false] {
      let r = Self.run(p, maxStates: 10_000, verify: true, reduction: reduction)
      #expect(r.statistics.memoChecks > 0)
      #expect(r.statistics.memoMismatches == 0)
    }
  }

  /// A grace period in progress: a step that reports the last CPU's quiescent state ends it,
  /// unless a task preempted inside `rcu_read_lock()` (here r, on another CPU, in no part of
  /// u's keys) still holds it up. Remembered from a state with r blocked, u's last step would
  /// leave the grace period running where r has finished and it ends (`graceStateAllows`).
  @Test func aStepLeavingOnlyBlockedReadersIsNotRemembered() throws {
    let p = try #require(programWithPrelude("""
      cpus 3;
      preemptions 1;
      spinlock_t l;
      task r on cpu0 { rcu_read_lock(); rcu_read_unlock(); }
      task v on cpu0 { }
      task w on cpu1 { synchronize_rcu(); }
      task u on cpu2 { spin_lock(&l); spin_unlock(&l); }
      expect no deadlock;
      """))
    for reduction in [true, false] {
      let r = Self.run(p, maxStates: 10_000, verify: true, reduction: reduction)
      #expect(r.statistics.memoChecks > 0)
      #expect(r.statistics.memoMismatches == 0, "\(r.statistics.memoMismatches) of \(r.statistics.memoChecks) remembered steps differ")
      let without = Self.run(p, maxStates: 10_000, memo: false, reduction: reduction)
      #expect(Self.run(p, maxStates: 10_000, reduction: reduction).statistics.storedDigest == without.statistics.storedDigest)
    }
  }

  /// What each primitive reads beyond its own CPU and task: the scheduler primitives that take
  /// a task read (or wake) that one, which joins the key; a process-context reader of an
  /// rwlock looks at every CPU, and grace-period starts at every CPU and task: never remembered.
  @Test func primitivesAreClassifiedByWhatTheyRead() {
    func op(_ p: Primitive) -> Instruction.Op { .primitive(p, name: "x", arguments: [], out: nil, result: nil) }
    for s in [SchedOp.taskState, .taskOnRQ, .taskCPU, .selectTaskRQ, .ttwuSetRunning, .ttwuDoActivate] {
      #expect(StepMemo.access(op(.sched(s))) == .taskArgument, "\(s)")
    }
    for s in [SchedOp.setCurrentState, .setCurrentStateRaw, .deactivate, .contextSwitch, .waitsFor] {
      #expect(StepMemo.access(op(.sched(s))) == .own, "\(s)")
    }
    #expect(StepMemo.access(op(.rcu(.enqueue))) == .otherContexts)
    #expect(StepMemo.access(op(.rcu(.waitGP))) == .otherContexts)
    #expect(StepMemo.access(op(.rcu(.readUnlock))) == .own)
    #expect(StepMemo.access(op(.acquire(.rwlock, .read, .plain, trylock: false))) == .otherContexts)
    #expect(StepMemo.access(op(.acquire(.rwlock, .write, .plain, trylock: false))) == .own)
    #expect(StepMemo.access(op(.acquire(.spinlock, .exclusive, .irqsave, trylock: false))) == .own)
  }

  /// The table answers like a dictionary through collisions and growth, and once full at its
  /// largest size starts again empty rather than growing further.
  @Test func theTableAnswersLikeADictionaryAndStaysBounded() throws {
    let p = try #require(program("cpus 1; spinlock_t l; task t on cpu0 { spin_lock(&l); spin_unlock(&l); } expect no deadlock;"))
    var memo = StepMemo(machine: Machine(program: p))
    var reference: [Int32: StepMemo.Outcome] = [:]
    func key(_ n: Int32) -> StepMemo.Key {
      // Few distinct hash inputs but the data part: many collisions in the low bits.
      StepMemo.Key(choice: 0, task: 0, other: -1, before: StepMemo.ScopeParts(cpu: 1, task: n & 3, other: -2, locks: 2, data: n))
    }
    let total = Int32(StepMemo.maxSlots / 2 + 1000)
    for n in 0..<total {
      let o = StepMemo.Outcome(after: StepMemo.ScopeParts(cpu: n, task: n &* 7, other: -2, locks: n &+ 1, data: n &- 1), waits: n & 1 == 0)
      if memo.count + 1 > StepMemo.maxSlots / 2 { reference.removeAll() }
      memo.record(key(n), o)
      reference[n] = o
      #expect(memo.count <= StepMemo.maxSlots / 2)
    }
    for n in 0..<total {
      let got = memo.outcome(key(n))
      if let want = reference[n] {
        #expect(got?.after == want.after && got?.waits == want.waits, "\(n)")
      } else {
        #expect(got == nil, "\(n) survived the emptying")
      }
    }
    #expect(reference.count == 1000)
  }
}
