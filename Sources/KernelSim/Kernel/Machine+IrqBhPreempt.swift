/// Interrupt, bottom-half and preemption state (include/linux/irqflags.h, bottom_half.h,
/// preempt.h, kernel/softirq.c), and the context queries built on them.
extension Machine {
  /// `in_interrupt()`: in hardirq or softirq, or with bottom halves disabled anywhere on this
  /// CPU's context stack (the counts are one `preempt_count` on a real CPU).
  func inInterrupt(_ s: MachineState, cpu: Int) -> Bool {
    if !s.cpus[cpu].stack.isEmpty { return true }
    if s.cpus[cpu].current >= 0 { return s.tasks[Int(s.cpus[cpu].current)].context.bh > 0 }
    return false
  }

  /// preempt_count_add()'s CONFIG_DEBUG_PREEMPT check (kernel/sched/core.c, "Spinlock count
  /// overflowing soon?"): the preempt-disable depth has reached PREEMPT_MASK - 10.
  static let preemptWarnDepth: Int16 = 245
  /// local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET (two SOFTIRQ_OFFSETs) to preempt_count's
  /// eight softirq bits: 127 nestings fit, one more overflows into the hardirq count.
  static let maxBHDepth: Int16 = 127

  /// `preempt_disable()`'s count (also taken by every spinlock), with its overflow check.
  func preemptCountAdd(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation) -> Bug? {
    s[ref].preempt += 1
    guard s[ref].preempt < Machine.preemptWarnDepth else {
      return bug(.unbalancedState, "preempt count overflowing: \(s[ref].preempt) nested preempt_disable() or spinlocks (DEBUG_PREEMPT warns at \(Machine.preemptWarnDepth))",
                 s, ref, cpu: cpu, at: loc)
    }
    return nil
  }

  /// `local_bh_disable()`'s count (also taken by `spin_lock_bh`), with its overflow check.
  func bhCountAdd(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation) -> Bug? {
    guard s[ref].bh < Machine.maxBHDepth else {
      return bug(.unbalancedState, "softirq count overflow: more than \(Machine.maxBHDepth) nested local_bh_disable()", s, ref, cpu: cpu, at: loc)
    }
    s[ref].bh += 1
    return nil
  }

  func query(_ q: CExpr.Query, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Int {
    let stack = s.cpus[cpu].stack
    let taskBH = s.cpus[cpu].current >= 0 ? s.tasks[Int(s.cpus[cpu].current)].context.bh : 0
    let inHard = stack.contains { if case .softirq = $0.kind { return false } else { return true } }
    let serving = stack.contains { $0.kind == .softirq }
    switch q {
    case .smpProcessorId: return cpu
    case .inInterrupt: return inInterrupt(s, cpu: cpu) ? 1 : 0
    case .inHardirq: return inHard ? 1 : 0
    case .inSoftirq: return serving || taskBH > 0 || stack.contains { $0.bh > 0 } ? 1 : 0
    case .inServingSoftirq: return serving ? 1 : 0
    case .inTask: return ref.isTask && !inHard && !serving ? 1 : 0
    case .irqsDisabled: return s[ref].irqsOff ? 1 : 0
    case .preemptible:
      let c = s[ref]
      return ref.isTask && !c.irqsOff && c.preempt == 0 && c.bh == 0 ? 1 : 0
    case .current:
      return currentTaskObject(s, cpu: cpu)
    case .numPossibleCPUs:
      return program.cpuCount
    }
  }

  func primitive(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ p: Primitive, name: String,
                 _ values: ArgValues, out: FlatLValue?, result: Int?, at loc: SourceLocation,
                 log: inout EventLog?) -> PrimitiveResult {
    switch p {
    case .acquire(let kind, let mode, let flavor, let trylock):
      return acquire(&s, ref, cpu: cpu, kind: kind, mode: mode, flavor: flavor, trylock: trylock,
                     lock: values[0], name: name, out: out, result: result, at: loc, log: &log)
    case .release(_, let mode, let flavor):
      return release(&s, ref, cpu: cpu, mode: mode, flavor: flavor, lock: values[0],
                     flags: values.count > 1 ? values[1] : nil, name: name, at: loc, log: &log)
    case .localIrqDisable:
      s[ref].irqsOff = true
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "local_irq_disable()", "irqs off")
    case .localIrqEnable:
      s[ref].irqsOff = false
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "local_irq_enable()", "irqs on")
    case .localIrqSave:
      let flags = s[ref].irqsOff ? 0 : Machine.eflagsIF
      s[ref].irqsOff = true
      if let out, let b = assign(&s, ref, cpu: cpu, out, flags, at: loc, log: &log) { return .bug(b) }
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "local_irq_save(flags)", "irqs off (were \(flags == 0 ? "off" : "on"))")
    case .localIrqRestore:
      s[ref].irqsOff = values[0] & Machine.eflagsIF == 0
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "local_irq_restore(flags)", "irqs \(s[ref].irqsOff ? "off" : "on")")
    case .localBhDisable:
      if let b = bhCountAdd(&s, ref, cpu: cpu, at: loc) { return .bug(b) }
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "local_bh_disable()", "bh off")
    case .localBhEnable:
      return bhEnable(&s, ref, cpu: cpu, at: loc, log: &log, recordAs: "local_bh_enable()")
    case .preemptDisable:
      if let b = preemptCountAdd(&s, ref, cpu: cpu, at: loc) { return .bug(b) }
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "preempt_disable()", "preempt count \(s[ref].preempt)")
    case .preemptEnable:
      if s[ref].preempt == 0 {
        return .bug(bug(.unbalancedState, "preempt_enable() without a matching preempt_disable()", s, ref, cpu: cpu, at: loc))
      }
      s[ref].preempt -= 1
      record(&log, s, .irqState, ref, cpu: cpu, at: loc, "preempt_enable()", "preempt count \(s[ref].preempt)")
    case .raiseSoftirq(let irqsOffVariant):
      if irqsOffVariant && !s[ref].irqsOff {
        return .bug(bug(.invalidContext, "raise_softirq_irqoff() called with interrupts enabled", s, ref, cpu: cpu, at: loc))
      }
      let v = values[0]
      s.cpus[cpu].softirqPending |= 1 << UInt32(v)
      record(&log, s, .softirqRaised, ref, cpu: cpu, at: loc, "\(name)(\(program.softirqs[v].name))",
             inInterrupt(s, cpu: cpu) ? "pending" : "pending (ksoftirqd is not modelled: runs at the next irq exit or bh enable)")
    case .assertion(let fatal):
      if values[0] != 0 {
        return .bug(bug(.assertion, "\(fatal ? "BUG_ON" : "WARN_ON") triggered", s, ref, cpu: cpu, at: loc))
      }
    case .relax:
      record(&log, s, .other, ref, cpu: cpu, at: loc, "\(name)()", "")
    case .atomic(let op):
      return atomicOp(&s, ref, cpu: cpu, op, values, result: result, at: loc, log: &log)
    case .list(let op):
      return listOp(&s, ref, cpu: cpu, op, values, result: result, at: loc, log: &log)
    case .sched(let op):
      return sched(&s, ref, cpu: cpu, op, values, result: result, at: loc, log: &log)
    case .rcu(let op):
      return rcu(&s, ref, cpu: cpu, op, values, result: result, at: loc, log: &log)
    case .sleepLock(let op):
      return sleepLock(&s, ref, cpu: cpu, op, values, result: result, name: name, at: loc, log: &log)
    case .mightSleep:
      if let b = mightSleep(s, ref, cpu: cpu, at: loc) { return .bug(b) }
    case .msleep:
      return msleep(&s, ref, cpu: cpu, at: loc, log: &log)
    case .irqWorkRaise:
      s.cpus[cpu].ipiPending = true
      record(&log, s, .other, ref, cpu: cpu, at: loc, "arch_irq_work_raise()", "self-IPI pending on cpu\(cpu)")
    }
    return .done
  }

  /// `__local_bh_enable_ip`: warns in hardirq or with irqs off; when the count drops to zero
  /// outside interrupt context with softirqs pending, runs them right here (`do_softirq`).
  func bhEnable(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation,
                log: inout EventLog?, recordAs: String?) -> PrimitiveResult {
    if case .hardirq = s[ref].kind {
      return .bug(bug(.invalidContext, "local_bh_enable() in hardirq context (WARN_ON_ONCE(in_hardirq()))", s, ref, cpu: cpu, at: loc))
    }
    if s[ref].bh == 0 {
      return .bug(bug(.unbalancedState, "local_bh_enable() without a matching local_bh_disable()", s, ref, cpu: cpu, at: loc))
    }
    if s[ref].irqsOff {
      return .bug(bug(.invalidContext, "local_bh_enable() with interrupts disabled (lockdep_assert_irqs_enabled)", s, ref, cpu: cpu, at: loc))
    }
    s[ref].bh -= 1
    if let recordAs { record(&log, s, .irqState, ref, cpu: cpu, at: loc, recordAs, s[ref].bh == 0 ? "bh on" : "bh count \(s[ref].bh)") }
    if !inInterrupt(s, cpu: cpu) && s.cpus[cpu].softirqPending != 0 {
      if let b = softirqStart(&s, cpu: cpu, log: &log) { return .bug(b) }
    }
    return .done
  }
}
