import Testing
@testable import KernelSim

/// Small explorer cases: each isolates one mechanism's effect on the verdict.
@Suite struct ExplorerTests {
  @Test func aaThroughAnInterrupt() {
    let r = explore("""
      cpus 1; spinlock_t a;
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { spin_lock(&a); spin_unlock(&a); }
      irq i on cpu0 => h;
      expect deadlock on a;
      """)
    #expect(r?.deadlocks.count == 1)
    #expect(r.map { Verdict($0).matches } == true)
    let cycle = r?.deadlocks.first?.cycle ?? []
    #expect(cycle.count == 2)
    #expect(cycle.contains { $0.reason == .interruptedBy })
  }

  @Test func irqsaveKeepsTheInterruptOut() {
    let r = explore("""
      cpus 1; spinlock_t a;
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { unsigned long f; spin_lock_irqsave(&a, f); spin_unlock_irqrestore(&a, f); }
      irq i on cpu0 => h fires 2;
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
    #expect(r?.statistics.complete == true)
  }

  @Test func abbaOnTwoCPUs() {
    let r = explore("""
      cpus 2; spinlock_t a; spinlock_t b;
      task x on cpu0 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
      task y on cpu1 { spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }
      expect deadlock on a, b;
      """)
    #expect(r?.deadlocks.count == 1)
    #expect(r?.deadlocks.first?.locks.count == 2)
    #expect(r.map { Verdict($0).matches } == true)
  }

  @Test func consistentOrderGivesNone() {
    let r = explore("""
      cpus 2; spinlock_t a; spinlock_t b;
      task x on cpu0 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
      task y on cpu1 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
    #expect(r.map { Verdict($0).outcome } == .noDeadlock)
  }

  @Test func trylockAddsNoWait() {
    let r = explore("""
      cpus 2; spinlock_t a; spinlock_t b;
      task x on cpu0 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
      task y on cpu1 { spin_lock(&b); if (spin_trylock(&a)) { spin_unlock(&a); } spin_unlock(&b); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
  }

  @Test func softirqIsDeferredWhileBhIsDisabled() {
    // With bh disabled around the lock, the softirq raised by the interrupt runs only at
    // spin_unlock_bh, after the lock is released: no AA.
    let safe = explore("""
      cpus 1; spinlock_t a;
      void action(void) { spin_lock(&a); spin_unlock(&a); }
      void h(void) { raise_softirq(NET_RX); }
      softirq NET_RX => action;
      task t on cpu0 { spin_lock_bh(&a); spin_unlock_bh(&a); }
      irq i on cpu0 => h;
      expect no deadlock;
      """)
    #expect(safe?.findings.isEmpty == true)
    // The same with a plain spin_lock: the softirq runs at irq exit on top of the holder.
    let unsafe = explore("""
      cpus 1; spinlock_t a;
      void action(void) { spin_lock(&a); spin_unlock(&a); }
      void h(void) { raise_softirq(NET_RX); }
      softirq NET_RX => action;
      task t on cpu0 { spin_lock(&a); spin_unlock(&a); }
      irq i on cpu0 => h;
      expect deadlock;
      """)
    #expect(unsafe?.deadlocks.count == 1)
  }

  @Test func softirqRunsAtBhEnableInTaskContext() {
    // raise from task context with bh disabled; local_bh_enable then runs the action on top
    // of the task while it still holds b: an AA on b.
    let r = explore("""
      cpus 1; spinlock_t b;
      void action(void) { spin_lock(&b); spin_unlock(&b); }
      softirq TASKLET => action;
      task t on cpu0 { spin_lock(&b); local_bh_disable(); raise_softirq(TASKLET); local_bh_enable(); spin_unlock(&b); }
      expect deadlock on b;
      """)
    #expect(r?.deadlocks.count == 1)
  }

  @Test func hardirqCanNestOnASoftirqButNotTheReverse() {
    let r = explore("""
      cpus 1; spinlock_t a;
      void action(void) { spin_lock(&a); spin_unlock(&a); }
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      void tick(void) { raise_softirq(TIMER); }
      softirq TIMER => action;
      task idle_work on cpu0 { }
      irq timer on cpu0 => tick;
      irq dev on cpu0 => h;
      expect deadlock on a;
      """)
    // softirq holds a with irqs on; the device hardirq lands on it and spins.
    #expect(r?.deadlocks.count == 1)
  }

  @Test func interruptReaderDoesNotWaitForAQueuedWriter() {
    // qrwlock: task reader holds it, a writer queues on cpu1; the hardirq reader on cpu0 gets
    // the lock anyway. No deadlock.
    let r = explore("""
      cpus 2; rwlock_t l;
      void h(void) { read_lock(&l); read_unlock(&l); }
      task reader on cpu0 { read_lock(&l); read_unlock(&l); }
      task writer on cpu1 { write_lock_irq(&l); write_unlock_irq(&l); }
      irq i on cpu0 => h;
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
  }

  @Test func processReaderQueuesBehindAWaitingWriter() {
    // A recursive read_lock in process context while a writer waits deadlocks under qrwlock.
    let r = explore("""
      cpus 2; rwlock_t l;
      task reader on cpu0 { read_lock(&l); read_lock(&l); read_unlock(&l); read_unlock(&l); }
      task writer on cpu1 { write_lock(&l); write_unlock(&l); }
      expect deadlock on l;
      """)
    #expect(r?.deadlocks.count == 1)
  }

  @Test func eitherExploresBothBranches() {
    let r = explore("""
      cpus 1; spinlock_t a; spinlock_t b;
      void h(void) { spin_lock(&b); spin_unlock(&b); }
      task t on cpu0 {
        either { spin_lock_irq(&b); spin_unlock_irq(&b); } or { spin_lock(&b); spin_unlock(&b); }
      }
      irq i on cpu0 => h;
      expect deadlock on b;
      """)
    #expect(r?.deadlocks.count == 1)
  }

  @Test func witnessIsShortest() {
    let r = explore("""
      cpus 1; spinlock_t a; int x;
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { x = 1; x = 2; x = 3; spin_lock(&a); spin_unlock(&a); }
      irq i on cpu0 => h;
      expect deadlock;
      """)
    // pick, x=1, x=2, x=3, spin_lock, irq, spin (the irq can land no earlier than the lock)
    #expect(r?.deadlocks.first?.witness.count == 7)
  }

  @Test func maxStatesStopsWithAnIncompleteVerdict() {
    guard let p = program("""
      cpus 2; spinlock_t a; int x;
      task t on cpu0 { x = 1; x = 2; x = 3; }
      task u on cpu1 { x = 4; x = 5; x = 6; }
      expect no deadlock;
      """) else { return }
    let r = Explorer(program: p, options: ExploreOptions(maxStates: 5)).run()
    #expect(r.statistics.complete == false)
    #expect(Verdict(r).outcome == .incomplete)
    // Not a mismatch: the states not explored might still hold a deadlock.
    #expect(Verdict(r).matches == nil && Verdict(r).undecided)
  }

  /// Without an expect line, a deadlock still fails the run (exit 1), and a clean run does not.
  @Test func aDeadlockWithoutAnExpectLineFails() throws {
    let deadlock = try #require(program("""
      cpus 1; spinlock_t a;
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { spin_lock(&a); spin_unlock(&a); }
      irq i on cpu0 => h;
      """))
    let v = Verdict(Explorer(program: deadlock).run())
    #expect(v.outcome == .deadlock && v.matches == nil && v.fails && v.check == "(no expect)")
    let clean = try #require(program("cpus 1; spinlock_t a; task t on cpu0 { spin_lock(&a); spin_unlock(&a); }"))
    let c = Verdict(Explorer(program: clean).run())
    #expect(c.outcome == .noDeadlock && !c.fails)
  }

  /// A run stopped early decides its expect line only where what it found already does: the
  /// expected deadlock found, or a deadlock where none is expected. Otherwise it is undecided.
  @Test func aRunStoppedEarlyDecidesOnlyWhatItFound() throws {
    func run(expect: String, maxStates: Int) throws -> Verdict {
      let p = try #require(program("""
        cpus 1; spinlock_t a; int x;
        void h(void) { spin_lock(&a); spin_unlock(&a); }
        task t on cpu0 { spin_lock(&a); spin_unlock(&a); x = 1; x = 2; x = 3; x = 4; x = 5; }
        irq i on cpu0 => h;
        expect \(expect);
        """))
      let r = Explorer(program: p, options: ExploreOptions(maxStates: maxStates)).run()
      #expect(!r.statistics.complete)
      return Verdict(r)
    }
    let found = try run(expect: "deadlock on a", maxStates: 20)
    #expect(found.outcome == .deadlock && found.matches == true && !found.undecided && !found.fails && found.check == "ok")
    let contradicted = try run(expect: "no deadlock", maxStates: 20)
    #expect(contradicted.matches == false && !contradicted.undecided && contradicted.fails && contradicted.check == "MISMATCH")
    let early = try run(expect: "deadlock on a", maxStates: 2)
    #expect(early.outcome == .incomplete && early.matches == nil && early.undecided && !early.fails && early.check == "undecided")
    // A hang is stuck states and no deadlock anywhere: a run cut short after a hang and before
    // any deadlock has not shown the second half. (The waiter's branch hangs; the other one
    // deadlocks AB-BA with u, deeper.)
    let pairs = String(repeating: "spin_lock(&c); spin_unlock(&c); ", count: 12)
    let p = try #require(programWithPrelude("""
      cpus 2; spinlock_t a; spinlock_t b; spinlock_t c; struct wait_queue_head wq; int ready;
      task w on cpu0 {
        either { wait_event(wq, ready); }
        or { \(pairs) spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
      }
      task u on cpu1 { spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }
      expect hang;
      """))
    let full = Explorer(program: p, options: ExploreOptions()).run()
    #expect(!full.hangs.isEmpty && !full.deadlocks.isEmpty && Verdict(full).matches == false, "the scenario must hang and deadlock")
    let cut = stride(from: 4, to: full.statistics.statesStored, by: 4).lazy
      .map { Explorer(program: p, options: ExploreOptions(maxStates: $0)).run() }
      .first { !$0.hangs.isEmpty && $0.deadlocks.isEmpty }
    let hangOnly = try #require(cut, "a stop after the hang and before the deadlock")
    #expect(Verdict(hangOnly).matches == nil && Verdict(hangOnly).undecided)
  }
}


/// A read through NULL is a finding of the scenario's code, not a crash of ksim.
@Suite struct BadPointerTests {
  @Test func nullDereferenceIsReportedAsABug() {
    let r = explore("""
      scenario "null deref";
      cpus 1;
      struct dev { int count; };
      struct dev d;
      struct dev *p;
      task t on cpu0 { int seen; if (p != NULL && p->count > 0) { seen = 1; } seen = p->count; }
      """)
    let bugs = r?.bugs ?? []
    #expect(bugs.count == 1)
    #expect(bugs.first?.bug?.kind == .badPointer)
    #expect(bugs.first?.bug?.message.hasSuffix("NULL pointer dereference") == true)
  }

  @Test func guardedDereferenceOfNullIsNoBug() {
    let r = explore("""
      scenario "guarded";
      cpus 2;
      struct dev { int count; };
      struct dev d;
      struct dev *p;
      task a on cpu0 { p = &d; }
      task b on cpu1 { int seen; if (p != NULL && p->count == 0) { seen = 1; } }
      """)
    #expect(r?.bugs.isEmpty == true, "\(r?.bugs.map { $0.bug?.message ?? "" } ?? [])")
    #expect(r?.statistics.complete == true)
  }
}

@Suite struct NullFunctionPointerTests {
  /// A function pointer's value is the function's index plus one: a NULL callback (a timer
  /// whose function was never set, `call_rcu(h, NULL)`) is a bad pointer, not a call of the
  /// program's first function, and a pointer to that function is not NULL.
  @Test func callingANullCallbackIsABugNotTheFirstFunction() {
    let r = explore("""
      scenario "null callback";
      cpus 1;
      spinlock_t l;
      void first(int x) { spin_lock(&l); spin_unlock(&l); }
      task t on cpu0 { func_t f = 0; f(1); }
      """)
    #expect(r?.bugs.count == 1)
    #expect(r?.bugs.first?.bug?.kind == .badPointer)
    #expect(r?.bugs.first?.bug?.message.contains("NULL function pointer") == true)
  }

  @Test func aPointerToTheFirstFunctionIsNotNull() {
    let r = explore("""
      scenario "first function";
      cpus 1;
      int called;
      void first(int x) { called = 1; }
      task t on cpu0 { func_t f = first; BUG_ON(f == 0); f(1); BUG_ON(!called); }
      """)
    #expect(r?.bugs.isEmpty == true, "\(r?.bugs.map { $0.bug?.message ?? "" } ?? [])")
    #expect(r?.statistics.complete == true)
  }
}

@Suite struct NullSlotTests {
  @Test func intPointerThroughNullIsABugNotTheFirstVariable() {
    // Slot 0 is reserved: a NULL `int *` no longer aliases the first variable.
    let r = explore("""
      scenario "null int";
      cpus 1;
      int first;
      int *q;
      task t on cpu0 { int v; v = *q; }
      """)
    #expect(r?.bugs.count == 1)
    #expect(r?.bugs.first?.bug?.kind == .badPointer)
  }
}
