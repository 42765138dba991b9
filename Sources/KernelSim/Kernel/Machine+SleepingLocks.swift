/// Sleeping locks (kernel/locking/mutex.c, rwsem.c, percpu-rwsem.c): the state changes the
/// prelude's `mutex_lock()`, `down_read()`, `percpu_down_write()` ... are written on.
///
/// A `*_or_queue` primitive either takes the lock (true) or queues the calling task FIFO with
/// TASK_UNINTERRUPTIBLE (false), after which the prelude calls `schedule()` and retries when
/// woken. Releasing grants the lock to waiters as the kernel does and leaves the tasks to wake
/// in `wakees`, which the prelude wakes with `wake_up_process()` (so wakeups take pi_lock and
/// rq->__lock like `wake_up_q()`).
///
/// Fairness, as DESIGN §4 and seed-semantics §3.3 require:
/// - mutex: a free mutex is taken by whoever comes (optimistic stealing); unlock wakes the
///   first waiter to retry.
/// - rwsem: a new reader waits if a writer holds it or any waiter is queued
///   (RWSEM_FLAG_WAITERS); a writer waits for all holders and for the waiters ahead of it; on
///   release a writer at the head is granted the lock, or every queued reader is
///   (rwsem_mark_wake() skips writers when a reader is at the head).
/// - percpu-rwsem: a writer sets `block` (pending) and waits for the readers to drain; from
///   then on every new reader blocks, even one that already holds it. Readers never block
///   readers otherwise, and a read hold may be released by another context.
extension Machine {
  /// `waitLock` encoding for "granted while asleep, not yet returned from the lock call".
  static func grantedMarker(_ lock: Int) -> Int32 { Int32(-(lock + 2)) }

  func sleepLock(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ op: SleepLockOp, _ values: ArgValues,
                 result: Int?, name: String, at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    func setResult(_ v: Int) { if let result { s.setLocal(ref, result, v) } }
    let lock = values[0]
    let lname = program.locks[lock].name
    if op == .nextWakee {
      if s.lockQueues[lock].wakees.isEmpty { setResult(0) } else {
        setResult(program.tasks[Int(s.lockQueues[lock].wakees.removeFirst())].object)
      }
      return .done
    }
    // Releases may come from any context (percpu read side) and are checked per op; every
    // acquisition is by a task.
    let isAcquire = [SleepLockOp.mutexLockOrQueue, .mutexTrylock, .downReadOrQueue, .downWriteOrQueue,
                     .downReadTrylock, .downWriteTrylock, .percpuDownReadOrQueue, .percpuDownWriteOrQueue].contains(op)
    if isAcquire && !ref.isTask {
      return .bug(bug(.sleepInAtomic, "\(op.rawValue)(\(lname)) in interrupt context", s, ref, cpu: cpu, at: loc))
    }
    let t = ref.isTask ? ref.taskIndex : -1
    // Granted while asleep (hand-off): the retry returns holding it.
    if isAcquire, s.tasks[t].waitLock == Machine.grantedMarker(lock) {
      s.tasks[t].waitLock = -1
      s.tasks[t].state = Machine.taskRunning
      setResult(1)
      return .done
    }
    func take(_ mode: LockMode) {
      if mode == .read { s.lockQueues[lock].readers.append(ref); s.lockQueues[lock].readers.sort() } else { s.locks[lock].owner = ref }
      s.lockQueues[lock].waiters.removeAll { $0.task == Int32(t) }
      s.tasks[t].waitLock = -1
      s.tasks[t].state = Machine.taskRunning
      setResult(1)
      record(&log, s, .acquired, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "acquired", lock: lock)
    }
    func queue(_ mode: LockMode) {
      if !s.lockQueues[lock].waiters.contains(where: { $0.task == Int32(t) }) {
        s.lockQueues[lock].waiters.append(LockWaiter(task: Int32(t), mode: mode))
      }
      s.tasks[t].waitLock = Int32(lock)
      s.tasks[t].state = 2
      setResult(0)
      record(&log, s, .spins, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "waits (\(holderText(s, lock: lock))): sleeps", lock: lock)
    }
    let l = s.locks[lock]
    let q = s.lockQueues[lock]
    let writerQueued = q.waiters.contains { $0.mode == .write }
    switch op {
    case .mutexLockOrQueue:
      if l.owner.isNone { take(.exclusive) } else { queue(.exclusive) }
    case .mutexTrylock:
      if l.owner.isNone { take(.exclusive) } else { setResult(0) }
    case .downReadOrQueue:
      if l.owner.isNone && q.waiters.isEmpty { take(.read) } else { queue(.read) }
    case .downReadTrylock:
      if l.owner.isNone && q.waiters.isEmpty { take(.read) } else { setResult(0) }
    case .downWriteOrQueue:
      if s.isFree(lock) && (q.waiters.isEmpty || q.waiters.first?.task == Int32(t)) { take(.write) } else { queue(.write) }
    case .downWriteTrylock:
      if s.isFree(lock) && q.waiters.isEmpty { take(.write) } else { setResult(0) }
    case .percpuDownReadOrQueue:
      if l.owner.isNone && l.pendingWriter.isNone && !writerQueued { take(.read) } else { queue(.read) }
    case .percpuDownWriteOrQueue:
      if l.owner.isNone && (l.pendingWriter.isNone || l.pendingWriter == ref) && !(l.pendingWriter.isNone && writerQueued) {
        if l.pendingWriter.isNone {
          s.locks[lock].pendingWriter = ref
          record(&log, s, .other, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "sem->block = 1: new readers now block", lock: lock)
        }
        if s.lockQueues[lock].readers.isEmpty {
          s.locks[lock].pendingWriter = .none
          take(.write)
        } else {
          s.tasks[t].waitLock = Int32(lock)
          s.tasks[t].state = 2
          setResult(0)
          record(&log, s, .spins, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "waits for readers (\(holderText(s, lock: lock))): sleeps", lock: lock)
        }
      } else {
        queue(.write)
      }
    case .mutexUnlock, .upWrite, .percpuUpWrite:
      guard l.owner == ref else {
        return .bug(bug(.unlockNotHeld, "\(name)(&\(lname)) by a context that does not hold it (\(holderText(s, lock: lock)))", s, ref, cpu: cpu, at: loc))
      }
      s.locks[lock].owner = .none
      record(&log, s, .released, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "released", lock: lock)
      grant(&s, lock: lock, log: &log, cpu: cpu)
    case .upRead:
      guard let i = q.readers.firstIndex(of: ref) else {
        return .bug(bug(.unlockNotHeld, "\(name)(&\(lname)) by a context that does not hold it for read (\(holderText(s, lock: lock)))", s, ref, cpu: cpu, at: loc))
      }
      s.lockQueues[lock].readers.remove(at: i)
      record(&log, s, .released, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "released", lock: lock)
      grant(&s, lock: lock, log: &log, cpu: cpu)
    case .percpuUpRead:
      // Not owner-tracked: the read hold may be dropped by another context (the I/O completion).
      guard !q.readers.isEmpty else {
        return .bug(bug(.unlockNotHeld, "\(name)(&\(lname)) with no reader holding it", s, ref, cpu: cpu, at: loc))
      }
      s.lockQueues[lock].readers.remove(at: q.readers.firstIndex(of: ref) ?? 0)
      record(&log, s, .released, ref, cpu: cpu, at: loc, "\(name)(&\(lname))", "released", lock: lock)
      grant(&s, lock: lock, log: &log, cpu: cpu)
    case .nextWakee:
      break
    }
    return .done
  }

  /// Hands a released lock to its waiters, the way each lock kind does.
  func grant(_ s: inout MachineState, lock: Int, log: inout EventLog?, cpu: Int) {
    func give(_ w: LockWaiter) {
      let ref = ContextRef.task(Int(w.task))
      if w.mode == .read { s.lockQueues[lock].readers.append(ref); s.lockQueues[lock].readers.sort() } else { s.locks[lock].owner = ref }
      s.lockQueues[lock].waiters.removeAll { $0.task == w.task }
      s.tasks[Int(w.task)].waitLock = Machine.grantedMarker(lock)
      s.lockQueues[lock].wakees.append(w.task)
      record(&log, s, .acquired, ref, cpu: cpu, at: nil, "hand-off of \(program.locks[lock].name)", "granted\(w.mode == .read ? " for read" : "") to task \(program.tasks[Int(w.task)].name)", lock: lock)
    }
    let kind = program.locks[lock].kind
    switch kind {
    case .mutex:
      // Wake the first waiter to retry; the mutex may be stolen meanwhile.
      if let first = s.lockQueues[lock].waiters.first, !s.lockQueues[lock].wakees.contains(first.task) {
        s.lockQueues[lock].wakees.append(first.task)
      }
    case .rwsem:
      guard s.locks[lock].owner.isNone, let head = s.lockQueues[lock].waiters.first else { return }
      if head.mode == .write {
        if s.lockQueues[lock].readers.isEmpty { give(head) }
      } else {
        for w in s.lockQueues[lock].waiters where w.mode == .read { give(w) }
      }
    case .percpuRwsem:
      let pending = s.locks[lock].pendingWriter
      if !pending.isNone {
        if s.lockQueues[lock].readers.isEmpty {
          s.locks[lock].pendingWriter = .none
          give(LockWaiter(task: Int32(pending.taskIndex), mode: .write))
        }
        return
      }
      guard s.locks[lock].owner.isNone else { return }
      // percpu_up_write(): block = 0; the waiting readers all proceed; the next writer then
      // sets block again and waits for them.
      for w in s.lockQueues[lock].waiters where w.mode == .read { give(w) }
      if let next = s.lockQueues[lock].waiters.first(where: { $0.mode == .write }) {
        s.lockQueues[lock].waiters.removeAll { $0.task == next.task }
        let ref = ContextRef.task(Int(next.task))
        s.locks[lock].pendingWriter = ref
        if s.lockQueues[lock].readers.isEmpty {
          s.locks[lock].pendingWriter = .none
          give(next)
        } else {
          s.tasks[Int(next.task)].waitLock = Int32(lock)
          s.lockQueues[lock].wakees.append(next.task)
        }
      }
    default:
      break
    }
  }

  /// `might_sleep()`: "BUG: sleeping function called from invalid context" in atomic context.
  func mightSleep(_ s: MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation) -> Bug? {
    let c = s[ref]
    var why: [String] = []
    if !ref.isTask || !s.cpus[cpu].stack.isEmpty { why.append("in interrupt context") }
    if c.irqsOff { why.append("irqs disabled") }
    if c.preempt > 0 {
      let held = s.locks.indices.filter { s.locks[$0].owner == ref || s.lockQueues[$0].readers.contains(ref) }
        .filter { !program.locks[$0].kind.sleeps }.map { program.locks[$0].name }
      why.append("preempt count \(c.preempt)" + (held.isEmpty ? "" : " (holding \(held.joined(separator: ", ")))"))
    }
    if c.bh > 0 { why.append("bh disabled") }
    guard !why.isEmpty else { return nil }
    return bug(.sleepInAtomic, "BUG: sleeping function called from invalid context: \(why.joined(separator: ", "))", s, ref, cpu: cpu, at: loc)
  }

  /// `msleep()`: the task sleeps and its timer wakes it; to the explorer, it yields its CPU.
  func msleep(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    guard ref.isTask else { return .done }
    let t = ref.taskIndex
    s.tasks[t].status = .ready(cpu: cpu)
    s.cpus[cpu].current = -1
    // Off the CPU: a quiescent state for it (a task inside rcu_read_lock() is now a blocked reader).
    rcuNoteContextSwitch(&s, cpu: cpu)
    s.advancePC(ref)
    record(&log, s, .sleeps, ref, cpu: cpu, at: loc, "msleep()", "task \(program.tasks[t].name) sleeps for a while")
    return .blocked
  }
}
