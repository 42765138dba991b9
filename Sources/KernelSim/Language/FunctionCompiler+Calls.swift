/// Calls: user functions, kernel primitives, context queries and per-CPU accessors.
extension FunctionCompiler {
  mutating func compileCall(_ e: Expr, asStatement: Bool) -> Typed? {
    guard case .call(let callee, let args) = e.kind else { return nil }
    if let slot = lookupLocal(callee), localTypes[slot] == .function {
      guard asStatement else {
        error(.wrongType, e.location, "a call through a function pointer has no value in ksim; call it as a statement")
        return nil
      }
      compileIndirectCall(Expr(kind: .name(callee), location: e.location), args, at: e.location)
      return Typed(expr: .constant(0), type: .void, lvalue: nil)
    }
    if let q = Builtin.queries[callee] {
      if !args.isEmpty { error(.wrongArgument, e.location, "\(callee)() takes no arguments") }
      return Typed(expr: .query(q), type: (q == .smpProcessorId || q == .numPossibleCPUs) ? .int : .bool, lvalue: nil)
    }
    switch callee {
    case "per_cpu", "per_cpu_ptr", "this_cpu_ptr":
      return perCPUAccess(callee, args, at: e.location)
    case "irqs_disabled_flags":
      // include/linux/irqflags.h: true when the saved flags had interrupts off (X86_EFLAGS_IF clear).
      guard args.count == 1 else {
        error(.wrongArgument, e.location, "irqs_disabled_flags takes 1 argument (flags), got \(args.count)")
        return nil
      }
      guard let f = rvalue(args[0], expecting: .int) else { return nil }
      return Typed(expr: .binary(.equal, .binary(.bitAnd, f.expr, .constant(Machine.eflagsIF)), .constant(0)),
                   type: .bool, lvalue: nil)
    default: break
    }
    if let b = Builtin.table[callee] { return builtinCall(callee, b, args, at: e.location) }
    guard let sig = checker.functionsByName[callee] else {
      error(.unknownName, e.location, "unknown function '\(callee)'")
      return nil
    }
    guard args.count == sig.parameterTypes.count else {
      error(.wrongArgument, e.location, "'\(callee)' takes \(sig.parameterTypes.count) argument\(sig.parameterTypes.count == 1 ? "" : "s"), got \(args.count)")
      return nil
    }
    var compiled: [CExpr] = []
    for (a, t) in zip(args, sig.parameterTypes) {
      guard let v = rvalue(a, expecting: t) else { return nil }
      compiled.append(v.expr)
    }
    var result: Int?
    if sig.returnType != .void && !asStatement { result = temporary(sig.returnType) }
    if sig.returnType == .void && !asStatement {
      error(.wrongType, e.location, "'\(callee)' returns void; its value cannot be used")
      return nil
    }
    let visible = compiled.contains { $0.readsShared }
    emit(.call(function: sig.index, arguments: compiled, result: result), at: e.location, visible: visible)
    return Typed(expr: result.map { .local($0) } ?? .constant(0), type: sig.returnType, lvalue: nil)
  }

  mutating func perCPUAccess(_ callee: String, _ args: [Expr], at loc: SourceLocation) -> Typed? {
    let wantArgs = callee == "this_cpu_ptr" ? 1 : 2
    guard args.count == wantArgs else {
      error(.wrongArgument, loc, "\(callee) takes \(wantArgs) argument\(wantArgs == 1 ? "" : "s"), got \(args.count)")
      return nil
    }
    var target = args[0]
    if callee != "per_cpu" {
      guard case .unary(.addressOf, let inner) = target.kind else {
        error(.wrongArgument, args[0].location, "\(callee) takes the address of a per-CPU variable: \(callee)(&name\(wantArgs == 2 ? ", cpu" : ""))")
        return nil
      }
      target = inner
    }
    guard case .name(let n) = target.kind, case .family(let base, let count, let element, true)? = checker.globalsByName[n] else {
      error(.wrongArgument, args[0].location, "\(callee) needs a variable declared with DEFINE_PER_CPU")
      return nil
    }
    let index: CExpr
    if callee == "this_cpu_ptr" { index = .query(.smpProcessorId) } else {
      guard let i = rvalue(args[1], expecting: .int) else { return nil }
      index = i.expr
    }
    let el = familyElement(base: base, count: count, element: element, index: index)
    if callee == "per_cpu" { return el }
    guard !element.isScalar else {
      error(.wrongArgument, loc, "\(callee) of a scalar per-CPU variable is not supported; use per_cpu(\(n), cpu)")
      return nil
    }
    return Typed(expr: el.expr, type: .pointer(element), lvalue: nil)
  }

  mutating func builtinCall(_ callee: String, _ b: Builtin, _ args: [Expr], at loc: SourceLocation) -> Typed? {
    guard args.count == b.arguments.count else {
      error(.wrongArgument, loc, "\(callee) takes \(b.arguments.count) argument\(b.arguments.count == 1 ? "" : "s"), got \(args.count)")
      return nil
    }
    var compiled: [CExpr] = []
    var out: LValue?
    for (a, kind) in zip(args, b.arguments) {
      switch kind {
      case .lock(let want):
        guard let t = expression(a) else { return nil }
        switch t.type {
        case .pointer(.lock(let have)) where have == want:
          compiled.append(t.expr)
        case .pointer(.lock(let have)):
          error(.wrongArgument, a.location, "\(callee) expects a \(want.rawValue) *, but this is a \(have.rawValue) *\(LockKind.hint(for: have, callee: callee))")
          return nil
        case .lock:
          error(.wrongArgument, a.location, "\(callee) expects a pointer to a lock: write '&' before it")
          return nil
        default:
          error(.wrongArgument, a.location, "\(callee) expects a \(want.rawValue) *, found \(t.type)")
          return nil
        }
      case .outFlags:
        guard let t = expression(a), let lv = t.lvalue, t.type == .int else {
          error(.wrongArgument, a.location, "\(callee) stores the saved irq state in an integer variable (unsigned long flags)")
          return nil
        }
        out = lv
      case .value:
        guard let v = rvalue(a, expecting: .int) else { return nil }
        compiled.append(v.expr)
      case .anyLock:
        guard let t = expression(a), case .pointer(.lock) = t.type else {
          error(.wrongArgument, a.location, "\(callee) expects a pointer to a lock")
          return nil
        }
        compiled.append(t.expr)
      case .list:
        guard let t = expression(a), t.type == .pointer(.list) else {
          error(.wrongArgument, a.location, "\(callee) expects a pointer to a struct list_head (write '&head')")
          return nil
        }
        compiled.append(t.expr)
      case .object, .task:
        guard let t = expression(a) else { return nil }
        let ok: Bool
        switch t.type {
        case .pointer(.object(let s)): ok = kind == .object || s == "task_struct" || s == "*"
        case .int: ok = true  // NULL
        default: ok = false
        }
        guard ok else {
          error(.wrongArgument, a.location, "\(callee) expects \(kind == .task ? "a struct task_struct *" : "a pointer to an object"), found \(t.type)")
          return nil
        }
        compiled.append(t.expr)
      case .intPointer:
        guard let t = expression(a), t.type == .pointer(.int) else {
          error(.wrongArgument, a.location, "\(callee) expects a pointer to an int variable or field (write '&x')")
          return nil
        }
        compiled.append(t.expr)
      case .softirqVector:
        guard case .name(let n) = a.kind, let idx = checker.softirqIndex[n] else {
          let known = checker.softirqIndex.keys.sorted().joined(separator: ", ")
          error(.unknownName, a.location, "\(callee) needs a softirq vector declared with 'softirq NAME => action;'\(known.isEmpty ? "" : " (declared: \(known))")")
          return nil
        }
        compiled.append(.constant(idx))
      }
    }
    var result: Int?
    if b.returns != .void { result = temporary(b.returns) }
    // might_sleep() only checks the caller's own context state, which no other context changes:
    // it is independent of every other step and need not be an interleaving point.
    let visible = b.primitive != .mightSleep
    emit(.primitive(b.primitive, name: callee, arguments: compiled, out: out, result: result), at: loc, visible: visible)
    return Typed(expr: result.map { .local($0) } ?? .constant(0), type: b.returns, lvalue: nil)
  }
}

extension LockKind {
  /// A nudge toward the right API family when the lock kind does not match the call.
  static func hint(for have: LockKind, callee: String) -> String {
    switch have {
    case .spinlock: return " (use spin_\(callee.split(separator: "_").dropFirst(callee.hasPrefix("raw_") ? 2 : 1).joined(separator: "_")))"
    case .rawSpinlock: return " (use raw_spin_\(callee.split(separator: "_").dropFirst(callee.hasPrefix("raw_") ? 2 : 1).joined(separator: "_")))"
    case .mutex: return " (use mutex_lock/mutex_unlock)"
    case .rwsem: return " (use down_read/down_write/up_read/up_write)"
    case .percpuRwsem: return " (use percpu_down_read/percpu_down_write/...)"
    case .rwlock: return " (use read_\(callee.split(separator: "_").dropFirst(callee.hasPrefix("raw_") ? 2 : 1).joined(separator: "_")) or write_...)"
    }
  }
}
