/// Softirqs (kernel/softirq.c `__do_softirq`): run on top of the interrupted context with
/// interrupts enabled and bottom halves disabled, taking the pending mask, clearing it, and
/// running each set vector's action in vector order; re-reading the mask up to
/// MAX_SOFTIRQ_RESTART times. ksoftirqd is not modelled: softirqs left pending after that, or
/// raised from task context, run at the next irq exit or bh enable on that CPU.
extension Machine {
  /// Pushes a softirq context on `cpu` and starts its first action.
  func softirqStart(_ s: inout MachineState, cpu: Int, log: inout EventLog?) -> Bug? {
    var ctx = Context(kind: .softirq, frames: [], irqsOff: false)
    ctx.batch = s.cpus[cpu].softirqPending
    s.cpus[cpu].softirqPending = 0
    s.cpus[cpu].stack.append(ctx)
    let ref = ContextRef.interrupt(cpu: cpu, level: s.cpus[cpu].stack.count - 1)
    record(&log, s, .softirqEnter, ref, cpu: cpu, at: nil, "__do_softirq()", "softirq runs " + vectorNames(ctx.batch))
    return nextAction(&s, ref, cpu: cpu, log: &log)
  }

  /// Starts the next action of the batch, re-reads the pending mask, or leaves.
  func nextAction(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, log: inout EventLog?) -> Bug? {
    if s[ref].batch == 0, s.cpus[cpu].softirqPending != 0, s[ref].restarts < Machine.maxSoftirqRestart {
      s[ref].batch = s.cpus[cpu].softirqPending
      s.cpus[cpu].softirqPending = 0
      s[ref].restarts += 1
    }
    let batch = s[ref].batch
    guard batch != 0 else {
      record(&log, s, .softirqExit, ref, cpu: cpu, at: nil, "__do_softirq() returns", "softirq done")
      s.cpus[cpu].stack.removeLast()
      return resumeAfterPop(&s, cpu: cpu, log: &log)
    }
    let v = batch.trailingZeroBitCount
    s[ref].batch = batch & ~(1 << UInt32(v))
    s[ref].vector = Int8(v)
    let handler = program.softirqs[v].handler
    s[ref].restart(function: handler, locals: program.functions[handler].localCount)
    record(&log, s, .actionStart, ref, cpu: cpu, at: program.functions[handler].location,
           "\(program.softirqs[v].name) action", "runs \(program.functions[handler].name)")
    return advance(&s, ref, cpu: cpu, log: &log)
  }

  func softirqActionDone(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, log: inout EventLog?) -> Bug? {
    let v = Int(s[ref].vector)
    let name = v >= 0 ? program.functions[program.softirqs[v].handler].name : "softirq"
    if let b = checkBalanced(s, ref, cpu: cpu, what: "softirq action \(name) returned") { return b }
    s[ref].vector = -1
    return nextAction(&s, ref, cpu: cpu, log: &log)
  }

  func vectorNames(_ mask: UInt32) -> String {
    program.softirqs.indices.filter { mask & (1 << UInt32($0)) != 0 }.map { program.softirqs[$0].name }.joined(separator: ", ")
  }
}
