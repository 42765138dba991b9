import Testing
@testable import KernelSim

/// Each primitive's effect on the running context's irq/bh/preempt state.
@Suite struct PrimitiveTests {
  /// Runs `body` as the only task and returns the task context after each step.
  func contexts(_ body: String, globals: String = "spinlock_t a; raw_spinlock_t r; rwlock_t rw; int g;") -> [Context] {
    guard let p = program("cpus 1;\n\(globals)\ntask t on cpu0 { \(body) }\nexpect no deadlock;") else { return [] }
    let run = soloRun(p)
    #expect(run.bug == nil, "\(run.bug?.message ?? "")")
    // After the initial state and the pick: one state per visible operation (the last one
    // also ends the task; its context keeps the final irq/bh/preempt state).
    let result = run.states.dropFirst(2).map { $0.tasks[0].context }
    #expect(run.states.last?.tasks[0].status == .done, "the task did not run to completion")
    // Poisoned padding: an index past the run fails every count comparison instead of trapping.
    var poison = Context(kind: .task(0), frames: [], irqsOff: false)
    poison.preempt = -99
    poison.bh = -99
    return result + Array(repeating: poison, count: 8)
  }

  @Test func spinLockDisablesPreemptionOnly() {
    let c = contexts("spin_lock(&a); spin_unlock(&a); g = 1;")
    #expect(c[0].preempt == 1 && !c[0].irqsOff && c[0].bh == 0)
    #expect(c[1].preempt == 0)
  }

  @Test func rawSpinLockDisablesPreemptionOnly() {
    let c = contexts("raw_spin_lock(&r); raw_spin_unlock(&r); g = 1;")
    #expect(c[0].preempt == 1 && !c[0].irqsOff)
  }

  @Test func bhFormDisablesBottomHalves() {
    let c = contexts("spin_lock_bh(&a); spin_unlock_bh(&a); g = 1;")
    #expect(c[0].bh == 1 && c[0].preempt == 1 && !c[0].irqsOff)
    #expect(c[1].bh == 0 && c[1].preempt == 0)
  }

  @Test func irqFormUnlockEnablesUnconditionally() {
    let c = contexts("local_irq_disable(); spin_lock_irq(&a); spin_unlock_irq(&a); g = 1; local_irq_disable(); local_irq_enable();")
    #expect(c[1].irqsOff && c[1].preempt == 1)
    #expect(!c[2].irqsOff, "spin_unlock_irq turns interrupts on even though they were off before")
  }

  @Test func irqsaveRestoresThePreviousState() {
    let c = contexts("""
      unsigned long f1; unsigned long f2;
      local_irq_disable();
      spin_lock_irqsave(&a, f1); spin_unlock_irqrestore(&a, f1);
      local_irq_enable();
      spin_lock_irqsave(&a, f2); spin_unlock_irqrestore(&a, f2);
      g = 1;
      """)
    #expect(c[1].irqsOff && c[2].irqsOff, "restored to off")
    #expect(c[3].irqsOff == false)
    #expect(c[4].irqsOff && c[4].preempt == 1)
    #expect(c[5].irqsOff == false, "restored to on")
  }

  @Test func localIrqSaveRestoreAndFlagsQuery() {
    let c = contexts("""
      unsigned long flags; bool was;
      local_irq_save(flags); was = irqs_disabled_flags(flags); BUG_ON(was); BUG_ON(!irqs_disabled());
      local_irq_restore(flags); BUG_ON(irqs_disabled());
      """)
    #expect(c[0].irqsOff)
    #expect(!c[c.count - 1].irqsOff)
  }

  @Test func bhAndPreemptCountsNest() {
    let c = contexts("local_bh_disable(); local_bh_disable(); local_bh_enable(); local_bh_enable(); preempt_disable(); preempt_enable();")
    #expect(c.map(\.bh).prefix(4) == [1, 2, 1, 0])
    #expect(c[4].preempt == 1 && c[5].preempt == 0)
  }

  @Test func trylockSucceedsOnAFreeLockAndTakesIt() {
    let c = contexts("if (spin_trylock(&a)) { spin_unlock(&a); } g = 1;")
    #expect(c[0].preempt == 1)
    #expect(c[1].preempt == 0)
  }

  @Test func queriesSeeTheContext() {
    // BUG_ON fires (a finding) if a query answers wrongly.
    _ = contexts("""
      BUG_ON(in_interrupt()); BUG_ON(!in_task()); BUG_ON(smp_processor_id() != 0);
      local_bh_disable(); BUG_ON(!in_softirq()); BUG_ON(!in_interrupt()); local_bh_enable();
      BUG_ON(!preemptible());
      """)
  }

  @Test func unlockingALockNotHeldIsABug() {
    guard let p = program("cpus 1; spinlock_t a; void u(void) { spin_unlock(&a); } task t on cpu0 { u(); } expect bug;") else { return }
    #expect(soloRun(p).bug?.kind == .unlockNotHeld)
  }

  /// A task that exits inside rcu_read_lock() is reported at its exit (lockdep's "lock held
  /// when returning to user space"); unreported, it stayed a blocked reader and stalled every
  /// later grace period.
  @Test func taskExitingInsideAReadSideSectionIsABug() {
    guard let p = program("cpus 1; void enter(void) { rcu_read_lock(); } task t on cpu0 { enter(); } expect bug;") else { return }
    let bug = soloRun(p).bug
    #expect(bug?.kind == .unbalancedState)
    #expect(bug?.message.contains("inside rcu_read_lock() (nesting 1)") == true, "\(bug?.message ?? "no bug")")
  }

  @Test func taskExitingWithALockHeldIsABug() {
    guard let p = program("cpus 1; spinlock_t a; void l(void) { spin_lock(&a); } task t on cpu0 { l(); } expect bug;") else { return }
    #expect(soloRun(p).bug?.kind == .exitHoldingLock)
  }

  @Test func bhEnableWithIrqsOffWarns() {
    guard let p = program("cpus 1; task t on cpu0 { local_bh_disable(); local_irq_disable(); local_bh_enable(); local_irq_enable(); } expect bug;") else { return }
    #expect(soloRun(p).bug?.kind == .invalidContext)
  }
}
