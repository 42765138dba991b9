/// Names for contexts, call chains and bug reports, in the terms a kernel developer uses.
extension Machine {
  /// "task hotplug", "hardirq dmar", "softirq RCU_SOFTIRQ" (with " on cpuN" when placed).
  public func describe(_ s: MachineState, _ ref: ContextRef, withCPU: Bool = true) -> String {
    let base = contextName(s, ref)
    guard withCPU, let cpu = s.cpu(of: ref) else { return base }
    return "\(base) on cpu\(cpu)"
  }

  public func contextName(_ s: MachineState, _ ref: ContextRef) -> String {
    switch s[ref].kind {
    case .task(let t): return "task \(program.tasks[t].name)"
    case .hardirq(let src): return "hardirq \(program.irqs[src].name)"
    case .ipi: return "hardirq irq_work"
    case .softirq:
      let v = Int(s[ref].vector)
      return v >= 0 ? "softirq \(program.softirqs[v].name)" : "softirq"
    }
  }

  /// The function names on a context's stack, entry first.
  public func chainNames(_ c: Context) -> [String] {
    c.frames.map { program.functions[Int($0.function)].name }
  }

  /// The source position a context is at.
  public func location(_ c: Context) -> SourceLocation? {
    guard let f = c.topFunctionPC else { return nil }
    let code = program.functions[Int(f.function)].code
    return Int(f.pc) < code.count ? code[Int(f.pc)].location : nil
  }

  /// Interrupt sources that ran out of firings but could arrive now (their CPU has interrupts
  /// enabled). A stuck state with such a source is the edge of the bounds, not a hang: one more
  /// tick might expire the timer everybody waits for.
  public func exhaustedSources(_ s: MachineState) -> [String] {
    program.irqs.indices.filter { i in
      s.firesLeft[i] == 0 && irqCanArrive(s, source: i, cpu: program.irqs[i].cpu)
    }.map { program.irqs[$0].name }
  }

  /// Contexts and tasks left waiting in a state where nothing can run.
  public func stuckContexts(_ s: MachineState) -> [ContextRef] {
    var refs = liveContexts(s)
    for t in s.tasks.indices where s.cpu(of: .task(t)) == nil {
      let parked = isParked(s, task: t)
      if s.tasks[t].status != .done && !parked { refs.append(.task(t)) }
    }
    return refs
  }

  /// "task x sleeps (state 2) in wait_for_completion", "task y spins on l", ...
  public func stuckDescription(_ s: MachineState) -> [String] {
    stuckContexts(s).map { r in
      let c = s[r]
      var text = describe(s, r)
      if c.spinningOn >= 0 { text += " spins on \(program.locks[Int(c.spinningOn)].name)" }
      if r.isTask {
        let t = s.tasks[r.taskIndex]
        switch t.status {
        case .sleeping:
          if t.waitLock >= 0 {
            text += " sleeps on \(program.locks[Int(t.waitLock)].name) (\(holderText(s, lock: Int(t.waitLock))))"
          } else {
            text += t.waitGP >= 0 ? " sleeps waiting for RCU grace period \(t.waitGP)" : " sleeps"
          }
          let chain = chainNames(c)
          if !chain.isEmpty { text += " in \(chain.joined(separator: " > "))" }
          // Where the sleeping call was made: the frame below schedule().
          if c.frames.count >= 2 {
            let f = c.frames[c.frames.count - 2]
            let code = program.functions[Int(f.function)].code
            if f.pc > 0 && Int(f.pc) <= code.count { text += " (called at \(code[Int(f.pc) - 1].location))" }
          }
        case .ready(let cpu): text += cpu >= 0 ? " is runnable on cpu\(cpu) but never runs" : " never ran"
        default: break
        }
      }
      return text
    }
  }

  func bug(_ kind: Bug.Kind, _ message: String, _ s: MachineState, _ ref: ContextRef, cpu: Int?,
           at loc: SourceLocation?) -> Bug {
    let exists = ref.isTask ? ref.taskIndex < s.tasks.count : (ref.cpu < s.cpus.count && ref.level < s.cpus[ref.cpu].stack.count)
    let chain = exists ? chainNames(s[ref]) : []
    let where_ = loc ?? (exists ? location(s[ref]) : nil)
    let who = exists ? describe(s, ref) : "cpu\(cpu ?? 0)"
    return Bug(kind: kind, message: "\(who): \(message)", context: ref, cpu: cpu, chain: chain, location: where_)
  }

  /// Appends an event when a log is kept. The texts are autoclosures: the explorer steps
  /// without a log, and formatting them eagerly (holder descriptions, operation strings) cost
  /// 2-4% of its instructions.
  func record(_ log: inout EventLog?, _ s: MachineState, _ kind: Event.Kind, _ ref: ContextRef, cpu: Int,
              at loc: SourceLocation?, _ operation: @autoclosure () -> String, _ outcome: @autoclosure () -> String, lock: Int = -1) {
    guard log != nil else { return }
    let exists = ref.isTask || (ref.level < s.cpus[cpu].stack.count)
    let chain = exists ? chainNames(s[ref]) : []
    let name = exists ? contextName(s, ref) : "cpu\(cpu)"
    let depth = ref.isTask ? 0 : ref.level + (s.cpus[cpu].current >= 0 ? 1 : 0)
    log!.events.append(Event(kind: kind, cpu: cpu, context: ref, contextName: name, depth: depth, chain: chain, location: loc,
                             operation: operation(), outcome: outcome(), lock: lock))
  }
}
