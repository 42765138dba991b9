import Testing
@testable import KernelSim

/// mutex: exclusion, sleeping hand-over of the CPU, ABBA, wrong-owner unlock.
@Suite struct MutexTests {
  @Test func mutexExcludes() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct mutex m; int inside;
      void critical(void) { mutex_lock(&m); inside++; BUG_ON(inside > 1); inside--; mutex_unlock(&m); }
      task a on cpu0 { critical(); }
      task b on cpu1 { critical(); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func aWaiterSleepsAndAnotherTaskRunsOnItsCPU() {
    // b sleeps on the mutex a holds; c (same CPU as b) must get to run meanwhile.
    let r = exploreWithPrelude("""
      cpus 2;
      struct mutex m; int held;
      task a on cpu0 { mutex_lock(&m); held = 1; msleep(1); held = 0; mutex_unlock(&m); }
      task b on cpu1 { if (held) { mutex_lock(&m); mutex_unlock(&m); } }
      task c on cpu1 { WARN_ON(held); }
      expect bug;
      """)
    #expect(r?.bugs.count == 1)
    #expect(r?.deadlocks.isEmpty == true)
  }

  @Test func abbaIsADeadlockWithSleepEdges() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct mutex a; struct mutex b;
      task x on cpu0 { mutex_lock(&a); mutex_lock(&b); mutex_unlock(&b); mutex_unlock(&a); }
      task y on cpu1 { mutex_lock(&b); mutex_lock(&a); mutex_unlock(&a); mutex_unlock(&b); }
      expect deadlock on a, b;
      """)
    #expect(r?.deadlocks.count == 1)
    #expect(r?.deadlocks.first?.cycle.allSatisfy { if case .sleepsOn = $0.reason { return true } else { return false } } == true)
  }

  @Test func trylockNeverSleeps() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct mutex a; struct mutex b;
      task x on cpu0 { mutex_lock(&a); mutex_lock(&b); mutex_unlock(&b); mutex_unlock(&a); }
      task y on cpu1 { mutex_lock(&b); if (mutex_trylock(&a)) mutex_unlock(&a); mutex_unlock(&b); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
  }

  @Test func unlockByAnotherTaskAndExitHoldingAreReported() {
    let wrong = exploreWithPrelude("""
      cpus 2;
      struct mutex m; int locked;
      task owner on cpu0 { mutex_lock(&m); locked = 1; msleep(1); mutex_unlock(&m); }
      task other on cpu1 { if (locked) mutex_unlock(&m); }
      expect bug;
      """)
    #expect(wrong?.bugs.contains { $0.bug?.kind == .unlockNotHeld && $0.bug?.message.contains("task other") == true } == true)
    let exit = exploreWithPrelude("""
      cpus 1;
      struct mutex m;
      task t on cpu0 { mutex_lock(&m); }
      expect bug;
      """)
    #expect(exit?.bugs.first?.bug?.kind == .exitHoldingLock)
  }
}

/// rwsem: readers share; a writer excludes; no reader jumps a queued writer.
@Suite struct RwsemTests {
  @Test func readersShare() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct rw_semaphore s; int readers;
      void rd(void) { down_read(&s); readers++; WARN_ON(readers == 2); readers--; up_read(&s); }
      task a on cpu0 { rd(); }
      task b on cpu1 { rd(); }
      expect bug;
      """)
    #expect(r?.bugs.isEmpty == false, "two readers can be inside together")
  }

  @Test func aWriterExcludesEveryone() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct rw_semaphore s; int w; int rd;
      task writer on cpu0 { down_write(&s); w = 1; BUG_ON(rd); w = 0; up_write(&s); }
      task reader on cpu1 { down_read(&s); rd = 1; BUG_ON(w); rd = 0; up_read(&s); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func aReaderCannotJumpAQueuedWriter() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct rw_semaphore sem;
      task reader on cpu0 { down_read(&sem); msleep(1); down_read(&sem); up_read(&sem); up_read(&sem); }
      task writer on cpu1 { down_write(&sem); up_write(&sem); }
      expect deadlock on sem;
      """)
    #expect(r?.deadlocks.count == 1)
  }

  @Test func withoutAWriterRecursiveReadsAreFine() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct rw_semaphore sem;
      task a on cpu0 { down_read(&sem); msleep(1); down_read(&sem); up_read(&sem); up_read(&sem); }
      task b on cpu1 { down_read(&sem); up_read(&sem); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true)
  }
}

/// percpu-rwsem: a pending writer blocks every new reader, even a recursive one; readers may
/// be released by another context.
@Suite struct PercpuRwsemTests {
  static let recursive = """
    cpus 2;
    struct percpu_rw_semaphore sem;
    task reader on cpu0 { percpu_down_read(&sem); msleep(1); percpu_down_read(&sem); percpu_up_read(&sem); percpu_up_read(&sem); }
    irq tick on all => update_process_times;
    """

  @Test func aPendingWriterBlocksEvenARecursiveReader() {
    let r = exploreWithPrelude(PercpuRwsemTests.recursive + """
      task writer on cpu1 { percpu_down_write(&sem); percpu_up_write(&sem); }
      expect deadlock on sem;
      """)
    #expect(r?.deadlocks.count == 1)
    #expect(r?.deadlocks.first?.signature.contains("sleeps on sem (write)") == true)
  }

  @Test func readersNeverBlockReaders() {
    let r = exploreWithPrelude(PercpuRwsemTests.recursive + """
      task other on cpu1 { percpu_down_read(&sem); percpu_up_read(&sem); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func aReadHoldMayBeReleasedElsewhere() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct percpu_rw_semaphore sem; int held;
      task submitter on cpu0 { percpu_down_read(&sem); held = 1; }
      task completion on cpu1 { if (held) percpu_up_read(&sem); }
      expect no deadlock;
      """)
    #expect(r?.bugs.allSatisfy { $0.bug?.kind == .exitHoldingLock } == true, "only the path where nobody releases it")
    #expect(r?.bugs.contains { $0.bug?.kind == .unlockNotHeld } == false)
  }
}

/// wait_event / wake_up, and the reports for sleeping where the kernel forbids it.
@Suite struct WaitAndAtomicSleepTests {
  @Test func waitEventWithWakeUpFinishes() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct wait_queue_head wq; int ready;
      task waiter on cpu0 { wait_event(wq, ready); BUG_ON(!ready); }
      task waker on cpu1 { ready = 1; wake_up(&wq); }
      expect no deadlock;
      """)
    #expect(r?.findings.isEmpty == true, "\(r?.findings.map(\.signature) ?? [])")
  }

  @Test func aLostWakeupIsAHangNamingTheWaiter() {
    let r = exploreWithPrelude("""
      cpus 2;
      struct wait_queue_head wq; int ready;
      task waiter on cpu0 { wait_event(wq, ready); }
      task waker on cpu1 { ready = 1; }
      expect hang;
      """)
    #expect(r?.hangs.count == 1)
    #expect(r?.hangs.first?.signature.contains("task waiter") == true)
  }

  @Test(arguments: [
    ("spin_lock(&l); mutex_lock(&m); mutex_unlock(&m); spin_unlock(&l);", "preempt count 1 (holding l)"),
    ("local_irq_disable(); down_read(&s); up_read(&s); local_irq_enable();", "irqs disabled"),
    ("local_bh_disable(); msleep(1); local_bh_enable();", "bh disabled"),
  ])
  func sleepingInAtomicContextIsReported(body: String, why: String) {
    let r = exploreWithPrelude("""
      cpus 1;
      spinlock_t l; struct mutex m; struct rw_semaphore s;
      task t on cpu0 { \(body) }
      expect bug;
      """)
    let b = r?.bugs.first?.bug
    #expect(b?.kind == .sleepInAtomic)
    #expect(b?.message.contains("sleeping function called from invalid context") == true)
    #expect(b?.message.contains(why) == true, "\(b?.message ?? "")")
  }

  @Test func sleepingInAnInterruptHandlerIsReported() {
    let r = exploreWithPrelude("""
      cpus 1;
      struct mutex m;
      void handler(void) { mutex_lock(&m); mutex_unlock(&m); }
      task t on cpu0 { }
      irq dev on cpu0 => handler;
      expect bug;
      """)
    #expect(r?.bugs.first?.bug?.kind == .sleepInAtomic)
    #expect(r?.bugs.first?.bug?.chain == ["handler", "mutex_lock"])
  }
}
