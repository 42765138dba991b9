/// irq_work's self-IPI (kernel/irq_work.c, arch_irq_work_raise): queued work is run by a hardirq
/// handler (`__sysvec_irq_work` in the prelude) as soon as the CPU has interrupts enabled. The
/// queueing, claiming and coalescing are prelude code over atomics and lists.
extension Machine {
  func ipiCanArrive(_ s: MachineState, cpu: Int) -> Bool {
    guard s.cpus[cpu].ipiPending, program.ipiHandler != nil else { return false }
    if let top = s.top(of: cpu), s.irqsOff(top) { return false }
    return !s.cpus[cpu].stack.contains { $0.kind == .ipi }
  }

  func ipiEnter(_ s: inout MachineState, cpu: Int, log: inout EventLog?) -> Bug? {
    guard let handler = program.ipiHandler else { return nil }
    s.cpus[cpu].ipiPending = false
    let fn = program.functions[handler]
    s.cpus[cpu].stack.append(Context(kind: .ipi, entry: handler, locals: fn.localCount, irqsOff: true))
    let ref = ContextRef.interrupt(cpu: cpu, level: s.cpus[cpu].stack.count - 1)
    record(&log, s, .irqEnter, ref, cpu: cpu, at: fn.location, "IRQ_WORK_VECTOR", "enters \(fn.name)")
    return advance(&s, ref, cpu: cpu, log: &log)
  }
}
