/// The scheduler's native core (kernel/sched/core.c), under the paths the prelude writes out:
/// task state (`__state`, `on_rq`, `task_cpu`), runqueue membership, the context switch, picking
/// the next task, and explorer-injected preemption.
///
/// `try_to_wake_up()` and `schedule()` themselves are prelude functions that take `p->pi_lock`
/// and `rq->__lock` exactly as the kernel does and call these primitives for the parts that only
/// change scheduler bookkeeping.
extension Machine {
  static let taskRunning: Int32 = 0

  /// `struct task_struct *` of the task running on (or interrupted on) `cpu`; 0 when idle.
  func currentTaskObject(_ s: MachineState, cpu: Int) -> Int {
    let t = s.cpus[cpu].current
    return t >= 0 ? program.tasks[Int(t)].object : 0
  }

  /// The task whose task_struct is object `object`.
  func task(ofObject object: Int) -> Int? {
    program.tasks.firstIndex { $0.object == object }
  }

  func sched(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ op: SchedOp, _ values: ArgValues, result: Int?,
             at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    func setResult(_ v: Int) { if let result { s.setLocal(ref, result, v) } }
    func taskArg(_ i: Int) -> Int? {
      guard values.count > i, let t = task(ofObject: values[i]) else { return nil }
      return t
    }
    switch op {
    case .waitsFor:
      guard ref.isTask else {
        return .bug(bug(.invalidContext, "__waits_for() outside task context", s, ref, cpu: cpu, at: loc))
      }
      guard values[0] > 0 && values[0] < s.globals.count else {
        return .bug(bug(.badPointer, "__waits_for() through a bad pointer (\(values[0]))", s, ref, cpu: cpu, at: loc))
      }
      s.tasks[ref.taskIndex].waitFor = Int32(values[0])
    case .setCurrentState, .setCurrentStateRaw:
      guard ref.isTask else {
        return .bug(bug(.invalidContext, "\(op.rawValue)() outside task context", s, ref, cpu: cpu, at: loc))
      }
      // `p->__state` is an unsigned int: the value is truncated to it, as C's assignment does.
      s.tasks[ref.taskIndex].state = Int32(truncatingIfNeeded: values[0])
    case .taskState, .taskOnRQ, .taskCPU, .selectTaskRQ, .ttwuSetRunning, .ttwuDoActivate:
      guard let t = taskArg(0) else {
        return .bug(bug(.invalidContext, "\(op.rawValue)(): not a task", s, ref, cpu: cpu, at: loc))
      }
      switch op {
      case .taskState: setResult(Int(s.tasks[t].state))
      case .taskOnRQ: setResult(s.tasks[t].onRQ ? 1 : 0)
      case .taskCPU: setResult(Int(s.tasks[t].cpu))
      case .selectTaskRQ:
        // A bound kthread or pinned task goes to its CPU; otherwise where it last ran.
        setResult(program.tasks[t].cpu ?? Int(s.tasks[t].cpu))
      case .ttwuSetRunning:
        s.tasks[t].state = Machine.taskRunning
        s.tasks[t].waitFor = -1
        record(&log, s, .wakeup, ref, cpu: cpu, at: loc, "ttwu_runnable(\(program.tasks[t].name))", "still on its runqueue: TASK_RUNNING")
      case .ttwuDoActivate:
        let target = values[1]
        guard target >= 0 && target < program.cpuCount else {
          return .bug(bug(.outOfBounds, "ttwu_do_activate(): cpu \(target) out of range", s, ref, cpu: cpu, at: loc))
        }
        s.tasks[t].state = Machine.taskRunning
        s.tasks[t].onRQ = true
        s.tasks[t].cpu = Int8(target)
        s.tasks[t].waitGP = -1
        s.tasks[t].waitFor = -1
        if s.tasks[t].status == .sleeping { s.tasks[t].status = .ready(cpu: target) }
        record(&log, s, .wakeup, ref, cpu: cpu, at: loc, "ttwu_do_activate(\(program.tasks[t].name), \(target))", "task \(program.tasks[t].name) runnable on cpu\(target)")
      default: break
      }
    case .deactivate:
      // __schedule(): a task that is not TASK_RUNNING leaves the runqueue (deactivate_task).
      guard ref.isTask else { return .done }
      if s.tasks[ref.taskIndex].state != Machine.taskRunning { s.tasks[ref.taskIndex].onRQ = false }
    case .contextSwitch:
      return contextSwitch(&s, ref, cpu: cpu, at: loc, log: &log)
    }
    return .done
  }

  /// `context_switch()`: a task that left its runqueue gives up the CPU. Only legal where the
  /// kernel may schedule: task context, preemption, bottom halves and interrupts enabled.
  func contextSwitch(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, at loc: SourceLocation,
                     log: inout EventLog?) -> PrimitiveResult {
    guard ref.isTask, s.cpus[cpu].stack.isEmpty else {
      return .bug(bug(.sleepInAtomic, "schedule() called from interrupt context", s, ref, cpu: cpu, at: loc))
    }
    let t = ref.taskIndex
    // Read in place, and the report built only for a bug: copying the context, and a copy of
    // every lock's queues to look for this task among its readers, came to a hundred retains
    // and releases for every task that went to sleep.
    let preempt = s.tasks[t].context.preempt, bh = s.tasks[t].context.bh, irqsOff = s.tasks[t].context.irqsOff
    // Sleeping locks may be held across a sleep; spinning ones may not.
    func holdsSpinning(_ l: Int) -> Bool {
      !program.locks[l].kind.sleeps && (s.locks[l].owner == ref || s.lockQueues[l].readers.contains(ref))
    }
    let holdsAny = s.locks.indices.contains { !program.locks[$0].kind.sleeps && s.locks[$0].owner == ref }
      || s.lockQueues.entries.contains { !program.locks[Int($0.lock)].kind.sleeps && $0.queues.readers.contains(ref) }
    if preempt > 0 || bh > 0 || irqsOff || holdsAny {
      var problems: [String] = []
      if preempt > 0 { problems.append("preempt count \(preempt)") }
      if bh > 0 { problems.append("bh disabled") }
      if irqsOff { problems.append("interrupts disabled") }
      let held = s.locks.indices.filter(holdsSpinning)
      if !held.isEmpty { problems.append("holding " + held.map { program.locks[$0].name }.joined(separator: ", ")) }
      return .bug(bug(.sleepInAtomic, "scheduling while atomic (\(problems.joined(separator: ", ")))", s, ref, cpu: cpu, at: loc))
    }
    guard !s.tasks[t].onRQ else {
      // Woken before it could sleep: keeps running. rcu_note_context_switch() still runs; a
      // task inside rcu_read_lock() stays a reader, so only a task outside one reports a QS.
      if s.tasks[t].context.rcuDepth == 0 { rcuNoteContextSwitch(&s, cpu: cpu) }
      return .done
    }
    s.tasks[t].status = .sleeping
    s.cpus[cpu].current = -1
    // Off the CPU: a task inside rcu_read_lock() is now a blocked reader holding up every grace
    // period, and the CPU has passed a quiescent state.
    rcuNoteContextSwitch(&s, cpu: cpu)
    s.advancePC(ref)  // resumes after the switch when woken
    record(&log, s, .sleeps, ref, cpu: cpu, at: loc, "schedule()", "task \(program.tasks[t].name) sleeps (state \(s.tasks[t].state))")
    return .blocked
  }

  /// Preemption injected by the explorer: the running task goes back to its runqueue.
  func preempt(_ s: inout MachineState, cpu: Int, log: inout EventLog?) -> Bug? {
    let t = Int(s.cpus[cpu].current)
    s.preemptionsLeft -= 1
    s.tasks[t].status = .ready(cpu: cpu)
    s.cpus[cpu].current = -1
    rcuNoteContextSwitch(&s, cpu: cpu)
    if log != nil {
      record(&log, s, .preempted, .task(t), cpu: cpu, at: location(s.tasks[t].context), "preempt_schedule_irq()", "task \(program.tasks[t].name) is preempted")
    }
    return nil
  }

  /// Whether the running task of `cpu` may be preempted here (CONFIG_PREEMPT: preempt count,
  /// bh count zero, irqs on, nothing stacked above it) and another task is waiting for this CPU.
  func canPreempt(_ s: MachineState, cpu: Int) -> Bool {
    guard s.preemptionsLeft > 0, s.cpus[cpu].stack.isEmpty, s.cpus[cpu].current >= 0 else { return false }
    let t = Int(s.cpus[cpu].current)
    guard s.tasks[t].context.preempt == 0, s.tasks[t].context.bh == 0, !s.tasks[t].context.irqsOff,
          s.tasks[t].context.spinningOn < 0, !s.tasks[t].context.hasNoFrame else { return false }
    return s.tasks.indices.contains { isPickable(s, task: $0, cpu: cpu) }
  }

  func isPickable(_ s: MachineState, task t: Int, cpu: Int) -> Bool {
    guard case .ready(let c) = s.tasks[t].status else { return false }
    if c == cpu { return true }
    return c == -1 && (program.tasks[t].cpu == nil || program.tasks[t].cpu == cpu)
  }
}
