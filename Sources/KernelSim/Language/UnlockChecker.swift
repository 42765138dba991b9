/// Finds unbalanced unlocks that are visible inside one function body.
///
/// Kernel code routinely locks in one function and unlocks in another (`task_rq_lock` /
/// `task_rq_unlock`), so a release of a lock this function never took is not an error. What is:
/// releasing, on every path, a lock this function already released (a double unlock), or
/// releasing the read side of an rwlock taken for write. Releasing with a different irq flavour
/// than the acquisition (`spin_lock_irqsave` then `spin_unlock`) is a warning: it is sometimes
/// deliberate, but it leaves the irq state different from what the code looks like.
struct UnlockChecker {
  enum Status: Equatable {
    case held(form: String, mode: String, at: SourceLocation, count: Int)
    case released(at: SourceLocation)
    case unknown
  }
  typealias State = [String: Status]

  let entryPoint: Bool
  let functionName: String
  var diagnostics: [Diagnostic] = []

  init(entryPoint: Bool, functionName: String) {
    self.entryPoint = entryPoint
    self.functionName = functionName
  }

  mutating func check(_ body: [Stmt]) {
    let end = run(body, [:])
    guard entryPoint, let end else { return }
    for key in end.keys.sorted() {
      if case .held(let form, _, let at, _) = end[key]! {
        diagnostics.append(Diagnostic(.warning, .unbalancedUnlock, at: at,
                                      "'\(functionName)' ends still holding \(key) (taken here with \(form))"))
      }
    }
  }

  /// Runs the statements; nil means every path returned.
  mutating func run(_ body: [Stmt], _ start: State) -> State? {
    var state: State? = start
    for s in body {
      guard let current = state else { return nil }
      state = step(s, current)
    }
    return state
  }

  static func merge(_ states: [State?]) -> State? {
    let live = states.compactMap { $0 }
    guard var result = live.first else { return nil }
    for other in live.dropFirst() {
      for key in Set(result.keys).union(other.keys) where result[key] != other[key] {
        result[key] = .unknown
      }
    }
    return result
  }

  mutating func step(_ s: Stmt, _ state: State) -> State? {
    switch s.kind {
    case .expression(let e): return scan(e, state)
    case .assign(_, _, let e), .local(_, _, _, let e?): return scan(e, state)
    case .local: return state
    case .ifElse(let c, let a, let b):
      let s0 = scan(c, state)
      return UnlockChecker.merge([run(a, s0), b.map { run($0, s0) } ?? s0])
    case .whileLoop(let c, let body):
      let s0 = scan(c, state)
      return UnlockChecker.merge([s0, run(body, s0)])
    case .either(let branches):
      return UnlockChecker.merge(branches.map { run($0, state) })
    case .returnValue(let e):
      if let e { _ = scan(e, state) }
      return nil
    case .block(let body): return run(body, state)
    }
  }

  /// Applies the lock calls inside an expression, in evaluation order.
  mutating func scan(_ e: Expr, _ state: State) -> State {
    var state = state
    switch e.kind {
    case .call(let name, let args):
      for a in args { state = scan(a, state) }
      guard let b = Builtin.table[name], let lockArg = args.first else { return state }
      let key = Parser.lockPath(lockArg)
      switch b.primitive {
      case .acquire(_, let mode, let flavor, let trylock):
        if trylock { state[key] = .unknown }
        else if case .held(let form, let m, let at, let n)? = state[key], m == mode.rawValue {
          state[key] = .held(form: form, mode: m, at: at, count: n + 1)  // a recursive read
        } else {
          state[key] = .held(form: name, mode: mode.rawValue, at: e.location, count: 1)
        }
        _ = flavor
      case .release(_, let mode, let flavor):
        switch state[key] {
        case .released(let at)?:
          diagnostics.append(Diagnostic(.error, .unbalancedUnlock, at: e.location,
                                        "\(name)(&\(key)) releases a lock this function already released at line \(at.line)"))
        case .held(let form, let heldMode, let at, let count)?:
          if heldMode != mode.rawValue {
            diagnostics.append(Diagnostic(.error, .mismatchedUnlock, at: e.location,
                                          "\(name)(&\(key)) releases the \(mode.rawValue) side, but it was taken for \(heldMode) with \(form) at line \(at.line)"))
          } else if UnlockChecker.flavor(of: form) != flavor {
            diagnostics.append(Diagnostic(.warning, .mismatchedUnlock, at: e.location,
                                          "\(name)(&\(key)) does not match \(form) at line \(at.line): the irq/bh state will differ from the acquisition's"))
          }
          if count > 1 {
            state[key] = .held(form: form, mode: heldMode, at: at, count: count - 1)
            return state
          }
        default: break
        }
        state[key] = .released(at: e.location)
      default: break
      }
    case .unary(_, let a), .member(let a, _, _): state = scan(a, state)
    case .binary(_, let a, let b), .index(let a, let b):
      state = scan(a, state)
      state = scan(b, state)
    case .conditional(let a, let b, let c):
      state = scan(a, state)
      state = UnlockChecker.merge([scan(b, state), scan(c, state)]) ?? state
    case .callValue(let f, let args):
      state = scan(f, state)
      for a in args { state = scan(a, state) }
    case .containerOf(let a, _, _): state = scan(a, state)
    case .integer, .name: break
    }
    return state
  }

  static func flavor(of form: String) -> LockFlavor {
    if form.hasSuffix("_irqsave") { return .irqsave }
    if form.hasSuffix("_irq") { return .irq }
    if form.hasSuffix("_bh") { return .bh }
    return .plain
  }
}
