/// Tasks: picked by an idle CPU, run in process context, and checked when they exit.
/// (The full scheduler with sleep, wakeup and preemption builds on this.)
extension Machine {
  /// `cpu` picks runnable `task`: it starts, or resumes after the `schedule()` it slept in.
  func startTask(_ s: inout MachineState, task: Int, cpu: Int, log: inout EventLog?) -> Bug? {
    let entry = program.tasks[task].entry
    s.tasks[task].status = .running(cpu: cpu)
    s.tasks[task].cpu = Int8(cpu)
    s.tasks[task].onRQ = true
    let fresh = s.tasks[task].context.hasNoFrame
    if fresh {
      s.tasks[task].context.push(function: Int32(entry), count: program.functions[entry].localCount, result: -1)
    }
    s.cpus[cpu].current = Int32(task)
    if log != nil {
      record(&log, s, .taskStart, .task(task), cpu: cpu, at: fresh ? program.functions[entry].location : location(s.tasks[task].context),
             "schedule()", "\(fresh ? "picks" : "switches to") task \(program.tasks[task].name)")
    }
    return advance(&s, .task(task), cpu: cpu, log: &log)
  }

  /// A context's code has returned from its entry function.
  func finish(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, log: inout EventLog?) -> Bug? {
    switch s[ref].kind {
    case .task(let t):
      if let b = checkBalanced(s, ref, cpu: cpu, what: "task \(program.tasks[t].name) exited") { return b }
      record(&log, s, .taskExit, ref, cpu: cpu, at: nil, "return", "task \(program.tasks[t].name) exits")
      s.tasks[t].status = .done
      s.cpus[cpu].current = -1
      return nil
    case .hardirq(let src):
      return hardirqExit(&s, source: src, ref, cpu: cpu, log: &log)
    case .ipi:
      return hardirqExit(&s, source: -1, ref, cpu: cpu, log: &log)
    case .softirq:
      return softirqActionDone(&s, ref, cpu: cpu, log: &log)
    }
  }

  /// A context leaving must hold no lock and have restored irq/bh/preempt state and left every
  /// RCU read-side section. For the last: do_exit() (kernel/exit.c) runs exit_rcu(), which
  /// quietly ends a PREEMPT_RCU section the task left open, and with lockdep
  /// debug_check_no_locks_held() reports it ("still has locks held": rcu_read_lock() acquires
  /// rcu_lock_map). ksim reports it as lockdep does; it has no exit_rcu(), so an exited task
  /// left inside a section would otherwise block grace periods forever.
  ///
  /// `what` is only built for a report: every task exit, handler return and softirq action
  /// passes here.
  func checkBalanced(_ s: MachineState, _ ref: ContextRef, cpu: Int, what: @autoclosure () -> String,
                     irqsOffExpected: Bool = false) -> Bug? {
    // Whether it holds anything, without building the list of what (the usual answer is no).
    let holdsAny = s.locks.contains { $0.owner == ref } || s.lockQueues.entries.contains { $0.queues.readers.contains(ref) }
    let held = holdsAny ? s.locks.indices.filter { s.locks[$0].owner == ref || s.lockQueues[$0].readers.contains(ref) } : []
    if !held.isEmpty {
      let what = what()
      let names = held.map { program.locks[$0].name }.joined(separator: ", ")
      return bug(.exitHoldingLock, "\(what) holding \(names)", s, ref, cpu: cpu, at: nil)
    }
    let c = s[ref]
    var problems: [String] = []
    if c.irqsOff != irqsOffExpected { problems.append(irqsOffExpected ? "interrupts enabled" : "interrupts disabled") }
    if c.preempt != 0 { problems.append("preempt count \(c.preempt)") }
    if c.bh != 0 { problems.append("bh disabled (count \(c.bh))") }
    if c.rcuDepth != 0 { problems.append("inside rcu_read_lock() (nesting \(c.rcuDepth))") }
    if !problems.isEmpty {
      return bug(.unbalancedState, "\(what()) with \(problems.joined(separator: ", "))", s, ref, cpu: cpu, at: nil)
    }
    return nil
  }
}
