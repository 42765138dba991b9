/// RCU (kernel/rcu/tree.c, tree_plugin.h), abstracted to what decides deadlocks:
/// - `call_rcu()` queues on the calling CPU and needs a grace period that starts after it;
/// - a grace period ends once every CPU has reported a quiescent state (context switch, idle,
///   or a tick that interrupted a task with preemption, bh and irqs enabled outside any
///   `rcu_read_lock()`), and no task preempted or blocked inside a read-side section remains
///   (PREEMPT_RCU's blocked-tasks list);
/// - ready callbacks run in RCU_SOFTIRQ on the CPU that queued them, raised from its tick.
/// Grace periods start as soon as one is needed (the GP kthread's start latency only delays
/// them, which the explorer covers through the bounded ticks that run callbacks).
extension Machine {
  func rcu(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ op: RCUOp, _ values: ArgValues, result: Int?,
           at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    func setResult(_ v: Int) { if let result { s.setLocal(ref, result, v) } }
    switch op {
    case .readLock:
      guard s[ref].rcuDepth < Int8.max else {
        return .bug(bug(.unbalancedState, "rcu_read_lock() nested \(Int8.max) deep (ksim counts no deeper)", s, ref, cpu: cpu, at: loc))
      }
      s[ref].rcuDepth += 1
    case .readUnlock:
      guard s[ref].rcuDepth > 0 else {
        return .bug(bug(.unbalancedState, "rcu_read_unlock() without rcu_read_lock()", s, ref, cpu: cpu, at: loc))
      }
      s[ref].rcuDepth -= 1
    case .readLockHeld:
      setResult(s[ref].rcuDepth > 0 ? 1 : 0)
    case .enqueue:
      guard values[0] > 0 && values[0] < program.objects.count else {
        return .bug(bug(.badPointer, "call_rcu() on \(values[0] == 0 ? "NULL" : "a bad pointer (\(values[0]))")", s, ref, cpu: cpu, at: loc))
      }
      let gp = rcuGPNeededFromNow(&s)
      s.cpus[cpu].rcuCallbacks.append(RCUCallback(head: Int32(values[0]), gp: gp))
      record(&log, s, .rcu, ref, cpu: cpu, at: loc, "call_rcu(\(program.objects[values[0]].name))", "queued on cpu\(cpu), runs after grace period \(gp)")
    case .schedClockIrq:
      // rcu_sched_clock_irq(): a tick that interrupted a quiescent task reports a QS; ready
      // callbacks raise RCU_SOFTIRQ.
      let chain = s.chain(of: cpu)
      if chain.count >= 2, chain[0].isTask {
        let c = s[chain[0]]
        if c.preempt == 0 && c.bh == 0 && !c.irqsOff && c.rcuDepth == 0 && c.spinningOn < 0 && chain.count == 2 {
          rcuReportQS(&s, cpu: cpu)
        }
      }
      if let v = program.rcuSoftirq, s.cpus[cpu].rcuCallbacks.contains(where: { $0.gp <= s.rcu.gpSeq }) {
        s.cpus[cpu].softirqPending |= 1 << UInt32(v)
        record(&log, s, .softirqRaised, ref, cpu: cpu, at: loc, "rcu_sched_clock_irq()", "callbacks ready: RCU_SOFTIRQ pending")
      }
    case .dequeueReady:
      if let i = s.cpus[cpu].rcuCallbacks.firstIndex(where: { $0.gp <= s.rcu.gpSeq }) {
        let cb = s.cpus[cpu].rcuCallbacks.remove(at: i)
        setResult(Int(cb.head))
        record(&log, s, .callback, ref, cpu: cpu, at: loc, "rcu_do_batch()", "invokes the callback of \(program.objects[Int(cb.head)].name)")
      } else {
        setResult(0)
      }
    case .waitGP:
      guard ref.isTask else {
        return .bug(bug(.sleepInAtomic, "synchronize_rcu() outside task context", s, ref, cpu: cpu, at: loc))
      }
      let t = ref.taskIndex
      s.tasks[t].waitGP = rcuGPNeededFromNow(&s)
      s.tasks[t].state = 2
      s.tasks[t].onRQ = false
      record(&log, s, .sleeps, ref, cpu: cpu, at: loc, "synchronize_rcu()", "waits for grace period \(s.tasks[t].waitGP)")
      return contextSwitch(&s, ref, cpu: cpu, at: loc, log: &log)
    }
    return .done
  }

  /// The grace period a request made now must wait for, starting one if none is running.
  func rcuGPNeededFromNow(_ s: inout MachineState) -> Int16 {
    if s.rcu.gpActive { return s.rcu.gpSeq + 2 }
    rcuStartGP(&s)
    return s.rcu.gpSeq + 1
  }

  func rcuStartGP(_ s: inout MachineState) {
    s.rcu.gpActive = true
    s.rcu.qsNeeded = UInt16((1 << program.cpuCount) - 1)
    rcuReportIdle(&s)
  }

  func rcuReportQS(_ s: inout MachineState, cpu: Int) {
    guard s.rcu.gpActive, s.rcu.qsNeeded & (1 << UInt16(cpu)) != 0 else { return }
    s.rcu.qsNeeded &= ~(1 << UInt16(cpu))
    rcuMaybeEndGP(&s)
  }

  /// rcu_note_context_switch(): a context switch is a quiescent state for this CPU.
  func rcuNoteContextSwitch(_ s: inout MachineState, cpu: Int) {
    rcuReportQS(&s, cpu: cpu)
  }

  /// An idle CPU is in an extended quiescent state (the GP kthread's scan reports it).
  func rcuReportIdle(_ s: inout MachineState) {
    guard s.rcu.gpActive else { return }
    for c in s.cpus.indices where s.cpus[c].current < 0 && s.cpus[c].stack.isEmpty {
      s.rcu.qsNeeded &= ~(1 << UInt16(c))
    }
    rcuMaybeEndGP(&s)
  }

  /// Tasks preempted or asleep inside `rcu_read_lock()`: they block every grace period.
  func rcuBlockedReaders(_ s: MachineState) -> [Int] {
    s.tasks.indices.filter { t in
      switch s.tasks[t].status {
      case .running, .done: return false
      default: break
      }
      return s.tasks[t].context.rcuDepth > 0
    }
  }

  func rcuMaybeEndGP(_ s: inout MachineState) {
    guard s.rcu.gpActive, s.rcu.qsNeeded == 0, rcuBlockedReaders(s).isEmpty else { return }
    s.rcu.gpActive = false
    s.rcu.gpSeq += 1
    // Wake synchronize_rcu() waiters whose grace period is over (wakeme_after_rcu -> complete).
    for t in s.tasks.indices where s.tasks[t].waitGP >= 0 && s.tasks[t].waitGP <= s.rcu.gpSeq {
      s.tasks[t].waitGP = -1
      s.tasks[t].waitFor = -1
      s.tasks[t].state = Machine.taskRunning
      s.tasks[t].onRQ = true
      if s.tasks[t].status == .sleeping { s.tasks[t].status = .ready(cpu: Int(s.tasks[t].cpu)) }
    }
    let waiting = s.cpus.contains { $0.rcuCallbacks.contains { $0.gp > s.rcu.gpSeq } } || s.tasks.contains { $0.waitGP > s.rcu.gpSeq }
    if waiting { rcuStartGP(&s) }
  }

  /// After every step: idle CPUs report, and a blocked reader that left its section may end
  /// the grace period.
  func rcuAfterStep(_ s: inout MachineState) {
    if s.rcu.gpActive { rcuReportIdle(&s) }
  }
}
