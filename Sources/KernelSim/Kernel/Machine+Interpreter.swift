/// Executing a context's code: one visible operation per step, with the invisible (local-only)
/// instructions after it fused into the same step.
extension Machine {
  /// Runs one step of context `ref` on `cpu`: its pending visible instruction, then local
  /// instructions up to the next visible one (or the context's end).
  func run(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, branch: Int, log: inout EventLog?) -> Bug? {
    // Function and pc only: binding the whole frame or function copied them (a retain of the
    // frame's locals, and of the function's name, local names and code) on every step. The
    // instruction is read in place (`InstructionTable`).
    guard let (function, pc) = s.topFrame(ref) else {
      return finish(&s, ref, cpu: cpu, log: &log)
    }
    let instr = code.at(function: function, pc: pc)
    s.reserveRoomForCalls(ref)
    var advancePC = true
    // The flat form (`FlatOp`): matching `instr.pointee.op` copied its payload.
    switch code.flat(instr) {
    case .either:
      guard case .either(let arms) = instr.pointee.op else { preconditionFailure("flat and compiled code disagree") }
      s.setPC(ref, Int32(arms[min(branch, arms.count - 1)]))
      advancePC = false
      record(&log, s, .branch, ref, cpu: cpu, at: instr.pointee.location, "either", "takes branch \(branch + 1) of \(arms.count)")
    case .primitive:
      switch runPrimitive(&s, ref, cpu: cpu, instr, log: &log) {
      case .done: break
      case .blocked: return nil
      case .bug(let b): return b
      }
      // The context left its CPU (it went to sleep): it resumes when picked again.
      if ref.isTask, s.cpus[cpu].current != Int32(ref.taskIndex) { return nil }
    default:
      if log != nil, case .store = code.flat(instr) {} else if log != nil {
        // A visible read of shared state (a condition, an assignment from a global).
        record(&log, s, .other, ref, cpu: cpu, at: instr.pointee.location, "reads shared state", "at \(instr.pointee.location.line):\(instr.pointee.location.column)")
      }
      if let bug = executeLocal(&s, ref, cpu: cpu, instr, advancePC: &advancePC, log: &log) { return bug }
    }
    if advancePC { s.advancePC(ref) }
    return advance(&s, ref, cpu: cpu, log: &log)
  }

  /// Executes invisible instructions until the context sits at a visible one or has finished.
  func advance(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, log: inout EventLog?) -> Bug? {
    var budget = Machine.maxInvisibleRun
    while let (function, pc) = s.topFrame(ref) {
      let instr = code.at(function: function, pc: pc)
      if instr.pointee.visible {
        guard fusesIntoStep(instr, s, ref, cpu: cpu) else { return nil }
        if let b = runFused(&s, ref, cpu: cpu, instr, log: &log) { return b }
        s.advancePC(ref)
        continue
      }
      budget -= 1
      if budget == 0 {
        return bug(.runaway, "\(Machine.maxInvisibleRun) instructions without a visible operation: an infinite loop over locals?", s, ref, cpu: cpu, at: instr.pointee.location)
      }
      var advancePC = true
      if let b = executeLocal(&s, ref, cpu: cpu, instr, advancePC: &advancePC, log: &log) { return b }
      if advancePC { s.advancePC(ref) }
    }
    // A context that ended while something runs above it (a softirq started by its own
    // local_bh_enable) finishes once it is back on top; see `resumeAfterPop`.
    if s.top(of: cpu) != ref { return nil }
    return finish(&s, ref, cpu: cpu, log: &log)
  }

  /// Whether visible operation `op`, reached at the end of a step, runs as part of that step.
  ///
  /// Only operations on this CPU's own context that enable interrupts or preemption, or leave
  /// them as they are: `local_irq_enable()`, `preempt_enable()`, and `local_irq_restore()` unless
  /// it turns interrupts off. No other CPU reads what they change, so they commute with every
  /// other CPU's step; and in the state just before one, this CPU can do nothing it cannot do
  /// just after it: no interrupt or preemption can start while interrupts or preemption are
  /// still off, and an operation that changes nothing is the same on either side. Dropping
  /// that state loses no behaviour (the state before a disabling operation is kept: an
  /// interrupt could land there and not after).
  func fusesIntoStep(_ instr: UnsafePointer<Instruction>, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Bool {
    guard fusesEnables, case .primitive(let p, let arguments, let count) = code.flat(instr) else { return false }
    switch p {
    case .localIrqEnable, .preemptEnable:
      return true
    case .localIrqRestore:
      guard count > 0, case .success(let flags) = evaluate(node: code.argument(arguments, 0), in: s, ref, cpu: cpu) else { return false }
      return !(flags & Machine.eflagsIF == 0 && !s[ref].irqsOff)
    default:
      return false
    }
  }

  /// Runs a fused visible primitive (`fusesIntoStep`) inside the step before it.
  func runFused(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ instr: UnsafePointer<Instruction>, log: inout EventLog?) -> Bug? {
    if case .bug(let b) = runPrimitive(&s, ref, cpu: cpu, instr, log: &log) { return b }
    return nil
  }

  /// Evaluates a primitive instruction's arguments and runs it: the one path for a step's
  /// pending primitive, a fused one and an invisible one (`might_sleep`).
  func runPrimitive(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ instr: UnsafePointer<Instruction>,
                    log: inout EventLog?) -> PrimitiveResult {
    guard case .primitive(let p, let arguments, let count) = code.flat(instr) else { return .done }
    var values = ArgValues()
    for k in 0..<Int(count) {
      switch evaluate(node: code.argument(arguments, k), in: s, ref, cpu: cpu) {
      case .success(let v): values.append(v)
      case .failure(let b): return .bug(b)
      }
    }
    let (name, out, result) = code.primitiveParts(instr)
    return primitive(&s, ref, cpu: cpu, p, name: name, values, out: out, result: result, at: instr.pointee.location, log: &log)
  }

  /// Executes one non-primitive instruction (possibly a visible global access).
  func executeLocal(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ instr: UnsafePointer<Instruction>,
                    advancePC: inout Bool, log: inout EventLog?) -> Bug? {
    switch code.flat(instr) {
    case .setLocal(let slot, let e):
      switch evaluate(node: e, in: s, ref, cpu: cpu) {
      case .success(let v): s.setLocal(ref, slot, v)
      case .failure(let b): return b
      }
    case .store(let lv, let e):
      let value: Int
      switch evaluate(node: e, in: s, ref, cpu: cpu) {
      case .success(let v): value = v
      case .failure(let b): return b
      }
      if let b = assign(&s, ref, cpu: cpu, lv, value, at: instr.pointee.location, log: &log) { return b }
    case .jump(let target):
      s.setPC(ref, Int32(target))
      advancePC = false
    case .branchIfFalse(let c, let target):
      switch evaluate(node: c, in: s, ref, cpu: cpu) {
      case .success(let v):
        if v == 0 { s.setPC(ref, Int32(target)); advancePC = false }
      case .failure(let b): return b
      }
    case .call(let function, let arguments, let count, let result):
      // Arguments are evaluated in the caller's frame into inline storage, then written into
      // the callee's frame on the context's stack (no array of locals per call).
      var values = ArgValues()
      for k in 0..<Int(count) {
        switch evaluate(node: code.argument(arguments, k), in: s, ref, cpu: cpu) {
        case .success(let v): values.append(v)
        case .failure(let b): return b
        }
      }
      if s.frameCount(ref) >= 64 {
        return bug(.runaway, "call depth 64 exceeded calling \(program.functions[function].name): unbounded recursion?", s, ref, cpu: cpu, at: instr.pointee.location)
      }
      s.advancePC(ref)
      advancePC = false
      s.pushFrame(ref, function: function, count: program.functions[function].localCount, arguments: values, result: result)
    case .returnValue(let e):
      var value = 0
      if e >= 0 {
        switch evaluate(node: e, in: s, ref, cpu: cpu) {
        case .success(let v): value = v
        case .failure(let b): return b
        }
      }
      let result = s.popFrame(ref)
      advancePC = false
      if result >= 0, s.frameCount(ref) > 0 {
        s.setLocal(ref, Int(result), value)
      }
    case .callIndirect(let fnExpr, let arguments, let count):
      let pointer: Int
      switch evaluate(node: fnExpr, in: s, ref, cpu: cpu) {
      case .success(let v): pointer = v
      case .failure(let b): return b
      }
      var values = ArgValues()
      for k in 0..<Int(count) {
        switch evaluate(node: code.argument(arguments, k), in: s, ref, cpu: cpu) {
        case .success(let v): values.append(v)
        case .failure(let b): return b
        }
      }
      if pointer == 0 {
        return bug(.badPointer, "call through a NULL function pointer", s, ref, cpu: cpu, at: instr.pointee.location)
      }
      guard let function = program.function(atValue: pointer),
            program.functions[function].parameterCount == values.count else {
        return bug(.badPointer, "call through a bad function pointer (\(pointer))", s, ref, cpu: cpu, at: instr.pointee.location)
      }
      if s.frameCount(ref) >= 64 {
        return bug(.runaway, "call depth 64 exceeded: unbounded recursion?", s, ref, cpu: cpu, at: instr.pointee.location)
      }
      s.advancePC(ref)
      advancePC = false
      s.pushFrame(ref, function: function, count: program.functions[function].localCount, arguments: values, result: -1)
    case .primitive where !instr.pointee.visible:
      // A primitive that only reads the context's own state (might_sleep) runs fused.
      if let b = runFused(&s, ref, cpu: cpu, instr, log: &log) { return b }
    case .either, .primitive:
      break  // handled by run()
    }
    return nil
  }

  /// Stores `value` where `lv` says: a local, or the global slot its expression evaluates to.
  func assign(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ lv: FlatLValue, _ value: Int,
              at loc: SourceLocation, log: inout EventLog?) -> Bug? {
    switch lv {
    case .local(let slot):
      s.setLocal(ref, slot, value)
    case .global(let slotExpr):
      switch evaluate(node: slotExpr, in: s, ref, cpu: cpu) {
      case .success(let slot) where slot <= 0 || slot >= s.globals.count:
        return bug(.badPointer, slot == 0 ? "store through NULL" : "store through a bad pointer (\(slot))", s, ref, cpu: cpu, at: loc)
      case .success(let slot):
        s.globals[slot] = value
        record(&log, s, .store, ref, cpu: cpu, at: loc, "\(program.globals[slot].name) = \(value)", "stored")
      case .failure(let b): return b
      }
    }
    return nil
  }

  // MARK: - Expressions

  func evaluate(_ e: CExpr, in s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    switch e {
    case .constant(let v): return .success(v)
    case .local(let slot): return .success(s.local(ref, slot))
    case .global(let slot): return .success(s.globals[slot])
    case .field(let base, let index):
      return evaluate(base, in: s, ref, cpu: cpu).flatMap { field(of: $0, index, s, ref, cpu: cpu) }
    case .load(let slot):
      return evaluate(slot, in: s, ref, cpu: cpu).flatMap { load($0, s, ref, cpu: cpu) }
    case .element(let base, let count, let index):
      return evaluate(index, in: s, ref, cpu: cpu).flatMap { element($0, base: base, count: count, s, ref, cpu: cpu) }
    case .unary(let op, let a):
      return evaluate(a, in: s, ref, cpu: cpu).map { v in Machine.apply(op, v) }
    case .binary(let op, let a, let b):
      if op == .and || op == .or {
        switch evaluate(a, in: s, ref, cpu: cpu) {
        case .success(let l):
          if op == .and && l == 0 { return .success(0) }
          if op == .or && l != 0 { return .success(1) }
          return evaluate(b, in: s, ref, cpu: cpu).map { $0 != 0 ? 1 : 0 }
        case .failure(let x): return .failure(x)
        }
      }
      switch (evaluate(a, in: s, ref, cpu: cpu), evaluate(b, in: s, ref, cpu: cpu)) {
      case (.success(let l), .success(let r)): return apply(op, l, r, s, ref, cpu: cpu)
      case (.failure(let x), _), (_, .failure(let x)): return .failure(x)
      }
    case .conditional(let c, let a, let b):
      switch evaluate(c, in: s, ref, cpu: cpu) {
      case .success(let v): return evaluate(v != 0 ? a : b, in: s, ref, cpu: cpu)
      case .failure(let x): return .failure(x)
      }
    case .query(let q):
      return .success(query(q, s, ref, cpu: cpu))
    case .containerOf(let p, let structName, let field):
      switch evaluate(p, in: s, ref, cpu: cpu) {
      case .success(let id):
        guard id > 0 && id < program.objects.count else {
          return .failure(bug(.assertion, "container_of(NULL)", s, ref, cpu: cpu, at: nil))
        }
        let o = program.objects[id]
        guard o.parent >= 0, o.parentField == field, program.objects[o.parent].structName == structName else {
          return .failure(bug(.assertion, "container_of(\(o.name), struct \(structName), ...): not inside a struct \(structName) at that field", s, ref, cpu: cpu, at: nil))
        }
        return .success(o.parent)
      case .failure(let b): return .failure(b)
      }
    }
  }

  /// `evaluate(_:in:_:cpu:)` for expression node `i` of the flat code (`FlatExpr`): the same
  /// values, the same bugs with the same messages.
  func evaluate(node i: Int32, in s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    switch code.node(i) {
    case .constant(let v): return .success(v)
    case .local(let slot): return .success(s.local(ref, slot))
    case .global(let slot): return .success(s.globals[slot])
    case .field(let base, let index):
      return evaluate(node: base, in: s, ref, cpu: cpu).flatMap { field(of: $0, index, s, ref, cpu: cpu) }
    case .load(let slot):
      return evaluate(node: slot, in: s, ref, cpu: cpu).flatMap { load($0, s, ref, cpu: cpu) }
    case .element(let base, let count, let index):
      return evaluate(node: index, in: s, ref, cpu: cpu).flatMap { element($0, base: base, count: count, s, ref, cpu: cpu) }
    case .unary(let op, let a):
      return evaluate(node: a, in: s, ref, cpu: cpu).map { v in Machine.apply(op, v) }
    case .binary(let op, let a, let b):
      if op == .and || op == .or {
        switch evaluate(node: a, in: s, ref, cpu: cpu) {
        case .success(let l):
          if op == .and && l == 0 { return .success(0) }
          if op == .or && l != 0 { return .success(1) }
          return evaluate(node: b, in: s, ref, cpu: cpu).map { $0 != 0 ? 1 : 0 }
        case .failure(let x): return .failure(x)
        }
      }
      switch (evaluate(node: a, in: s, ref, cpu: cpu), evaluate(node: b, in: s, ref, cpu: cpu)) {
      case (.success(let l), .success(let r)): return apply(op, l, r, s, ref, cpu: cpu)
      case (.failure(let x), _), (_, .failure(let x)): return .failure(x)
      }
    case .conditional(let c, let a, let b):
      switch evaluate(node: c, in: s, ref, cpu: cpu) {
      case .success(let v): return evaluate(node: v != 0 ? a : b, in: s, ref, cpu: cpu)
      case .failure(let x): return .failure(x)
      }
    case .query(let q):
      return .success(query(q, s, ref, cpu: cpu))
    case .other(let k, _):
      return evaluate(code.others[Int(k)], in: s, ref, cpu: cpu)
    }
  }

  /// The slot of field `index` of object `o` (shared by both evaluators, as the helpers below).
  @inline(__always) func field(of o: Int, _ index: Int, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    if o > 0 && o < program.objects.count && index < program.objects[o].fieldSlots.count { return .success(program.objects[o].fieldSlots[index]) }
    return .failure(bug(.badPointer, o == 0 ? "NULL pointer dereference" : "dereference of a bad pointer (\(o))", s, ref, cpu: cpu, at: nil))
  }

  /// The value in global slot `i` (a pointer read through).
  @inline(__always) func load(_ i: Int, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    if i > 0 && i < s.globals.count { return .success(s.globals[i]) }
    return .failure(bug(.badPointer, i == 0 ? "NULL pointer dereference" : "read through a bad pointer (\(i))", s, ref, cpu: cpu, at: nil))
  }

  /// Element `i` of a family of `count` starting at `base`, bounds-checked.
  @inline(__always) func element(_ i: Int, base: Int, count: Int, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    if i >= 0 && i < count { return .success(base + i) }
    return .failure(bug(.outOfBounds, "index \(i) is outside 0..<\(count)", s, ref, cpu: cpu, at: nil))
  }

  /// A unary operator on a value (shared by both evaluators).
  @inline(__always) static func apply(_ op: UnaryOp, _ v: Int) -> Int {
    switch op {
    case .not: return v == 0 ? 1 : 0
    case .negate: return 0 &- v  // wraps at Int.min, as two's complement does (`-v` trapped)
    case .complement: return ~v
    case .addressOf, .deref: return v
    }
  }

  /// A binary operator on two values, `&&` and `||` aside (they short-circuit): shared by
  /// both evaluators.
  @inline(__always) func apply(_ op: BinaryOp, _ l: Int, _ r: Int, _ s: MachineState, _ ref: ContextRef, cpu: Int) -> Result<Int, Bug> {
    switch op {
    case .add: return .success(l &+ r)
    case .subtract: return .success(l &- r)
    case .multiply: return .success(l &* r)
    case .divide, .modulo:
      if r == 0 { return .failure(bug(.assertion, "division by zero", s, ref, cpu: cpu, at: nil)) }
      // The one quotient that does not fit (x86's idiv raises #DE for it, as for zero);
      // Swift's `/` and `%` trapped, taking ksim down with it.
      if r == -1 && l == Int.min { return .failure(bug(.assertion, "division overflow (\(l) \(op.rawValue) -1)", s, ref, cpu: cpu, at: nil)) }
      return .success(op == .divide ? l / r : l % r)
    case .bitAnd: return .success(l & r)
    case .bitOr: return .success(l | r)
    case .bitXor: return .success(l ^ r)
    case .shiftLeft: return .success(l << (r & 63))
    case .shiftRight: return .success(l >> (r & 63))
    case .equal: return .success(l == r ? 1 : 0)
    case .notEqual: return .success(l != r ? 1 : 0)
    case .less: return .success(l < r ? 1 : 0)
    case .lessEqual: return .success(l <= r ? 1 : 0)
    case .greater: return .success(l > r ? 1 : 0)
    case .greaterEqual: return .success(l >= r ? 1 : 0)
    case .and, .or: return .success(0)
    }
  }
}

extension Bug: Error {}
