/// Hardirqs: arrival wherever the CPU has interrupts enabled, the handler with interrupts off,
/// and `irq_exit` running pending softirqs when not already in interrupt context
/// (kernel/irq/handle.c `__handle_irq_event_percpu`, kernel/softirq.c `__irq_exit_rcu`).
extension Machine {
  /// Source `source` may fire on `cpu` now: the running context has interrupts enabled and the
  /// line is not already in its handler (the irq is masked while its handler runs).
  func irqCanArrive(_ s: MachineState, source: Int, cpu: Int) -> Bool {
    if let top = s.top(of: cpu), s.irqsOff(top) { return false }
    return !s.cpus[cpu].stack.contains { $0.kind == .hardirq(source) }
  }

  func hardirqEnter(_ s: inout MachineState, source: Int, log: inout EventLog?) -> Bug? {
    let src = program.irqs[source]
    let cpu = src.cpu
    guard s.cpus[cpu].stack.count < Int(ContextRef.maxInterruptDepth) else {
      return bug(.invalidContext, "interrupt nesting deeper than \(ContextRef.maxInterruptDepth)", s, .interrupt(cpu: cpu, level: 0), cpu: cpu, at: nil)
    }
    s.firesLeft[source] -= 1
    let fn = program.functions[src.handler]
    s.cpus[cpu].stack.append(Context(kind: .hardirq(source), entry: src.handler, locals: fn.localCount, irqsOff: true))
    let ref = ContextRef.interrupt(cpu: cpu, level: s.cpus[cpu].stack.count - 1)
    record(&log, s, .irqEnter, ref, cpu: cpu, at: fn.location, "interrupt", "enters \(fn.name)")
    return advance(&s, ref, cpu: cpu, log: &log)
  }

  func hardirqExit(_ s: inout MachineState, source: Int, _ ref: ContextRef, cpu: Int, log: inout EventLog?) -> Bug? {
    let srcName = source >= 0 ? program.irqs[source].name : "IRQ_WORK_VECTOR"
    let name = program.functions[source >= 0 ? program.irqs[source].handler : (program.ipiHandler ?? 0)].name
    if s[ref].irqsOff == false {
      return bug(.invalidContext, "irq \(srcName) handler \(name) enabled interrupts", s, ref, cpu: cpu, at: nil)
    }
    if let b = checkBalanced(s, ref, cpu: cpu, what: "hardirq handler \(name) returned", irqsOffExpected: true) { return b }
    record(&log, s, .irqExit, ref, cpu: cpu, at: nil, "irq_exit()", "hardirq \(srcName) returns")
    s.cpus[cpu].stack.removeLast()
    if !inInterrupt(s, cpu: cpu) && s.cpus[cpu].softirqPending != 0 {
      return softirqStart(&s, cpu: cpu, log: &log)
    }
    return resumeAfterPop(&s, cpu: cpu, log: &log)
  }

  /// After an interrupt context leaves, the context below resumes; if it had already reached
  /// its end while interrupted, it finishes now.
  func resumeAfterPop(_ s: inout MachineState, cpu: Int, log: inout EventLog?) -> Bug? {
    if let top = s.top(of: cpu), s[top].hasNoFrame, s[top].spinningOn < 0 {
      return finish(&s, top, cpu: cpu, log: &log)
    }
    return nil
  }
}
