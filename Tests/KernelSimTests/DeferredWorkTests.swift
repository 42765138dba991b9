import Testing
@testable import KernelSim

/// RCU: callbacks wait for every CPU's quiescent state and run on the queuing CPU.
@Suite struct RCUTests {
  static let reader = """
    cpus 2;
    struct rcu_head h;
    int in_section; int cb_ran;
    void cb(struct rcu_head *rhp) { cb_ran = 1; BUG_ON(in_section); }
    task updater on cpu0 { if (in_section) call_rcu(&h, cb); }
    irq tick on all => update_process_times fires 2;
    """

  @Test func callbackNeverRunsBeforeTheReaderLeaves() {
    let r = exploreWithPrelude(RCUTests.reader + """
      task reader on cpu1 { rcu_read_lock(); in_section = 1; in_section = 2; in_section = 0; rcu_read_unlock(); }
      expect no deadlock;
      """)
    #expect(r?.bugs.isEmpty == true, "\(r?.bugs.map { $0.bug?.message ?? "" } ?? [])")
    #expect(r?.statistics.complete == true)
  }

  @Test func withoutTheReadSectionTheCallbackCanOverlap() {
    // The same without rcu_read_lock(): the BUG_ON is reachable, so the test above can fail.
    let r = exploreWithPrelude(RCUTests.reader + """
      task reader on cpu1 { in_section = 1; in_section = 2; in_section = 0; }
      expect bug;
      """)
    #expect(r?.bugs.count == 1)
  }

  @Test func callbackRunsOnTheQueuingCPUInSoftirq() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct rcu_head h;
      void cb(struct rcu_head *rhp) { BUG_ON(smp_processor_id() != 1); BUG_ON(!in_serving_softirq()); WARN_ON(1); }
      task updater on cpu1 { call_rcu(&h, cb); }
      task other on cpu0 { }
      irq tick on all => update_process_times fires 2;
      expect bug;
      """)
    // Exactly one finding: the WARN_ON(1) that proves the callback ran; never the BUG_ONs.
    #expect(r?.bugs.map { $0.bug?.message.contains("WARN_ON") } == [true])
  }

  @Test func synchronizeRcuInsideAReadSectionDeadlocks() {
    let r = exploreWithPrelude("""
      cpus 1;
      task t on cpu0 { rcu_read_lock(); synchronize_rcu(); rcu_read_unlock(); }
      expect deadlock;
      """)
    #expect(r?.deadlocks.count == 1)
    #expect(r?.deadlocks.first?.cycle.first?.reason == .gracePeriod)
  }

  @Test func synchronizeRcuReturnsOnceOtherCPUsPassAQuiescentState() {
    let r = exploreWithPrelude("""
      cpus 2;
      int in_section;
      // A reader seen inside its section before synchronize_rcu() has left it when it returns.
      task t on cpu0 { if (in_section) { synchronize_rcu(); BUG_ON(in_section); } }
      task u on cpu1 { rcu_read_lock(); in_section = 1; in_section = 2; in_section = 0; rcu_read_unlock(); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }
}

/// Workqueues: PENDING, kick_pool, real kworkers, delayed work through the timer.
@Suite struct WorkqueueTests {
  @Test func twoQueueWorkCallsWhilePendingQueueOnce() {
    let r = exploreWithPrelude("""
      cpus 1;
      int runs;
      void fn(struct work_struct *w) { runs++; BUG_ON(runs > 1); }
      struct work_struct w = { .func = fn };
      task t on cpu0 { bool a = queue_work(&system_wq, &w); bool b = queue_work(&system_wq, &w); BUG_ON(!a || b); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func theWorkRunsInAKworkerInTaskContext() {
    let r = exploreWithPrelude("""
      cpus 1;
      void fn(struct work_struct *w) { BUG_ON(!in_task()); BUG_ON(irqs_disabled()); WARN_ON(1); }
      struct work_struct w = { .func = fn };
      task t on cpu0 { queue_work(&system_wq, &w); }
      expect bug;
      """)
    #expect(r?.bugs.map { $0.bug?.message.contains("WARN_ON") } == [true])
    #expect(r?.bugs.first?.bug?.message.contains("kworker/0") == true)
  }

  @Test func delayedWorkWithADelayTakesNoRqLockBeforeTheTimerFires() {
    // Under this CPU's rq lock: delay 1 arms a timer (no wakeup, no rq lock); delay 0 wakes the
    // kworker here and spins on the rq lock it holds.
    let base = """
      cpus 1;
      void fn(struct work_struct *w) { }
      struct delayed_work dw = { .work.func = fn };
      irq tick on all => update_process_times;
      """
    let delayed = exploreWithPrelude(base + """
      task t on cpu0 { unsigned long f; raw_spin_lock_irqsave(&this_rq()->__lock, f); queue_delayed_work(&system_wq, &dw, 1); raw_spin_unlock_irqrestore(&this_rq()->__lock, f); }
      expect no deadlock;
      """)
    #expect(delayed?.findings.isEmpty == true, "\(delayed?.findings.map(\.signature) ?? [])")
    let immediate = exploreWithPrelude(base + """
      task t on cpu0 { unsigned long f; raw_spin_lock_irqsave(&this_rq()->__lock, f); queue_delayed_work(&system_wq, &dw, 0); raw_spin_unlock_irqrestore(&this_rq()->__lock, f); }
      expect deadlock on runqueues[0].__lock;
      """)
    #expect(immediate?.deadlocks.count == 1)
  }

  @Test func delayedWorkRunsAfterTheTick() {
    let r = exploreWithPrelude("""
      cpus 1;
      void fn(struct work_struct *w) { WARN_ON(1); }
      struct delayed_work dw = { .work.func = fn };
      task t on cpu0 { queue_delayed_work(&system_wq, &dw, 1); }
      irq tick on all => update_process_times;
      expect bug;
      """)
    #expect(r?.bugs.count == 1)
    // Its witness passes through the tick and TIMER_SOFTIRQ.
    let w = r?.bugs.first?.witness ?? []
    #expect(w.contains { if case .irq = $0 { return true } else { return false } })
  }

  @Test func flushWorkWaitsForTheWork() {
    let r = exploreWithPrelude("""
      cpus 2;
      int ran;
      void fn(struct work_struct *w) { ran = 1; }
      struct work_struct w = { .func = fn };
      task t on cpu0 { queue_work(&system_wq, &w); flush_work(&w); BUG_ON(!ran); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }
}

/// try_to_wake_up, completions and the scheduler core.
@Suite struct SchedulerTests {
  @Test func completionWakesTheWaiter() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct completion c;
      int done;
      task waiter on cpu0 { wait_for_completion(&c); BUG_ON(!done); }
      task waker on cpu1 { done = 1; complete(&c); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func aWaitNobodyEndsIsAHang() {
    let r = exploreWithPrelude("""
      cpus 1;
      struct completion c;
      task waiter on cpu0 { wait_for_completion(&c); }
      expect hang;
      """)
    #expect(r?.hangs.count == 1)
    #expect(r.map { Verdict($0).matches } == true)
  }

  @Test func sleepingTaskGivesTheCPUToAnother() {
    let r = exploreWithPrelude("""
      cpus 1;
      struct completion c;
      task waiter on cpu0 { wait_for_completion(&c); }
      task waker on cpu0 { complete(&c); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func wakeupTakesPiLockThenTheTargetRqLock() {
    // Holding the target's rq lock while waking it: AA on that rq lock (same CPU).
    let r = exploreWithPrelude("""
      cpus 1;
      struct completion c;
      task waiter on cpu0 { wait_for_completion(&c); }
      task waker on cpu0 { unsigned long f; raw_spin_lock_irqsave(&cpu_rq(0)->__lock, f); complete(&c); raw_spin_unlock_irqrestore(&cpu_rq(0)->__lock, f); }
      expect deadlock on runqueues[0].__lock;
      """)
    #expect(r?.deadlocks.count == 1)
  }

  @Test func sleepingWhileAtomicIsReported() {
    let r = exploreWithPrelude("""
      cpus 1;
      struct completion c;
      spinlock_t l;
      task t on cpu0 { spin_lock(&l); wait_for_completion(&c); spin_unlock(&l); }
      expect bug;
      """)
    #expect(r?.bugs.first?.bug?.kind == .sleepInAtomic)
  }

  @Test func preemptionIsBoundedAndFindsWhatItEnables() {
    let text = """
      cpus 1;
      int x;
      task a on cpu0 { x = 1; x = 2; }
      task b on cpu0 { BUG_ON(x == 1); }
      """
    let none = exploreWithPrelude(text + "expect no deadlock;")
    #expect(none?.findings.isEmpty == true)
    let one = exploreWithPrelude(text + "preemptions 1;\nexpect bug;")
    #expect(one?.bugs.count == 1)
  }
}

/// irq_work: lock-free queueing, coalescing, and a handler that waits for interrupts on.
@Suite struct IrqWorkTests {
  @Test func irqWorkNeverRunsWhileIrqsAreDisabledAndCoalesces() {
    let r = exploreWithPrelude("""
      cpus 1;
      int irqs_off_section; int runs;
      void fn(struct irq_work *w) { BUG_ON(irqs_off_section); runs++; BUG_ON(runs > 1); BUG_ON(!in_hardirq()); }
      struct irq_work w = { .func = fn };
      task t on cpu0 {
        local_irq_disable(); irqs_off_section = 1;
        irq_work_queue(&w); irq_work_queue(&w);
        irqs_off_section = 0; local_irq_enable();
      }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func irqWorkDoesRun() {
    let r = exploreWithPrelude("""
      cpus 1;
      void fn(struct irq_work *w) { WARN_ON(1); }
      struct irq_work w = { .func = fn };
      task t on cpu0 { irq_work_queue(&w); }
      expect bug;
      """)
    #expect(r?.bugs.count == 1)
  }
}

/// Overriding prelude functions.
@Suite struct OverrideTests {
  @Test func overrideWithTheSameSignatureReplacesThePreludeFunction() {
    let r = exploreWithPrelude("""
      cpus 1;
      int called;
      void kick_pool(struct worker_pool *pool) { called = 1; }
      void fn(struct work_struct *w) { }
      struct work_struct w = { .func = fn };
      task t on cpu0 { queue_work(&system_wq, &w); BUG_ON(!called); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
  }

  @Test func overrideWithAnotherSignatureIsRejected() {
    let d = Frontend.load(text: """
      cpus 1;
      void kick_pool(int pool) { }
      task t on cpu0 { }
      expect no deadlock;
      """, path: "o.ksim", preludes: preludeFiles).diagnostics
    let e = d.first { $0.kind == .override }
    #expect(e?.location.line == 2)
    #expect(e?.message.contains("kick_pool") == true)
  }
}

/// flush_work(): the flusher waits for the worker running the work (`__waits_for`), and only
/// while it runs.
@Suite struct FlushWorkTests {
  /// Mutex held across flush_work() of a work that takes it: the cycle goes through the
  /// completion edge, flusher -> kworker -> (sleeps on the mutex) -> flusher.
  @Test func flushUnderTheWorksMutexIsADeadlockThroughTheWorker() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 2;
      struct mutex m;
      void fn(struct work_struct *w) { mutex_lock(&m); mutex_unlock(&m); }
      struct work_struct w = { .func = fn };
      task producer on cpu1 { schedule_work(&w); }
      task flusher on cpu0 { mutex_lock(&m); flush_work(&w); mutex_unlock(&m); }
      expect deadlock;
      """))
    let d = try #require(r.deadlocks.first)
    #expect(d.cycle.contains { if case .completion = $0.reason { return true } else { return false } })
    #expect(d.cycle.contains { if case .sleepsOn = $0.reason { return true } else { return false } })
  }

  /// The work is only pending, behind another work item that sleeps on the flusher's mutex on
  /// the pool's one ksim worker. In the kernel another worker of the pool could run it, so no
  /// edge is drawn to a worker that is not running it: everything is stuck (a hang), but no
  /// deadlock is claimed.
  @Test func noEdgeToAWorkerThatIsNotRunningTheWork() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 1;
      struct mutex m;
      void blocker(struct work_struct *w) { mutex_lock(&m); mutex_unlock(&m); }
      void quiet(struct work_struct *w) { }
      struct work_struct first = { .func = blocker };
      struct work_struct second = { .func = quiet };
      task flusher on cpu0 {
        mutex_lock(&m);
        schedule_work(&first);
        schedule_work(&second);
        msleep(1);
        flush_work(&second);
        mutex_unlock(&m);
      }
      expect hang;
      """))
    #expect(r.deadlocks.isEmpty)
    #expect(!r.hangs.isEmpty)
  }
}

/// The flush_work() edge must not outlive the wait it describes.
@Suite struct FlushWorkEdgeLifetimeTests {
  /// The first flush may find the work already done and not sleep; later the flusher holds a
  /// mutex the (re-queued) work takes and sleeps on a completion another task completes. That
  /// task wakes it, so there is no deadlock; an edge left over from the first flush would close
  /// a false cycle flusher -> kworker -> flusher. (Found in review.)
  @Test func aFlushThatDidNotSleepLeavesNoEdge() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 2;
      struct mutex m;
      struct completion c;
      void fn(struct work_struct *w) { mutex_lock(&m); mutex_unlock(&m); }
      struct work_struct w = { .func = fn };
      task flusher on cpu0 {
        queue_work_on(1, &system_wq, &w);
        flush_work(&w);
        mutex_lock(&m);
        queue_work_on(1, &system_wq, &w);
        wait_for_completion(&c);
        mutex_unlock(&m);
      }
      task completer on cpu1 { msleep(1); complete(&c); }
      expect no deadlock;
      """))
    #expect(r.deadlocks.isEmpty, "\(r.deadlocks.map(\.signature))")
  }

  /// A work queued again while it runs is flushed behind the queued instance (the kernel's
  /// get_work_pwq() comes first in start_flush_work()): once flush_work() returns, the run that
  /// queue_work_on() said it queued has finished. Waking the flusher when the running instance
  /// ends (ksim before this) let it see only one run.
  @Test func aRequeuedWorkIsFlushedBehindItsQueuedInstance() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 2;
      int runs;
      void fn(struct work_struct *w) { runs = runs + 1; }
      struct work_struct w = { .func = fn };
      task t on cpu0 {
        queue_work_on(1, &system_wq, &w);
        if (queue_work_on(1, &system_wq, &w)) {
          flush_work(&w);
          BUG_ON(runs < 2);
        }
      }
      expect no deadlock;
      """))
    #expect(r.statistics.complete)
    #expect(r.bugs.isEmpty, "\(r.bugs.map { $0.bug?.message ?? "" })")
  }

  /// Each flusher waits on its own barrier (the kernel's on-stack wq_barrier). With one
  /// completion per work, a second flusher's reinit_completion() could undo the wakeup of a
  /// first one that had not run yet, sending it back to sleep behind the next run, which here
  /// takes the mutex it holds: a false deadlock (found in review).
  @Test func aSecondFlushCannotUndoTheFirstFlushersWakeup() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 2;
      struct mutex m;
      int runs;
      void fn(struct work_struct *w) {
        runs = runs + 1;
        if (runs == 2) { mutex_lock(&m); mutex_unlock(&m); }
      }
      struct work_struct w = { .func = fn };
      task a on cpu0 {
        queue_work_on(1, &system_wq, &w);
        mutex_lock(&m);
        flush_work(&w);
        mutex_unlock(&m);
      }
      task b on cpu0 {
        while (list_empty(&w.run_flushers)) cpu_relax();
        queue_work_on(1, &system_wq, &w);
        flush_work(&w);
      }
      expect no deadlock;
      """))
    #expect(r.statistics.complete)
    #expect(r.deadlocks.isEmpty, "\(r.deadlocks.map(\.signature))")
  }

  /// A worker flushing the work it is running waits for itself.
  @Test func aWorkerFlushingItsOwnWorkDeadlocksOnItself() throws {
    let r = try #require(exploreWithPrelude("""
      cpus 1;
      struct work_struct w;
      void fn(struct work_struct *work) { flush_work(work); }
      struct work_struct w2 = { .func = fn };
      task producer on cpu0 { schedule_work(&w2); }
      expect deadlock;
      """))
    let d = try #require(r.deadlocks.first)
    #expect(d.cycle.count == 1)
  }
}
