/// Recursive-descent parser for the scenario language.
///
/// On a syntax error it records a diagnostic saying what was expected and skips to the next
/// statement or declaration boundary (`;` or `}`), so one run reports every independent error.
public struct Parser {
  private var tokens: [Token]
  private var pos = 0
  private var file: SourceFile
  public private(set) var diagnostics = DiagnosticList()

  /// Thrown internally to unwind to a recovery point; never escapes `parse()`.
  private struct Recover: Error {}

  public init(text: String, path: String) {
    var lexer = Lexer(text: text, file: path)
    self.tokens = lexer.tokenize()
    self.file = SourceFile(path: path)
  }

  /// Parses the whole file. Diagnostics are in `diagnostics`; the file holds what could be read.
  public mutating func parse() -> SourceFile {
    while current.kind != .endOfFile {
      let before = pos
      do { try topLevel() } catch { synchronizeTopLevel() }
      if pos == before { pos += 1 }  // always make progress
    }
    return file
  }

  // MARK: - Token helpers

  private var current: Token { tokens[pos] }
  private func peek(_ n: Int) -> Token { tokens[min(pos + n, tokens.count - 1)] }

  private mutating func advance() -> Token {
    let t = tokens[pos]
    if pos < tokens.count - 1 { pos += 1 }
    return t
  }

  private mutating func accept(_ punct: String) -> Bool {
    if current.is(punct) { pos += 1; return true }
    return false
  }

  private mutating func acceptWord(_ word: String) -> Bool {
    if current.isWord(word) { pos += 1; return true }
    return false
  }

  private mutating func fail(_ message: String, at t: Token? = nil) -> Recover {
    let t = t ?? current
    if t.kind == .error {
      diagnostics.error(.syntax, at: t.location, t.text)
    } else {
      diagnostics.error(.syntax, at: t.location, message)
    }
    return Recover()
  }

  private mutating func expect(_ punct: String, _ what: String) throws {
    if accept(punct) { return }
    throw fail("expected '\(punct)' \(what), found \(current.display)")
  }

  private mutating func identifier(_ what: String) throws -> Token {
    if current.kind == .identifier { return advance() }
    throw fail("expected \(what), found \(current.display)")
  }

  private mutating func integer(_ what: String) throws -> Token {
    if current.kind == .integer { return advance() }
    throw fail("expected \(what), found \(current.display)")
  }

  /// Skips to just after the next `;` or past the next balanced `}` at depth 0, or to just before
  /// a word that starts a declaration at depth 0 (a missing `;` must not swallow the next one).
  private mutating func synchronizeTopLevel() {
    var depth = 0
    while current.kind != .endOfFile {
      if depth == 0 && startsDeclaration() { return }
      let t = advance()
      if t.is("{") { depth += 1 }
      if t.is("}") { depth -= 1; if depth <= 0 { return } }
      if t.is(";") && depth == 0 { return }
    }
  }

  /// Inside a block: skips to after the next `;` at this depth, or stops before the closing `}`.
  private mutating func synchronizeStatement() {
    var depth = 0
    while current.kind != .endOfFile {
      if current.is("}") {
        if depth == 0 { return }
        depth -= 1
      }
      let t = advance()
      if t.is("{") { depth += 1 }
      if t.is(";") && depth == 0 { return }
    }
  }

  private static let declarationWords: Set<String> = [
    "task", "kthread", "irq", "softirq", "expect", "scenario", "cpus", "DEFINE_PER_CPU", "include", "preemptions",
  ]

  private func startsDeclaration() -> Bool {
    current.kind == .identifier && (Parser.declarationWords.contains(current.text) || startsType())
      && tokens[max(pos - 1, 0)].location.line < current.location.line
  }

  // MARK: - Types

  static let integerWords: Set<String> = [
    "int", "long", "short", "char", "unsigned", "signed", "u8", "u16", "u32", "u64", "s8", "s16",
    "s32", "s64", "size_t", "ssize_t", "atomic_t", "gfp_t",
  ]
  static let qualifierWords: Set<String> = [
    "const", "volatile", "static", "inline", "noinline", "__always_inline", "extern", "notrace",
    "__init", "__sched",
  ]
  static let simpleTypeWords: Set<String> = [
    "void", "bool", "_Bool", "spinlock_t", "raw_spinlock_t", "rwlock_t",
  ]
  /// Callback types: all are "a function" to ksim (called with whatever arguments the call passes).
  static let functionTypeWords: Set<String> = [
    "work_func_t", "rcu_callback_t", "timer_fn_t", "irq_work_func_t", "smp_call_func_t", "func_t",
  ]

  private func startsType(at offset: Int = 0) -> Bool {
    let t = peek(offset)
    guard t.kind == .identifier else { return false }
    return Parser.integerWords.contains(t.text) || Parser.simpleTypeWords.contains(t.text)
      || Parser.functionTypeWords.contains(t.text) || t.text == "struct" || Parser.qualifierWords.contains(t.text)
  }

  private mutating func skipQualifiers() {
    while current.kind == .identifier && Parser.qualifierWords.contains(current.text) { pos += 1 }
  }

  /// Parses a type: qualifiers, a base and any `*`s.
  private mutating func parseType() throws -> TypeRef {
    skipQualifiers()
    let start = current.location
    var base: String
    if acceptWord("struct") {
      base = "struct " + (try identifier("a struct name after 'struct'")).text
    } else if current.kind == .identifier && Parser.integerWords.contains(current.text) {
      // `unsigned long`, `long long int` ...: all integers to ksim.
      while current.kind == .identifier && Parser.integerWords.contains(current.text) { pos += 1 }
      base = "int"
    } else if current.kind == .identifier && Parser.simpleTypeWords.contains(current.text) {
      base = advance().text
      if base == "_Bool" { base = "bool" }
    } else if current.kind == .identifier && Parser.functionTypeWords.contains(current.text) {
      pos += 1
      base = "func"
    } else {
      throw fail("expected a type, found \(current.display)")
    }
    skipQualifiers()
    var depth = 0
    while accept("*") { depth += 1; skipQualifiers() }
    return TypeRef(base: base, pointerDepth: depth, location: start)
  }

  // MARK: - Top level

  private mutating func topLevel() throws {
    let t = current
    if t.is(";") { pos += 1; return }
    guard t.kind == .identifier else {
      throw fail("expected a declaration (scenario, cpus, a type, a function, task, irq, softirq or expect), found \(t.display)")
    }
    switch t.text {
    case "scenario":
      pos += 1
      guard current.kind == .string else { throw fail("expected a quoted title after 'scenario', found \(current.display)") }
      let s = advance()
      file.title = (s.text, s.location)
      try expect(";", "after the scenario title")
    case "cpus":
      pos += 1
      let n = try integer("the number of CPUs after 'cpus'")
      file.cpus = (n.intValue, n.location)
      try expect(";", "after the CPU count")
    case "include":
      pos += 1
      guard current.kind == .string else { throw fail("expected a quoted file name after 'include', found \(current.display)") }
      let s = advance()
      file.includes.append((s.text, s.location))
      try expect(";", "after the include")
    case "preemptions":
      pos += 1
      let n = try integer("the number of preemptions after 'preemptions'")
      file.preemptions = (n.intValue, n.location)
      try expect(";", "after the preemption bound")
    case "task":
      try taskDecl()
    case "kthread":
      try kthreadDecl()
    case "irq":
      try irqDecl()
    case "softirq":
      try softirqDecl()
    case "expect":
      try expectDecl()
    case "DEFINE_PER_CPU":
      pos += 1
      try expect("(", "after DEFINE_PER_CPU")
      let type = try parseType()
      try expect(",", "between the type and the name in DEFINE_PER_CPU")
      let name = try identifier("a per-CPU variable name")
      try expect(")", "to close DEFINE_PER_CPU")
      try expect(";", "after DEFINE_PER_CPU(...)")
      file.globals.append(GlobalDecl(type: type, name: name.text, arrayCount: nil, perCPU: true,
                                     initial: nil, location: name.location))
    case "struct" where peek(2).is("{"):
      try structDecl()
    default:
      if startsType() { try declarationOrFunction() } else {
        throw fail("expected a declaration (scenario, cpus, a type, a function, task, irq, softirq or expect), found \(t.display)")
      }
    }
  }

  private mutating func structDecl() throws {
    let start = advance().location  // struct
    let name = try identifier("a struct name")
    try expect("{", "to open the struct body")
    var fields: [FieldDecl] = []
    while !current.is("}") && current.kind != .endOfFile {
      do {
        let type = try parseType()
        repeat {
          var t = type
          while accept("*") { t.pointerDepth += 1 }
          let f = try identifier("a field name")
          fields.append(FieldDecl(type: t, name: f.text, location: f.location))
        } while accept(",")
        try expect(";", "after a struct field")
      } catch {
        synchronizeStatement()
      }
    }
    try expect("}", "to close the struct body")
    try expect(";", "after the struct declaration")
    file.structs.append(StructDecl(name: name.text, fields: fields, location: start))
  }

  private mutating func declarationOrFunction() throws {
    let type = try parseType()
    let name = try identifier("a name after the type")
    if accept("(") {
      var params: [Parameter] = []
      if !current.is(")") {
        if current.isWord("void") && peek(1).is(")") { pos += 1 } else {
          repeat {
            let pt = try parseType()
            let pn = try identifier("a parameter name")
            params.append(Parameter(type: pt, name: pn.text, location: pn.location))
          } while accept(",")
        }
      }
      try expect(")", "to close the parameter list")
      if accept(";") { return }  // a prototype: harmless, the definition is what counts
      let body = try block()
      file.functions.append(FunctionDecl(name: name.text, returnType: type, parameters: params,
                                         body: body, location: name.location))
      return
    }
    var nameToken = name
    while true {
      var count: Int?
      if accept("[") {
        count = try integer("an array size").intValue
        try expect("]", "after the array size")
      }
      var initial: Expr?
      var inits: [(path: [String], value: Expr, location: SourceLocation)] = []
      if accept("=") {
        if accept("{") {
          while !current.is("}") && current.kind != .endOfFile {
            let loc = current.location
            var path: [String] = []
            repeat {
              try expect(".", "before a field name in a designated initialiser")
              path.append(try identifier("a field name").text)
            } while current.is(".")
            try expect("=", "after the field in a designated initialiser")
            inits.append((path, try expression(), loc))
            if !accept(",") { break }
          }
          try expect("}", "to close the initialiser")
        } else {
          initial = try expression()
        }
      }
      var g = GlobalDecl(type: type, name: nameToken.text, arrayCount: count, perCPU: false,
                         initial: initial, location: nameToken.location)
      g.fieldInits = inits
      file.globals.append(g)
      if !accept(",") { break }
      var t = type
      while accept("*") { t.pointerDepth += 1 }
      nameToken = try identifier("a name after ','")
    }
    try expect(";", "after the declaration")
  }

  private mutating func cpuName(_ what: String) throws -> (Int, SourceLocation) {
    let t = try identifier("a CPU name like cpu0 \(what)")
    guard t.text.hasPrefix("cpu"), let n = Int(t.text.dropFirst(3)) else {
      throw fail("expected a CPU name like cpu0 \(what), found \(t.display)", at: t)
    }
    return (n, t.location)
  }

  private mutating func taskDecl() throws {
    let start = advance().location
    let name = try identifier("a task name after 'task'")
    var cpu: (Int, SourceLocation)?
    if acceptWord("on") { cpu = try cpuName("after 'on'") }
    let body = try block()
    file.tasks.append(TaskDecl(name: name.text, cpu: cpu?.0, cpuLocation: cpu?.1, body: body, location: start))
    _ = name
  }

  private mutating func kthreadDecl() throws {
    let start = advance().location
    let name = try identifier("a kthread name after 'kthread'")
    var cpu: (Int, SourceLocation)?
    var each = false
    if acceptWord("on") {
      if acceptWord("each") {
        guard acceptWord("cpu") else { throw fail("expected 'cpu' after 'on each', found \(current.display)") }
        each = true
      } else {
        cpu = try cpuName("after 'on'")
      }
    }
    try expect("=>", "before the kthread's entry function")
    let entry = try identifier("an entry function name after '=>'")
    try expect(";", "after the kthread declaration")
    var t = TaskDecl(name: name.text, cpu: cpu?.0, cpuLocation: cpu?.1, body: [], location: start)
    t.kthread = true
    t.eachCPU = each
    t.entry = entry.text
    t.entryLocation = entry.location
    file.tasks.append(t)
  }

  private mutating func irqDecl() throws {
    let start = advance().location
    let name = try identifier("an interrupt source name after 'irq'")
    guard acceptWord("on") else { throw fail("expected 'on cpuN' or 'on all' after the interrupt name, found \(current.display)") }
    let allLocation = current.location
    let all = acceptWord("all")
    let cpu = all ? (0, allLocation) : try cpuName("after 'on'")
    try expect("=>", "before the handler name")
    let handler = try identifier("a handler function name after '=>'")
    var fires: Int?
    if acceptWord("fires") { fires = try integer("a firing bound after 'fires'").intValue }
    try expect(";", "after the irq declaration")
    file.irqs.append(IrqDecl(name: name.text, allCPUs: all, cpu: cpu.0, cpuLocation: cpu.1, handler: handler.text,
                             handlerLocation: handler.location, fires: fires, location: start))
  }

  private mutating func softirqDecl() throws {
    let start = advance().location
    let name = try identifier("a softirq vector name after 'softirq'")
    try expect("=>", "before the softirq action")
    let handler = try identifier("an action function name after '=>'")
    try expect(";", "after the softirq declaration")
    file.softirqs.append(SoftirqDecl(name: name.text, handler: handler.text,
                                     handlerLocation: handler.location, location: start))
  }

  private mutating func expectDecl() throws {
    let start = advance().location
    var outcome: ExpectDecl.Outcome
    if acceptWord("deadlock") { outcome = .deadlock }
    else if acceptWord("no") {
      guard acceptWord("deadlock") else { throw fail("expected 'deadlock' after 'expect no', found \(current.display)") }
      outcome = .noDeadlock
    } else if acceptWord("hang") { outcome = .hang }
    else if acceptWord("bug") { outcome = .bug }
    else { throw fail("expected 'deadlock', 'no deadlock', 'hang' or 'bug' after 'expect', found \(current.display)") }
    var locks: [(String, SourceLocation)] = []
    if outcome == .deadlock && acceptWord("on") {
      repeat {
        let start = current.location
        let e = try postfix()
        locks.append((Parser.lockPath(e), start))
      } while accept(",")
    }
    try expect(";", "after the expectation")
    file.expects.append(ExpectDecl(outcome: outcome, locks: locks, location: start))
  }

  /// The written path of a lock expression (`pci_bus_klist.k_lock`, `runqueues[1].__lock`).
  static func lockPath(_ e: Expr) -> String {
    switch e.kind {
    case .name(let n): return n
    case .member(let b, let f, _): return lockPath(b) + "." + f
    case .index(let b, let i):
      if case .integer(let v) = i.kind { return lockPath(b) + "[\(v)]" }
      return lockPath(b) + "[?]"
    case .unary(.addressOf, let b): return lockPath(b)
    default: return "?"
    }
  }

  // MARK: - Statements

  private mutating func block() throws -> [Stmt] {
    try expect("{", "to open a block")
    var body: [Stmt] = []
    while !current.is("}") && current.kind != .endOfFile {
      let before = pos
      do { body.append(try statement()) } catch { synchronizeStatement() }
      if pos == before && !current.is("}") { pos += 1 }
    }
    try expect("}", "to close the block")
    return body
  }

  private mutating func statementOrBlock() throws -> [Stmt] {
    if current.is("{") { return try block() }
    return [try statement()]
  }

  private mutating func statement() throws -> Stmt {
    let t = current
    let loc = t.location
    if accept(";") { return Stmt(kind: .block([]), location: loc) }
    if t.is("{") { return Stmt(kind: .block(try block()), location: loc) }
    if t.kind == .identifier {
      switch t.text {
      case "if":
        pos += 1
        try expect("(", "after 'if'")
        let cond = try expression()
        try expect(")", "after the if condition")
        let then = try statementOrBlock()
        var otherwise: [Stmt]?
        if acceptWord("else") { otherwise = try statementOrBlock() }
        return Stmt(kind: .ifElse(cond, then, otherwise), location: loc)
      case "while":
        pos += 1
        try expect("(", "after 'while'")
        let cond = try expression()
        try expect(")", "after the while condition")
        return Stmt(kind: .whileLoop(cond, try statementOrBlock()), location: loc)
      case "either":
        pos += 1
        var branches = [try block()]
        while acceptWord("or") { branches.append(try block()) }
        if branches.count < 2 { throw fail("expected 'or { ... }' after an either block, found \(current.display)") }
        return Stmt(kind: .either(branches), location: loc)
      case "return":
        pos += 1
        if accept(";") { return Stmt(kind: .returnValue(nil), location: loc) }
        let e = try expression()
        try expect(";", "after the return value")
        return Stmt(kind: .returnValue(e), location: loc)
      default:
        if startsType() && !(peek(1).is("(")) {
          let type = try parseType()
          let name = try identifier("a variable name")
          var initial: Expr?
          if accept("=") { initial = try expression() }
          try expect(";", "after the local declaration")
          return Stmt(kind: .local(type, name: name.text, nameLocation: name.location, initial: initial), location: loc)
        }
      }
    }
    let e = try expression()
    for op in [AssignOp.assign, .add, .subtract, .or, .and] where accept(op.rawValue) {
      let value = try expression()
      try expect(";", "after the assignment")
      return Stmt(kind: .assign(target: e, op, value), location: loc)
    }
    if accept("++") || accept("--") {
      let op: AssignOp = tokens[pos - 1].text == "++" ? .add : .subtract
      try expect(";", "after the increment")
      return Stmt(kind: .assign(target: e, op, Expr(kind: .integer(1), location: loc)), location: loc)
    }
    try expect(";", "after the statement")
    return Stmt(kind: .expression(e), location: loc)
  }

  // MARK: - Expressions (C precedence)

  private mutating func expression() throws -> Expr { try conditional() }

  private mutating func conditional() throws -> Expr {
    let c = try binary(0)
    if accept("?") {
      let a = try expression()
      try expect(":", "in a conditional expression")
      let b = try conditional()
      return Expr(kind: .conditional(c, a, b), location: c.location)
    }
    return c
  }

  private static let precedence: [[BinaryOp]] = [
    [.or], [.and], [.bitOr], [.bitXor], [.bitAnd], [.equal, .notEqual],
    [.less, .lessEqual, .greater, .greaterEqual], [.shiftLeft, .shiftRight], [.add, .subtract],
    [.multiply, .divide, .modulo],
  ]

  private mutating func binary(_ level: Int) throws -> Expr {
    if level == Parser.precedence.count { return try unary() }
    var lhs = try binary(level + 1)
    outer: while true {
      for op in Parser.precedence[level] where current.is(op.rawValue) {
        let loc = advance().location
        let rhs = try binary(level + 1)
        lhs = Expr(kind: .binary(op, lhs, rhs), location: loc)
        continue outer
      }
      return lhs
    }
  }

  private mutating func unary() throws -> Expr {
    let loc = current.location
    for op in [UnaryOp.not, .negate, .complement, .addressOf, .deref] where current.is(op.rawValue) {
      pos += 1
      return Expr(kind: .unary(op, try unary()), location: loc)
    }
    if current.is("(") && startsType(at: 1) {
      // A cast: (unsigned long)x. ksim has one integer type, so casts are dropped.
      pos += 1
      _ = try parseType()
      try expect(")", "to close the cast")
      return try unary()
    }
    return try postfix()
  }

  private mutating func postfix() throws -> Expr {
    var e = try primary()
    while true {
      let loc = current.location
      if accept(".") {
        e = Expr(kind: .member(e, try identifier("a field name after '.'").text, arrow: false), location: loc)
      } else if accept("->") {
        e = Expr(kind: .member(e, try identifier("a field name after '->'").text, arrow: true), location: loc)
      } else if accept("[") {
        let i = try expression()
        try expect("]", "to close the index")
        e = Expr(kind: .index(e, i), location: loc)
      } else if accept("(") {
        var args: [Expr] = []
        if !current.is(")") {
          repeat { args.append(try expression()) } while accept(",")
        }
        try expect(")", "to close the argument list")
        e = Expr(kind: .callValue(e, args), location: loc)
      } else {
        return e
      }
    }
  }

  private mutating func primary() throws -> Expr {
    let t = current
    switch t.kind {
    case .integer:
      pos += 1
      return Expr(kind: .integer(t.intValue), location: t.location)
    case .identifier:
      pos += 1
      if t.text == "true" { return Expr(kind: .integer(1), location: t.location) }
      if t.text == "false" || t.text == "NULL" { return Expr(kind: .integer(0), location: t.location) }
      if t.text == "container_of" && accept("(") {
        let ptr = try expression()
        try expect(",", "after the pointer in container_of")
        let type = try parseType()
        try expect(",", "after the type in container_of")
        let member = try identifier("a member name in container_of")
        try expect(")", "to close container_of")
        return Expr(kind: .containerOf(ptr, type, member.text), location: t.location)
      }
      if accept("(") {
        var args: [Expr] = []
        if !current.is(")") {
          repeat {
            // DEFINE_PER_CPU-style macros take a type: per_cpu(runqueues, cpu) takes names only.
            args.append(try expression())
          } while accept(",")
        }
        try expect(")", "to close the argument list of '\(t.text)'")
        return Expr(kind: .call(t.text, args), location: t.location)
      }
      return Expr(kind: .name(t.text), location: t.location)
    case .punct where t.text == "(":
      pos += 1
      let e = try expression()
      try expect(")", "to close the parenthesis")
      return e
    default:
      throw fail("expected an expression, found \(t.display)")
    }
  }
}
