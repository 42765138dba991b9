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

  /// Every instruction of a real program has a flat form of the same kind.
  @Test func everyInstructionHasAFlatFormOfItsKind() throws {
    let path = repositoryRoot.appendingPathComponent("Scenarios/netfs_four_tasks.ksim").path
    let p = try #require(Frontend.load(path: path, prelude: repositoryRoot.appendingPathComponent("Scenarios/prelude").path).program)
    let m = Machine(program: p)
    for (f, fn) in p.functions.enumerated() {
      for (pc, instr) in fn.code.enumerated() {
        let flat = m.code.flat(m.code.at(function: Int32(f), pc: Int32(pc)))
        switch (instr.op, flat) {
        case (.setLocal(let a, _), .setLocal(let b, _)): #expect(a == b)
        case (.store(.local(let a), _), .store(.local(let b), _)): #expect(a == b)
        case (.store(.global, _), .store(.global, _)), (.either, .either): break
        case (.jump(let a), .jump(let b)), (.branchIfFalse(_, let a), .branchIfFalse(_, target: let b)): #expect(a == b)
        case (.call(let a, let args, let r), .call(let b, _, let count, let result)):
          #expect(a == b && args.count == count && Int32(r ?? -1) == result)
        case (.callIndirect(_, let args), .callIndirect(_, _, let count)): #expect(args.count == count)
        case (.primitive(let a, _, let args, _, _), .primitive(let b, _, let count)): #expect(a == b && args.count == count)
        case (.returnValue(let e), .returnValue(let n)): #expect((e == nil) == (n < 0))
        default: Issue.record("\(fn.name) pc \(pc): \(instr.op) has flat form \(flat)")
        }
      }
    }
  }
}
