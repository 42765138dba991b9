import Testing
@testable import KernelSim

/// The interpreter runs the flat form of compiled code (`FlatOp`, `FlatExpr`); the reduction's
/// footprints and the primitives' outputs still evaluate `CExpr`. Both evaluators must give
/// the same value, or the same bug with the same message, for every expression.
@Suite struct FlatCodeTests {
  @Test func flatAndTreeEvaluationAgreeOnRandomExpressions() throws {
    let path = repositoryRoot.appendingPathComponent("Scenarios/aio_fuse_fixed.ksim").path
    var p = try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
    var random = TestRandom(seed: 7)
    let locals = 6
    // Values that hit every path: object ids, global slots, NULL, out of range, large.
    let interesting = [0, 1, 2, 3, -1, 7, 64, 0x200, Int.max, Int.min, p.objects.count - 1, p.objects.count,
                       p.globals.count - 1, p.globals.count, 1 << 40]
    func value() -> Int { interesting[random.next(interesting.count)] }
    let unary: [UnaryOp] = [.not, .negate, .complement, .addressOf, .deref]
    let binary: [BinaryOp] = [.or, .and, .bitOr, .bitXor, .bitAnd, .equal, .notEqual, .less, .lessEqual, .greater,
                              .greaterEqual, .shiftLeft, .shiftRight, .add, .subtract, .multiply, .divide, .modulo]
    let queries: [CExpr.Query] = [.smpProcessorId, .inInterrupt, .inHardirq, .inSoftirq, .inServingSoftirq, .inTask,
                                  .irqsDisabled, .preemptible, .current, .numPossibleCPUs]
    let structs = Array(Set(p.objects.map(\.structName))).sorted()
    func expr(_ depth: Int) -> CExpr {
      let leaf = depth == 0 || random.next(4) == 0
      switch leaf ? random.next(4) : 4 + random.next(8) {
      case 0: return .constant(value())
      case 1: return .local(random.next(locals))
      case 2: return .global(random.next(p.globals.count))
      case 3: return .query(queries[random.next(queries.count)])
      case 4: return .field(expr(depth - 1), random.next(4))
      case 5: return .load(expr(depth - 1))
      case 6: return .element(base: random.next(50), count: 1 + random.next(4), index: expr(depth - 1))
      case 7: return .unary(unary[random.next(unary.count)], expr(depth - 1))
      case 8, 9: return .binary(binary[random.next(binary.count)], expr(depth - 1), expr(depth - 1))
      case 10: return .conditional(expr(depth - 1), expr(depth - 1), expr(depth - 1))
      default: return .containerOf(expr(depth - 1), structName: structs[random.next(structs.count)], field: random.next(3))
      }
    }
    let exprs = (0..<600).map { _ in expr(4) }
    let here = KLocation(file: "flat-test", line: 1, column: 1)
    p.functions.append(CompiledFunction(name: "flat_test", returnType: .void, parameterCount: 0, localCount: locals,
                                        localNames: (0..<locals).map { "l\($0)" },
                                        code: exprs.map { Instruction(op: .setLocal(0, $0), location: here, visible: false) },
                                        location: here))
    let f = p.functions.count - 1
    let m = Machine(program: p)
    var s = m.initialState()
    let ref = ContextRef.task(0)
    s.pushFrame(ref, function: f, count: locals, arguments: ArgValues(), result: -1)
    for slot in 0..<locals { s.setLocal(ref, slot, value()) }
    var failures = 0
    for (pc, e) in exprs.enumerated() {
      guard case .setLocal(_, let node) = m.code.flat(m.code.at(function: Int32(f), pc: Int32(pc))) else {
        Issue.record("instruction \(pc) has no flat setLocal")
        continue
      }
      let flat = m.evaluate(node: node, in: s, ref, cpu: 0)
      let tree = m.evaluate(e, in: s, ref, cpu: 0)
      switch (flat, tree) {
      case (.success(let a), .success(let b)) where a == b: continue
      case (.failure(let a), .failure(let b)) where a.kind == b.kind && a.message == b.message: continue
      default:
        failures += 1
        Issue.record("expression \(pc) \(e): flat \(flat), tree \(tree)")
      }
    }
    #expect(failures == 0)
  }

  /// Every instruction of a real program has a flat form that says the same: each flat
  /// expression, rebuilt as a `CExpr` from its nodes, equals the compiled one, argument lists
  /// keep their order, and a primitive's name, output and result slot come back as compiled.
  @Test func everyInstructionHasAnEquivalentFlatForm() throws {
    let path = repositoryRoot.appendingPathComponent("Scenarios/netfs_four_tasks.ksim").path
    let p = try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
    let m = Machine(program: p)
    func tree(_ i: Int32) -> CExpr {
      switch m.code.node(i) {
      case .constant(let v): return .constant(v)
      case .local(let slot): return .local(slot)
      case .global(let slot): return .global(slot)
      case .field(let base, let index): return .field(tree(base), index)
      case .load(let a): return .load(tree(a))
      case .element(let base, let count, let index): return .element(base: base, count: count, index: tree(index))
      case .unary(let op, let a): return .unary(op, tree(a))
      case .binary(let op, let a, let b): return .binary(op, tree(a), tree(b))
      case .conditional(let a, let b, let c): return .conditional(tree(a), tree(b), tree(c))
      case .query(let q): return .query(q)
      case .other(let k, _): return m.code.others[Int(k)]
      }
    }
    func arguments(_ start: Int32, _ count: Int32) -> [CExpr] { (0..<Int(count)).map { tree(m.code.argument(start, $0)) } }
    func lvalue(_ lv: FlatLValue) -> LValue {
      switch lv {
      case .local(let slot): return .local(slot)
      case .global(let n): return .global(tree(n))
      }
    }
    var primitives = 0
    for (f, fn) in p.functions.enumerated() {
      for (pc, instr) in fn.code.enumerated() {
        let at = m.code.at(function: Int32(f), pc: Int32(pc))
        let flat = m.code.flat(at)
        let same: Bool
        switch (instr.op, flat) {
        case (.setLocal(let a, let e), .setLocal(let b, let n)): same = a == b && e == tree(n)
        case (.store(let lv, let e), .store(let flv, let n)): same = lv == lvalue(flv) && e == tree(n)
        case (.either, .either): same = true
        case (.jump(let a), .jump(let b)): same = a == b
        case (.branchIfFalse(let c, let a), .branchIfFalse(let n, let b)): same = c == tree(n) && a == b
        case (.call(let a, let args, let r), .call(let b, let start, let count, let result)):
          same = a == b && args == arguments(start, count) && Int32(r ?? -1) == result
        case (.callIndirect(let e, let args), .callIndirect(let n, let start, let count)):
          same = e == tree(n) && args == arguments(start, count)
        case (.primitive(let a, let name, let args, let out, let result), .primitive(let b, let start, let count)):
          let parts = m.code.primitiveParts(at)
          same = a == b && args == arguments(start, count) && parts.name == name && parts.out.map(lvalue) == out && parts.result == result
          primitives += 1
        case (.returnValue(let e), .returnValue(let n)): same = e == (n < 0 ? nil : tree(n))
        default: same = false
        }
        #expect(same, "\(fn.name) pc \(pc): \(instr.op) has flat form \(flat)")
      }
    }
    #expect(primitives > 100)
  }
}
