/// Lowers one function body to flat instructions, resolving names through the checker.
///
/// Calls inside expressions are hoisted into temporaries in evaluation order (so
/// `if (spin_trylock(&l))` works), and `&&`/`||` with calls on the right become branches so the
/// call only happens when C would evaluate it.
struct FunctionCompiler {
  var checker: Checker
  let name: String
  let returnType: ValueType
  var code: [Instruction] = []
  var localNames: [String] = []
  var localTypes: [ValueType] = []
  var scopes: [[String: Int]] = [[:]]

  init(checker: Checker, name: String, returnType: ValueType) {
    self.checker = checker
    self.name = name
    self.returnType = returnType
  }

  /// A compiled expression with its static type, and how to store to it if it is an lvalue.
  struct Typed {
    var expr: CExpr
    var type: ValueType
    var lvalue: LValue?
  }

  // MARK: - Emission helpers

  mutating func emit(_ op: Instruction.Op, at loc: SourceLocation, visible: Bool) {
    code.append(Instruction(op: op, location: loc, visible: visible))
  }

  mutating func error(_ kind: Diagnostic.Kind, _ loc: SourceLocation, _ message: String) {
    checker.diagnostics.error(kind, at: loc, message)
  }

  @discardableResult
  mutating func declareLocal(_ name: String, type: ValueType, at loc: SourceLocation) -> Int {
    if scopes[scopes.count - 1][name] != nil {
      error(.duplicateName, loc, "'\(name)' is already declared in this scope")
    }
    let slot = localNames.count
    localNames.append(name)
    localTypes.append(type)
    scopes[scopes.count - 1][name] = slot
    return slot
  }

  mutating func temporary(_ type: ValueType) -> Int {
    let slot = localNames.count
    localNames.append("$t\(slot)")
    localTypes.append(type)
    return slot
  }

  func lookupLocal(_ name: String) -> Int? {
    for s in scopes.reversed() { if let v = s[name] { return v } }
    return nil
  }

  // MARK: - Statements

  mutating func compileBlock(_ body: [Stmt], newScope: Bool = true) {
    if newScope { scopes.append([:]) }
    for s in body { compileStatement(s) }
    if newScope { scopes.removeLast() }
  }

  mutating func compileStatement(_ s: Stmt) {
    switch s.kind {
    case .local(let tr, let n, let nloc, let initial):
      guard let t = checker.resolveType(tr) else { return }
      guard t.isScalar else {
        error(.wrongType, nloc, "local '\(n)' of type \(t): locks and objects must be globals (locals hold int, bool or pointers)")
        return
      }
      var value = CExpr.constant(0)
      if let e = initial, let v = rvalue(e, expecting: t) { value = v.expr }
      let slot = declareLocal(n, type: t, at: nloc)
      emit(.setLocal(slot, value), at: s.location, visible: value.readsShared)
    case .expression(let e):
      if case .callValue(let f, let args) = e.kind {
        compileIndirectCall(f, args, at: e.location)
      } else if case .call(let name, let args) = e.kind, name == "wait_event" || name == "wait_event_interruptible" {
        compileWaitEvent(args, at: e.location)
      } else if case .call = e.kind { _ = compileCall(e, asStatement: true) } else {
        error(.wrongType, e.location, "expression statement has no effect (expected a call or an assignment)")
      }
    case .assign(let targetExpr, let op, let valueExpr):
      guard let target = expression(targetExpr) else { return }
      guard let lv = target.lvalue, target.type.isScalar else {
        error(.wrongType, targetExpr.location, "cannot assign to this expression (expected a variable or an int/bool/pointer field)")
        return
      }
      guard var value = rvalue(valueExpr, expecting: target.type) else { return }
      if op != .assign {
        let bop: BinaryOp = [.add: .add, .subtract: .subtract, .or: .bitOr, .and: .bitAnd][op]!
        value = Typed(expr: .binary(bop, target.expr, value.expr), type: .int, lvalue: nil)
      }
      store(lv, value.expr, at: s.location)
    case .ifElse(let c, let then, let otherwise):
      guard let cond = condition(c) else { return }
      let branch = code.count
      emit(.branchIfFalse(cond, -1), at: c.location, visible: cond.readsShared)
      compileBlock(then)
      if let otherwise {
        let jump = code.count
        emit(.jump(-1), at: s.location, visible: false)
        patch(branch, to: code.count)
        compileBlock(otherwise)
        patch(jump, to: code.count)
      } else {
        patch(branch, to: code.count)
      }
    case .whileLoop(let c, let body):
      let top = code.count
      guard let cond = condition(c) else { return }
      let branch = code.count
      emit(.branchIfFalse(cond, -1), at: c.location, visible: cond.readsShared)
      compileBlock(body)
      emit(.jump(top), at: s.location, visible: false)
      patch(branch, to: code.count)
    case .either(let branches):
      if branches.count > Checker.maxEitherArms {
        error(.invalidDeclaration, s.location, "too many arms in 'either': at most \(Checker.maxEitherArms) (the explorer records each choice in 32 bits)")
      }
      let at = code.count
      emit(.either([]), at: s.location, visible: true)
      var starts: [Int] = []
      var exits: [Int] = []
      for b in branches {
        starts.append(code.count)
        compileBlock(b)
        exits.append(code.count)
        emit(.jump(-1), at: s.location, visible: false)
      }
      code[at].op = .either(starts)
      for e in exits { patch(e, to: code.count) }
    case .returnValue(let e):
      if let e {
        if returnType == .void {
          error(.wrongType, e.location, "'\(name)' returns void but a value is returned")
          return
        }
        guard let v = rvalue(e, expecting: returnType) else { return }
        emit(.returnValue(v.expr), at: s.location, visible: v.expr.readsShared)
      } else {
        if returnType != .void { error(.wrongType, s.location, "'\(name)' must return a \(returnType)") }
        emit(.returnValue(nil), at: s.location, visible: false)
      }
    case .block(let body):
      compileBlock(body)
    }
  }

  mutating func patch(_ index: Int, to target: Int) {
    switch code[index].op {
    case .jump: code[index].op = .jump(target)
    case .branchIfFalse(let c, _): code[index].op = .branchIfFalse(c, target)
    default: break
    }
  }

  mutating func store(_ lv: LValue, _ value: CExpr, at loc: SourceLocation) {
    switch lv {
    case .local(let slot): emit(.setLocal(slot, value), at: loc, visible: value.readsShared)
    case .global: emit(.store(lv, value), at: loc, visible: true)
    }
  }

  mutating func condition(_ e: Expr) -> CExpr? {
    guard let t = expression(e) else { return nil }
    guard t.type.isScalar else {
      error(.wrongType, e.location, "a condition must be an int, bool or pointer, not \(t.type)")
      return nil
    }
    return t.expr
  }

  /// Compiles `e` as a value of (or convertible to) `type`.
  mutating func rvalue(_ e: Expr, expecting type: ValueType) -> Typed? {
    guard let t = expression(e) else { return nil }
    if !compatible(t.type, type) {
      error(.wrongType, e.location, "expected a value of type \(type), found \(t.type)")
      return nil
    }
    // An int becomes a function pointer only as NULL: any other value names no function (a
    // call through it is a bad-pointer finding at run time, or worse, another function's
    // index plus one). C takes 0 without a cast and rejects other integers the same way.
    if type == .function, t.type == .int {
      guard case .constant(0) = t.expr else {
        error(.wrongType, e.location, "expected a function (or NULL), found an int: only 0 converts to a function pointer")
        return nil
      }
    }
    return t
  }

  func compatible(_ have: ValueType, _ want: ValueType) -> Bool {
    if have == want { return true }
    switch (have, want) {
    case (.int, .bool), (.bool, .int): return true
    case (.int, .pointer), (.int, .function): return true   // NULL / 0
    case (.pointer(.object("*")), .pointer(.object)), (.pointer(.object), .pointer(.object("*"))): return true
    default: return false
    }
  }

  // MARK: - Expressions

  mutating func expression(_ e: Expr) -> Typed? {
    switch e.kind {
    case .integer(let v):
      return Typed(expr: .constant(v), type: .int, lvalue: nil)
    case .name(let n):
      return name(n, at: e.location)
    case .unary(.addressOf, let inner):
      guard let t = expression(inner) else { return nil }
      switch t.type {
      case .lock, .object, .list: return Typed(expr: t.expr, type: .pointer(t.type), lvalue: nil)
      case .int, .bool, .function, .pointer:
        // &counter: the slot of a global int (for atomics and bitops).
        if case .global(let slot)? = t.lvalue { return Typed(expr: slot, type: .pointer(.int), lvalue: nil) }
        error(.wrongType, e.location, "cannot take the address of a local: only globals and fields have addresses")
        return nil
      default:
        error(.wrongType, e.location, "cannot take the address of a \(t.type) (only locks and objects have addresses in ksim)")
        return nil
      }
    case .unary(.deref, let inner):
      guard let t = expression(inner) else { return nil }
      guard case .pointer(let pointee) = t.type else {
        error(.wrongType, e.location, "cannot dereference a \(t.type)")
        return nil
      }
      // A pointer to a scalar holds its slot (as `&x` gives atomics): `*p` reads that slot. A
      // pointer to a struct stands for the object itself.
      if pointee.isScalar { return Typed(expr: .load(t.expr), type: pointee, lvalue: .global(t.expr)) }
      return Typed(expr: t.expr, type: pointee, lvalue: nil)
    case .unary(let op, let inner):
      guard let t = expression(inner) else { return nil }
      guard t.type.isScalar else {
        error(.wrongType, e.location, "operator '\(op.rawValue)' needs an int or bool, found \(t.type)")
        return nil
      }
      return Typed(expr: .unary(op, t.expr), type: op == .not ? .bool : .int, lvalue: nil)
    case .binary(let op, let a, let b):
      if (op == .and || op == .or) && containsCall(b) { return shortCircuit(op, a, b, at: e.location) }
      guard let ta = expression(a), let tb = expression(b) else { return nil }
      for (t, x) in [(ta, a), (tb, b)] where !t.type.isScalar {
        error(.wrongType, x.location, "operator '\(op.rawValue)' needs an int, bool or pointer, found \(t.type)")
        return nil
      }
      let boolOps: Set<BinaryOp> = [.and, .or, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual]
      return Typed(expr: .binary(op, ta.expr, tb.expr), type: boolOps.contains(op) ? .bool : .int, lvalue: nil)
    case .conditional(let c, let a, let b):
      guard let tc = condition(c), let ta = expression(a), let tb = expression(b) else { return nil }
      return Typed(expr: .conditional(tc, ta.expr, tb.expr), type: ta.type, lvalue: nil)
    case .call:
      return compileCall(e, asStatement: false)
    case .callValue:
      error(.wrongType, e.location, "a call through a function pointer has no value in ksim; call it as a statement")
      return nil
    case .containerOf(let ptr, let tr, let member):
      guard let p = expression(ptr), case .pointer = p.type else {
        error(.wrongType, ptr.location, "container_of needs a pointer")
        return nil
      }
      guard let t = checker.resolveType(tr), case .object(let s) = t, let info = checker.structs[s] else {
        error(.wrongType, tr.location, "container_of needs a struct type")
        return nil
      }
      guard let fi = info.fieldIndex[member] else {
        error(.unknownName, e.location, "struct \(s) has no field '\(member)'")
        return nil
      }
      return Typed(expr: .containerOf(p.expr, structName: s, field: fi), type: .pointer(.object(s)), lvalue: nil)
    case .member(let base, let field, let arrow):
      guard var b = expression(base) else { return nil }
      if arrow {
        guard case .pointer(let pointee) = b.type else {
          error(.wrongType, e.location, "'->' needs a pointer to a struct, found \(b.type)")
          return nil
        }
        b = Typed(expr: b.expr, type: pointee, lvalue: nil)
      }
      guard case .object(let s) = b.type, let info = checker.structs[s] else {
        error(.wrongType, e.location, "'\(arrow ? "->" : ".")\(field)' needs a struct\(arrow ? " pointer" : ""), found \(b.type)\(arrow ? "" : (b.type.isPointer ? " (use '->')" : ""))")
        return nil
      }
      guard let fi = info.fieldIndex[field] else {
        let known = info.decl.fields.map(\.name).joined(separator: ", ")
        error(.unknownName, e.location, "struct \(s) has no field '\(field)' (fields: \(known))")
        return nil
      }
      let ft = info.fieldTypes[fi]
      let slot = CExpr.field(b.expr, fi)
      if ft.isScalar { return Typed(expr: .load(slot), type: ft, lvalue: .global(slot)) }
      return Typed(expr: slot, type: ft, lvalue: nil)
    case .index(let base, let idx):
      guard case .name(let n) = base.kind, lookupLocal(n) == nil,
            case .family(let b, let count, let element, _)? = checker.globalsByName[n] else {
        error(.wrongType, e.location, "only global arrays can be indexed")
        return nil
      }
      guard let i = rvalue(idx, expecting: .int) else { return nil }
      return familyElement(base: b, count: count, element: element, index: i.expr)
    }
  }

  func familyElement(base: Int, count: Int, element: ValueType, index: CExpr) -> Typed {
    let el = CExpr.element(base: base, count: count, index: index)
    if element.isScalar { return Typed(expr: .load(el), type: element, lvalue: .global(el)) }
    return Typed(expr: el, type: element, lvalue: nil)
  }

  /// `wait_event(wq, cond)`: the kernel's ___wait_event() loop, over the prelude's
  /// prepare_to_wait()/finish_wait():
  ///     might_sleep(); done = 0;
  ///     while (!done) { prepare_to_wait(&wq); if (cond) done = 1; else schedule(); }
  ///     finish_wait(&wq);
  mutating func compileWaitEvent(_ args: [Expr], at loc: SourceLocation) {
    guard args.count == 2 else {
      error(.wrongArgument, loc, "wait_event takes 2 arguments (the wait queue head and the condition), got \(args.count)")
      return
    }
    let wq = Expr(kind: .unary(.addressOf, args[0]), location: args[0].location)
    let doneName = "__wait_done\(code.count)"
    func call(_ n: String, _ a: [Expr]) -> Stmt { Stmt(kind: .expression(Expr(kind: .call(n, a), location: loc)), location: loc) }
    let done = Expr(kind: .name(doneName), location: loc)
    let one = Expr(kind: .integer(1), location: loc)
    let body: [Stmt] = [
      call("might_sleep", []),
      Stmt(kind: .local(TypeRef(base: "int", pointerDepth: 0, location: loc), name: doneName, nameLocation: loc, initial: nil), location: loc),
      Stmt(kind: .whileLoop(Expr(kind: .unary(.not, done), location: loc), [
        call("prepare_to_wait", [wq]),
        Stmt(kind: .ifElse(args[1], [Stmt(kind: .assign(target: done, .assign, one), location: loc)], [call("schedule", [])]), location: loc),
      ]), location: loc),
      call("finish_wait", [wq]),
    ]
    compileBlock(body)
  }

  mutating func compileIndirectCall(_ f: Expr, _ args: [Expr], at loc: SourceLocation) {
    guard let fn = expression(f) else { return }
    guard fn.type == .function else {
      error(.wrongType, f.location, "only a function pointer can be called, this is a \(fn.type)")
      return
    }
    var compiled: [CExpr] = []
    for a in args {
      guard let v = expression(a) else { return }
      guard v.type.isScalar else {
        error(.wrongArgument, a.location, "pass a pointer or an int, not a \(v.type)")
        return
      }
      compiled.append(v.expr)
    }
    emit(.callIndirect(fn.expr, arguments: compiled), at: loc, visible: fn.expr.readsShared || compiled.contains { $0.readsShared })
  }

  mutating func name(_ n: String, at loc: SourceLocation) -> Typed? {
    if let slot = lookupLocal(n) {
      return Typed(expr: .local(slot), type: localTypes[slot], lvalue: .local(slot))
    }
    if n == "current" {
      return Typed(expr: .query(.current), type: .pointer(.object("task_struct")), lvalue: nil)
    }
    if checker.globalsByName[n] == nil, let sig = checker.functionsByName[n] {
      checker.addressTaken.insert(sig.index)
      return Typed(expr: .constant(Program.functionValue(sig.index)), type: .function, lvalue: nil)
    }
    switch checker.globalsByName[n] {
    case .list(let id)?: return Typed(expr: .constant(id), type: .list, lvalue: nil)
    case .lock(let id, let k)?: return Typed(expr: .constant(id), type: .lock(k), lvalue: nil)
    case .object(let id, let s)?: return Typed(expr: .constant(id), type: .object(s), lvalue: nil)
    case .scalar(let slot, let t)?: return Typed(expr: .global(slot), type: t, lvalue: .global(.constant(slot)))
    case .family(_, _, _, let perCPU)?:
      error(.wrongType, loc, perCPU ? "'\(n)' is per-CPU: use per_cpu(\(n), cpu) or this_cpu_ptr(&\(n))" : "'\(n)' is an array: index it")
      return nil
    case nil:
      if checker.softirqIndex[n] != nil {
        error(.wrongType, loc, "softirq vector '\(n)' can only be passed to raise_softirq")
        return nil
      }
      error(.unknownName, loc, "unknown name '\(n)'")
      return nil
    }
  }

  func containsCall(_ e: Expr) -> Bool {
    switch e.kind {
    case .call(let n, let args):
      return Builtin.queries[n] == nil || args.contains(where: containsCall)
    case .integer, .name: return false
    case .callValue: return true
    case .containerOf(let a, _, _): return containsCall(a)
    case .unary(_, let a): return containsCall(a)
    case .binary(_, let a, let b), .index(let a, let b): return containsCall(a) || containsCall(b)
    case .conditional(let a, let b, let c): return containsCall(a) || containsCall(b) || containsCall(c)
    case .member(let a, _, _): return containsCall(a)
    }
  }

  /// `a && f()` / `a || f()`: evaluate `f()` only when C would.
  mutating func shortCircuit(_ op: BinaryOp, _ a: Expr, _ b: Expr, at loc: SourceLocation) -> Typed? {
    guard let ta = condition(a) else { return nil }
    let tmp = temporary(.bool)
    emit(.setLocal(tmp, .binary(.notEqual, ta, .constant(0))), at: loc, visible: ta.readsShared)
    let skip = code.count
    emit(.branchIfFalse(op == .and ? .local(tmp) : .unary(.not, .local(tmp)), -1), at: loc, visible: false)
    guard let tb = condition(b) else { return nil }
    emit(.setLocal(tmp, .binary(.notEqual, tb, .constant(0))), at: loc, visible: tb.readsShared)
    patch(skip, to: code.count)
    return Typed(expr: .local(tmp), type: .bool, lvalue: nil)
  }
}

extension ValueType {
  var isPointer: Bool { if case .pointer = self { return true } else { return false } }
}
