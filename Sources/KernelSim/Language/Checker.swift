/// Resolves names and types in parsed files and lowers them to a `Program`.
///
/// Everything resolves before anything runs: unknown names, wrong argument kinds and the
/// unbalanced unlocks visible inside one function are reported here, each with its position.
public struct Checker {
  /// What a global name denotes.
  enum Entity {
    case lock(id: Int, kind: LockKind)
    case object(id: Int, structName: String)
    case scalar(slot: Int, type: ValueType)
    /// An array or per-CPU family: `count` elements of `element` starting at `base`.
    case family(base: Int, count: Int, element: ValueType, perCPU: Bool)
    case list(id: Int)
  }

  struct StructInfo {
    var decl: StructDecl
    var fieldTypes: [ValueType]
    var fieldIndex: [String: Int]
  }

  struct Signature {
    var index: Int
    var decl: FunctionDecl
    var returnType: ValueType
    var parameterTypes: [ValueType]
  }

  var diagnostics = DiagnosticList()
  var structs: [String: StructInfo] = [:]
  var globalsByName: [String: Entity] = [:]
  var functionsByName: [String: Signature] = [:]
  var softirqIndex: [String: Int] = [:]

  var locks: [LockInstance] = []
  /// Object 0 is NULL, so a zero pointer never names a real object.
  var objects: [ObjectInstance] = [ObjectInstance(name: "NULL", structName: "", fieldSlots: [])]
  var lists: [String] = []
  /// Slot 0 is reserved, like object 0: a NULL `int *` points at no variable.
  var slots: [GlobalSlot] = [GlobalSlot(name: "NULL", initial: 0)]
  /// Functions used as values (see `Program.addressTakenFunctions`).
  var addressTaken = Set<Int>()
  var compiled: [CompiledFunction] = []

  public init() {}

  /// Checks and lowers `files` (preludes first, then the scenario). The last file is the scenario:
  /// its title, cpus and expect lines are the ones that count.
  public static func check(_ files: [SourceFile]) -> (Program?, [Diagnostic]) {
    var c = Checker()
    let p = c.run(files)
    return (c.diagnostics.hasErrors ? nil : p, c.diagnostics.sorted)
  }

  // MARK: - Driver

  /// Bounds from the explorer's 32-bit record of a choice (`Choice.packed`): a source in 14
  /// bits, a task or an `either` arm in 15. CPUs are bounded far lower (16).
  static let maxInterruptSources = 1 << 14
  static let maxTasks = 1 << 15
  static let maxEitherArms = 1 << 15

  mutating func run(_ files: [SourceFile]) -> Program? {
    guard let scenario = files.last else { return nil }
    let fileStart = SourceLocation(file: scenario.path, line: 1, column: 1)
    var cpuCount = 1
    if let (n, loc) = scenario.cpus {
      if n < 1 || n > 16 { diagnostics.error(.invalidDeclaration, at: loc, "cpus must be between 1 and 16, got \(n)") }
      cpuCount = max(1, min(n, 16))
    } else {
      diagnostics.error(.missingDeclaration, at: fileStart, "missing 'cpus N;': say how many CPUs the scenario runs on")
    }
    for f in files { for s in f.structs { declareStruct(s) } }
    for s in structs.keys.sorted() { resolveStructFields(s) }
    var allFunctions: [FunctionDecl] = []
    for f in files { allFunctions += f.functions }
    declareFunctions(allFunctions)
    for f in files { for g in f.globals { declareGlobal(g, cpuCount: cpuCount) } }
    for f in files { for g in f.globals where !g.fieldInits.isEmpty { applyFieldInits(g) } }
    let allSoftirqs = files.flatMap(\.softirqs)
    for (i, v) in allSoftirqs.enumerated() {
      if softirqIndex[v.name] != nil {
        diagnostics.error(.duplicateName, at: v.location, "softirq vector '\(v.name)' is declared twice")
      }
      softirqIndex[v.name] = i
    }
    // Tasks and kthreads of every file, expanded per CPU, each with its task_struct object.
    var taskDecls: [(decl: TaskDecl, name: String, cpu: Int?, argument: Int?)] = []
    for f in files {
      for t in f.tasks {
        if t.eachCPU {
          let base = objects.count
          for c in 0..<cpuCount { taskDecls.append((t, "\(t.name)/\(c)", c, c)) }
          if structs["task_struct"] != nil {
            for (_, name, _, _) in taskDecls.suffix(cpuCount) { objects.append(ObjectInstance(name: name, structName: "task_struct", fieldSlots: [])) }
            for i in 0..<cpuCount { fillObject(base + i, path: "\(t.name)/\(i)") }
            globalsByName[t.name] = .family(base: base, count: cpuCount, element: .object("task_struct"), perCPU: false)
          }
        } else {
          taskDecls.append((t, t.name, t.cpu, nil))
          if structs["task_struct"] != nil {
            if globalsByName[t.name] != nil {
              diagnostics.error(.duplicateName, at: t.location, "'\(t.name)' is already declared")
            }
            let id = objects.count
            objects.append(ObjectInstance(name: t.name, structName: "task_struct", fieldSlots: []))
            fillObject(id, path: t.name)
            globalsByName[t.name] = .object(id: id, structName: "task_struct")
          }
        }
      }
    }
    // Compile function bodies in declaration order so indices are stable.
    compiled = Array(repeating: CompiledFunction(name: "", returnType: .void, parameterCount: 0, localCount: 0,
                                                 localNames: [], code: [], location: fileStart),
                     count: functionsByName.count)
    for sig in functionsByName.values.sorted(by: { $0.index < $1.index }) {
      compiled[sig.index] = compileFunction(sig.decl, returnType: sig.returnType, parameterTypes: sig.parameterTypes)
    }
    var tasks: [TaskInfo] = []
    var taskNames = Set<String>()
    for (i, (t, name, cpu, argument)) in taskDecls.enumerated() {
      if i == Checker.maxTasks {
        diagnostics.error(.invalidDeclaration, at: t.location, "too many tasks: at most \(Checker.maxTasks) (the explorer records each choice in 32 bits)")
      }
      if !taskNames.insert(name).inserted {
        diagnostics.error(.duplicateName, at: t.location, "task '\(name)' is declared twice")
      }
      if let cpu, cpu >= cpuCount, let loc = t.cpuLocation {
        diagnostics.error(.invalidDeclaration, at: loc, "task '\(name)' is pinned to cpu\(cpu), but the scenario has \(cpuCount) CPU\(cpuCount == 1 ? "" : "s") (cpu0..cpu\(cpuCount - 1))")
      }
      var info: TaskInfo
      if t.kthread, let entry = t.entry {
        guard let sig = functionsByName[entry] else {
          diagnostics.error(.unknownName, at: t.entryLocation ?? t.location, "unknown function '\(entry)' named as kthread entry")
          continue
        }
        let want = argument == nil ? 0 : 1
        if sig.parameterTypes.count != want || (want == 1 && sig.parameterTypes[0] != .int) {
          diagnostics.error(.wrongArgument, at: t.entryLocation ?? t.location, "kthread entry '\(entry)' must take \(want == 1 ? "the CPU (int cpu)" : "no arguments")")
        }
        info = TaskInfo(name: name, cpu: cpu, entry: sig.index, kthread: true, arguments: argument.map { [$0] } ?? [])
      } else {
        let decl = FunctionDecl(name: name, returnType: TypeRef(base: "void", pointerDepth: 0, location: t.location),
                                parameters: [], body: t.body, location: t.location)
        let index = compiled.count
        compiled.append(compileFunction(decl, returnType: .void, parameterTypes: [], entryPoint: true))
        info = TaskInfo(name: name, cpu: cpu, entry: index)
      }
      if case .object(let id, _)? = globalsByName[name] { info.object = id }
      if case .family(let base, _, _, _)? = globalsByName[t.name], let c = argument { info.object = base + c }
      tasks.append(info)
    }
    var irqs: [IrqSource] = []
    var irqDecls: [IrqDecl] = []
    for q in files.flatMap(\.irqs) {
      guard q.allCPUs else { irqDecls.append(q); continue }
      for c in 0..<cpuCount {
        var one = q
        one.name = "\(q.name)@cpu\(c)"
        one.cpu = c
        irqDecls.append(one)
      }
    }
    var irqNames = Set<String>()
    for q in irqDecls {
      if irqs.count == Checker.maxInterruptSources {
        diagnostics.error(.invalidDeclaration, at: q.location, "too many interrupt sources: at most \(Checker.maxInterruptSources) (the explorer records each choice in 32 bits)")
      }
      if !irqNames.insert(q.name).inserted {
        diagnostics.error(.duplicateName, at: q.location, "interrupt source '\(q.name)' is declared twice")
      }
      if q.cpu >= cpuCount {
        diagnostics.error(.invalidDeclaration, at: q.cpuLocation, "interrupt '\(q.name)' targets cpu\(q.cpu), but the scenario has \(cpuCount) CPU\(cpuCount == 1 ? "" : "s") (cpu0..cpu\(cpuCount - 1))")
      }
      if let n = q.fires, n < 1 {
        diagnostics.error(.invalidDeclaration, at: q.location, "an interrupt must be allowed to fire at least once, got 'fires \(n)'")
      }
      let h = handlerFunction(q.handler, at: q.handlerLocation, role: "interrupt handler")
      irqs.append(IrqSource(name: q.name, cpu: q.cpu, handler: h ?? 0, fires: q.fires))
    }
    var softirqs: [SoftirqVector] = []
    for v in allSoftirqs {
      let h = handlerFunction(v.handler, at: v.handlerLocation, role: "softirq action")
      softirqs.append(SoftirqVector(name: v.name, handler: h ?? 0))
    }
    var expectations: [Expectation] = []
    let outcomes = Set(scenario.expects.map(\.outcome.rawValue))
    if outcomes.count > 1 || (scenario.expects.count > 1 && scenario.expects[0].outcome != .deadlock) {
      diagnostics.error(.duplicateName, at: scenario.expects[1].location, "several expect lines must all be 'expect deadlock on ...'")
    }
    for e in scenario.expects {
      var ids: [Int] = []
      for (name, loc) in e.locks {
        if let id = locks.firstIndex(where: { $0.name == name }) { ids.append(id) } else {
          let known = locks.map(\.name).prefix(8).joined(separator: ", ")
          diagnostics.error(.unknownName, at: loc, "unknown lock '\(name)' in expect (locks: \(known))")
        }
      }
      expectations.append(Expectation(outcome: e.outcome, locks: ids, location: e.location))
    }
    if scenario.expects.isEmpty {
      diagnostics.warning(.missingDeclaration, at: fileStart, "no 'expect' line: the verdict will not be checked")
    }
    if tasks.isEmpty && irqs.isEmpty {
      diagnostics.warning(.missingDeclaration, at: fileStart, "the scenario declares no task and no irq: nothing will run")
    }
    var program = Program(path: scenario.path, title: scenario.title?.0 ?? scenario.path, cpuCount: cpuCount, locks: locks,
                          objects: objects, globals: slots, functions: compiled, tasks: tasks, irqs: irqs,
                          softirqs: softirqs, expectations: expectations)
    program.lists = lists
    program.addressTakenFunctions = addressTaken.sorted()
    program.ipiHandler = functionsByName["__sysvec_irq_work"]?.index
    program.rcuSoftirq = softirqIndex["RCU_SOFTIRQ"]
    if let (n, loc) = scenario.preemptions {
      if n < 0 { diagnostics.error(.invalidDeclaration, at: loc, "preemptions must be ≥ 0") }
      program.preemptions = max(0, n)
    }
    return program
  }

  mutating func handlerFunction(_ name: String, at loc: SourceLocation, role: String) -> Int? {
    guard let sig = functionsByName[name] else {
      diagnostics.error(.unknownName, at: loc, "unknown function '\(name)' named as \(role)")
      return nil
    }
    if !sig.parameterTypes.isEmpty {
      diagnostics.error(.wrongArgument, at: loc, "\(role) '\(name)' must take no arguments (declare it 'void \(name)(void)')")
    }
    return sig.index
  }

  // MARK: - Types and structs

  mutating func declareStruct(_ s: StructDecl) {
    if structs[s.name] != nil {
      diagnostics.error(.duplicateName, at: s.location, "struct '\(s.name)' is declared twice")
      return
    }
    structs[s.name] = StructInfo(decl: s, fieldTypes: [], fieldIndex: [:])
  }

  mutating func resolveStructFields(_ name: String) {
    guard var info = structs[name] else { return }
    for (i, f) in info.decl.fields.enumerated() {
      if info.fieldIndex[f.name] != nil {
        diagnostics.error(.duplicateName, at: f.location, "field '\(f.name)' is declared twice in struct \(name)")
      }
      info.fieldIndex[f.name] = i
      var t = resolveType(f.type) ?? .int
      if t == .void { diagnostics.error(.wrongType, at: f.location, "a field cannot have type void"); t = .int }
      if case .object(let inner) = t, inner == name {
        diagnostics.error(.wrongType, at: f.location, "struct \(name) cannot contain itself")
        t = .int
      }
      info.fieldTypes.append(t)
    }
    structs[name] = info
  }

  mutating func resolveType(_ t: TypeRef) -> ValueType? {
    var base: ValueType
    switch t.base {
    case "int": base = .int
    case "bool": base = .bool
    case "void": base = .void
    case "spinlock_t": base = .lock(.spinlock)
    case "raw_spinlock_t": base = .lock(.rawSpinlock)
    case "rwlock_t": base = .lock(.rwlock)
    case "func": base = .function
    case "struct list_head": base = .list
    case "struct mutex": base = .lock(.mutex)
    case "struct rw_semaphore": base = .lock(.rwsem)
    case "struct percpu_rw_semaphore": base = .lock(.percpuRwsem)
    default:
      let name = String(t.base.dropFirst("struct ".count))
      guard structs[name] != nil else {
        diagnostics.error(.unknownName, at: t.location, "unknown type '\(t.base)'")
        return nil
      }
      base = .object(name)
    }
    if base == .void && t.pointerDepth > 0 { base = .object("*") }  // void *
    for _ in 0..<t.pointerDepth { base = .pointer(base) }
    return base
  }

  // MARK: - Globals

  mutating func declareGlobal(_ g: GlobalDecl, cpuCount: Int) {
    guard let type = resolveType(g.type) else { return }
    if globalsByName[g.name] != nil || Builtin.table[g.name] != nil {
      diagnostics.error(.duplicateName, at: g.location, "'\(g.name)' is already declared")
      return
    }
    if type == .void { diagnostics.error(.wrongType, at: g.location, "a variable cannot have type void"); return }
    var initial = 0
    if let e = g.initial {
      if let v = constantValue(e) { initial = v } else {
        diagnostics.error(.wrongType, at: e.location, "a global initialiser must be a constant")
      }
      if !type.isScalar { diagnostics.error(.wrongType, at: e.location, "only int, bool and pointer globals take an initialiser") }
    }
    let count = g.perCPU ? cpuCount : g.arrayCount
    if let count {
      if count < 1 { diagnostics.error(.invalidDeclaration, at: g.location, "an array needs at least one element"); return }
      let base: Int
      switch type {
      case .lock(let k):
        base = locks.count
        for i in 0..<count { locks.append(LockInstance(name: "\(g.name)[\(i)]", className: g.name, kind: k)) }
      case .object(let s):
        base = objects.count
        for i in 0..<count { objects.append(ObjectInstance(name: "\(g.name)[\(i)]", structName: s, fieldSlots: [])) }
        for i in 0..<count { fillObject(base + i, path: "\(g.name)[\(i)]") }
      default:
        base = slots.count
        for i in 0..<count { slots.append(GlobalSlot(name: "\(g.name)[\(i)]", initial: initial)) }
      }
      globalsByName[g.name] = .family(base: base, count: count, element: type, perCPU: g.perCPU)
      return
    }
    switch type {
    case .list:
      globalsByName[g.name] = .list(id: lists.count)
      lists.append(g.name)
    case .lock(let k):
      globalsByName[g.name] = .lock(id: locks.count, kind: k)
      locks.append(LockInstance(name: g.name, className: g.name, kind: k))
    case .object(let s):
      let id = objects.count
      objects.append(ObjectInstance(name: g.name, structName: s, fieldSlots: []))
      fillObject(id, path: g.name)
      globalsByName[g.name] = .object(id: id, structName: s)
    default:
      globalsByName[g.name] = .scalar(slot: slots.count, type: type)
      slots.append(GlobalSlot(name: g.name, initial: initial))
    }
  }

  /// Applies `{ .a.b = value }` to a struct object's field slots (constants, function names,
  /// `&object`).
  mutating func applyFieldInits(_ g: GlobalDecl) {
    guard case .object(let id, _)? = globalsByName[g.name], g.arrayCount == nil, !g.perCPU else {
      diagnostics.error(.wrongType, at: g.location, "only a single struct object takes a designated initialiser")
      return
    }
    for (path, value, loc) in g.fieldInits {
      var obj = id
      var slot: Int?
      for (k, field) in path.enumerated() {
        guard let info = structs[objects[obj].structName], let fi = info.fieldIndex[field] else {
          diagnostics.error(.unknownName, at: loc, "struct \(objects[obj].structName) has no field '\(field)'")
          slot = nil
          break
        }
        let t = info.fieldTypes[fi]
        if k == path.count - 1 {
          guard t.isScalar else {
            diagnostics.error(.wrongType, at: loc, "'.\(path.joined(separator: "."))' is a \(t); only int, bool, pointer and function fields take a value")
            break
          }
          slot = objects[obj].fieldSlots[fi]
        } else {
          guard case .object = t else {
            diagnostics.error(.wrongType, at: loc, "'\(field)' is not a struct field")
            break
          }
          obj = objects[obj].fieldSlots[fi]
        }
      }
      guard let slot else { continue }
      if let v = constantValue(value) { slots[slot].initial = v; continue }
      switch value.kind {
      case .name(let n) where functionsByName[n] != nil:
        slots[slot].initial = Program.functionValue(functionsByName[n]!.index)
        addressTaken.insert(functionsByName[n]!.index)
      case .unary(.addressOf, let inner):
        if case .name(let n) = inner.kind, case .object(let oid, _)? = globalsByName[n] { slots[slot].initial = oid } else {
          diagnostics.error(.wrongType, at: value.location, "an initialiser takes a constant, a function name or &object")
        }
      default:
        diagnostics.error(.wrongType, at: value.location, "an initialiser takes a constant, a function name or &object")
      }
    }
  }

  /// Allocates the locks, nested objects and scalar slots of object `id`'s fields.
  mutating func fillObject(_ id: Int, path: String) {
    guard let info = structs[objects[id].structName] else { return }
    var fieldSlots: [Int] = []
    for (i, f) in info.decl.fields.enumerated() {
      let fieldPath = "\(path).\(f.name)"
      switch info.fieldTypes[i] {
      case .lock(let k):
        fieldSlots.append(locks.count)
        locks.append(LockInstance(name: fieldPath, className: "\(info.decl.name).\(f.name)", kind: k))
      case .object(let s):
        let sub = objects.count
        objects.append(ObjectInstance(name: fieldPath, structName: s, fieldSlots: [], parent: id, parentField: i))
        fillObject(sub, path: fieldPath)
        fieldSlots.append(sub)
      case .list:
        fieldSlots.append(lists.count)
        lists.append(fieldPath)
      default:
        fieldSlots.append(slots.count)
        slots.append(GlobalSlot(name: fieldPath, initial: 0))
      }
    }
    objects[id].fieldSlots = fieldSlots
  }

  func constantValue(_ e: Expr) -> Int? {
    switch e.kind {
    case .integer(let v): return v
    case .unary(.negate, let a): return constantValue(a).map { -$0 }
    case .unary(.not, let a): return constantValue(a).map { $0 == 0 ? 1 : 0 }
    default: return nil
    }
  }

  // MARK: - Functions

  mutating func declareFunctions(_ decls: [FunctionDecl]) {
    var next = 0
    for d in decls {
      if let existing = functionsByName[d.name] {
        if existing.decl.fromPrelude && !d.fromPrelude {
          // A scenario overriding a prelude function: the signature must match exactly.
          let rt = resolveType(d.returnType) ?? .void
          let pts = d.parameters.map { resolveType($0.type) ?? .int }
          if rt != existing.returnType || pts != existing.parameterTypes {
            let want = existing.parameterTypes.map(\.description).joined(separator: ", ")
            diagnostics.error(.override, at: d.location, "override of '\(d.name)' does not match the prelude's signature \(existing.returnType) \(d.name)(\(want)) at \(existing.decl.location)")
          }
          functionsByName[d.name] = Signature(index: existing.index, decl: d, returnType: rt, parameterTypes: pts)
          continue
        }
        diagnostics.error(.duplicateName, at: d.location, "function '\(d.name)' is defined twice (first at \(existing.decl.location))")
        continue
      }
      if Builtin.table[d.name] != nil || Builtin.queries[d.name] != nil {
        diagnostics.error(.duplicateName, at: d.location, "'\(d.name)' is a kernel primitive ksim provides; it cannot be redefined")
        continue
      }
      let rt = resolveType(d.returnType) ?? .void
      let pts = d.parameters.map { resolveType($0.type) ?? .int }
      functionsByName[d.name] = Signature(index: next, decl: d, returnType: rt, parameterTypes: pts)
      next += 1
    }
  }

  mutating func compileFunction(_ d: FunctionDecl, returnType: ValueType, parameterTypes: [ValueType],
                                entryPoint: Bool = false) -> CompiledFunction {
    var fc = FunctionCompiler(checker: self, name: d.name, returnType: returnType)
    for (p, t) in zip(d.parameters, parameterTypes) {
      fc.declareLocal(p.name, type: t, at: p.location)
    }
    fc.compileBlock(d.body, newScope: false)
    fc.emit(.returnValue(returnType == .void ? nil : .constant(0)), at: d.location, visible: false)
    var unlockCheck = UnlockChecker(entryPoint: entryPoint, functionName: d.name)
    unlockCheck.check(d.body)
    self = fc.checker
    for diag in unlockCheck.diagnostics { diagnostics.add(diag) }
    return CompiledFunction(name: d.name, returnType: returnType, parameterCount: d.parameters.count,
                            localCount: fc.localNames.count, localNames: fc.localNames, code: fc.code,
                            location: d.location)
  }
}
