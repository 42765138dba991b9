/// spinlock_t, raw_spinlock_t and rwlock_t (include/linux/spinlock.h, rwlock.h,
/// kernel/locking/spinlock.c, kernel/locking/qrwlock.c).
///
/// Non-PREEMPT_RT semantics: every form disables preemption first; `_bh` also disables
/// softirqs, `_irq` disables interrupts (its unlock enables them unconditionally), `_irqsave`
/// saves and restores them. The irq/bh/preempt change happens *before* spinning, exactly as in
/// `__raw_spin_lock_irqsave`, so a `spin_lock_irqsave` waiter spins with interrupts off while a
/// plain `spin_lock` waiter can still take interrupts on top of it.
extension Machine {
  enum PrimitiveResult { case done, blocked, bug(Bug) }

  /// Whether `ref` could take `lock` in `mode` right now.
  ///
  /// rwlock_t is a qrwlock: a reader in interrupt context (`in_interrupt()`, which includes
  /// bh-disabled sections) waits only while a writer *holds* the lock
  /// (`queued_read_lock_slowpath`); a process-context reader also queues behind a *waiting*
  /// writer. A context re-taking a lock it holds exclusively never gets it (AA).
  func canAcquire(_ s: MachineState, lock: Int, mode: LockMode, by ref: ContextRef) -> Bool {
    let l = s.locks[lock]
    switch mode {
    case .exclusive, .write:
      return s.isFree(lock)
    case .read:
      guard l.owner.isNone else { return false }
      if let cpu = s.cpu(of: ref), inInterrupt(s, cpu: cpu) { return true }
      return !hasWaitingWriter(s, lock: lock)
    }
  }

  /// Some context spins for the write side of `lock` (qrwlock's _QW_WAITING).
  func hasWaitingWriter(_ s: MachineState, lock: Int) -> Bool {
    waitingWriters(s, lock: lock).first != nil
  }

  func waitingWriters(_ s: MachineState, lock: Int) -> [ContextRef] {
    var refs: [ContextRef] = []
    for cpu in s.cpus.indices {
      s.forEachContext(of: cpu) { r, ctx in
        if ctx.spinningOn == Int32(lock) && ctx.spinMode == .write { refs.append(r) }
      }
    }
    return refs
  }

  func acquire(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, kind: LockKind, mode: LockMode,
               flavor: LockFlavor, trylock: Bool, lock: Int, name: String, out: FlatLValue?, result: Int?,
               at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    var op: String { "\(name)(&\(program.locks[lock].name)\(out == nil ? "" : ", flags"))" }
    let resuming = s[ref].spinningOn == Int32(lock)
    if !resuming {
      // The irq/bh/preempt part of the lock, before any spinning.
      switch flavor {
      case .plain: break
      case .bh: if let b = bhCountAdd(&s, ref, cpu: cpu, at: loc) { return .bug(b) }
      case .irq: s[ref].irqsOff = true
      case .irqsave:
        let flags = s[ref].irqsOff ? 0 : Machine.eflagsIF
        s[ref].irqsOff = true
        if let out, let b = assign(&s, ref, cpu: cpu, out, flags, at: loc, log: &log) { return .bug(b) }
      }
      if let b = preemptCountAdd(&s, ref, cpu: cpu, at: loc) { return .bug(b) }
    }
    if canAcquire(s, lock: lock, mode: mode, by: ref) {
      s[ref].spinningOn = -1
      if mode == .read {
        s.lockQueues[lock].readers.append(ref)
        s.lockQueues[lock].readers.sort()
      } else {
        s.locks[lock].owner = ref
      }
      if let result { s.setLocal(ref, result, 1) }
      record(&log, s, .acquired, ref, cpu: cpu, at: loc, op, resuming ? "acquired after spinning" : "acquired", lock: lock)
      return .done
    }
    if trylock {
      // Undo the irq/bh/preempt part (spin_trylock_irqsave restores, _bh re-enables ...).
      s[ref].preempt -= 1
      switch flavor {
      case .plain: break
      case .irq: s[ref].irqsOff = false
      case .irqsave:
        if case .local(let slot)? = out {
          s[ref].irqsOff = s.local(ref, slot) & Machine.eflagsIF == 0
        } else if case .global(let e)? = out, case .success(let slot) = evaluate(node: e, in: s, ref, cpu: cpu),
                  slot > 0 && slot < s.globals.count {
          s[ref].irqsOff = s.globals[slot] & Machine.eflagsIF == 0
        }
      case .bh:
        if let r = result { s.setLocal(ref, r, 0) }
        record(&log, s, .trylockFailed, ref, cpu: cpu, at: loc, op, "fails (\(holderText(s, lock: lock)))", lock: lock)
        return bhEnable(&s, ref, cpu: cpu, at: loc, log: &log, recordAs: nil)
      }
      if let r = result { s.setLocal(ref, r, 0) }
      record(&log, s, .trylockFailed, ref, cpu: cpu, at: loc, op, "fails (\(holderText(s, lock: lock)))", lock: lock)
      return .done
    }
    s[ref].spinningOn = Int32(lock)
    s[ref].spinMode = mode
    record(&log, s, .spins, ref, cpu: cpu, at: loc, op, "spins (\(holderText(s, lock: lock)))", lock: lock)
    return .blocked
  }

  func release(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, mode: LockMode, flavor: LockFlavor,
               lock: Int, flags: Int?, name: String, at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    var op: String { "\(name)(&\(program.locks[lock].name)\(flags == nil ? "" : ", flags"))" }
    if mode == .read {
      guard let i = s.lockQueues[lock].readers.firstIndex(of: ref) else {
        return .bug(bug(.unlockNotHeld, "\(op): this context does not hold \(program.locks[lock].name) for read (\(holderText(s, lock: lock)))", s, ref, cpu: cpu, at: loc))
      }
      s.lockQueues[lock].readers.remove(at: i)
    } else {
      guard s.locks[lock].owner == ref else {
        return .bug(bug(.unlockNotHeld, "\(op): this context does not hold \(program.locks[lock].name) (\(holderText(s, lock: lock)))", s, ref, cpu: cpu, at: loc))
      }
      s.locks[lock].owner = .none
    }
    s[ref].preempt -= 1
    record(&log, s, .released, ref, cpu: cpu, at: loc, op, "released", lock: lock)
    switch flavor {
    case .plain: return .done
    case .irq: s[ref].irqsOff = false; return .done
    case .irqsave: s[ref].irqsOff = (flags ?? 0) & Machine.eflagsIF == 0; return .done
    case .bh: return bhEnable(&s, ref, cpu: cpu, at: loc, log: &log, recordAs: nil)
    }
  }

  /// "held by task hotplug on cpu0" / "free".
  func holderText(_ s: MachineState, lock: Int) -> String {
    let l = s.locks[lock]
    let q = s.lockQueues[lock]
    var parts: [String] = []
    if !l.owner.isNone { parts.append("held by \(describe(s, l.owner))") }
    if !q.readers.isEmpty { parts.append("read-held by " + q.readers.map { describe(s, $0) }.joined(separator: ", ")) }
    let writers = waitingWriters(s, lock: lock)
    if !writers.isEmpty { parts.append("writer waiting: " + writers.map { describe(s, $0) }.joined(separator: ", ")) }
    if !l.pendingWriter.isNone { parts.append("writer pending: \(describe(s, l.pendingWriter))") }
    if !q.waiters.isEmpty {
      parts.append("queued: " + q.waiters.map { "task \(program.tasks[Int($0.task)].name)\($0.mode == .write ? " (write)" : $0.mode == .read ? " (read)" : "")" }.joined(separator: ", "))
    }
    return parts.isEmpty ? "free" : parts.joined(separator: "; ")
  }
}
