/// The interpreter's form of compiled code: operations and expressions as plain values.
///
/// `Instruction.Op` and `CExpr` hold arrays, strings and boxed sub-expressions. Matching an
/// operation read through a pointer copied its payload (a retain of each of them, an outlined
/// copy that switches on the case, then the release): some 3% of a prelude scenario's search,
/// for operations that mostly set a local or jump. Here an operation is an enum whose payloads
/// are integers, and an expression a node in a table, its operands other nodes by index, so
/// the interpreter copies nothing it must retain. `InstructionTable` builds both, once per
/// program, next to the instructions they come from (which stay what reports, liveness and
/// the reduction read).
enum FlatOp {
  case setLocal(slot: Int, value: Int32)
  case store(FlatLValue, value: Int32)
  case jump(Int)
  case branchIfFalse(Int32, target: Int)
  /// `arguments`: where the argument nodes start in `InstructionTable.arguments`.
  case call(function: Int, arguments: Int32, count: Int32, result: Int32)
  case callIndirect(Int32, arguments: Int32, count: Int32)
  case primitive(Primitive, arguments: Int32, count: Int32)
  case either
  /// -1: no value.
  case returnValue(Int32)
}

/// `LValue` with its slot expression as a node.
enum FlatLValue {
  case local(Int)
  case global(Int32)
}

/// `CExpr` as a node of `InstructionTable.nodes`; operands are node indices.
enum FlatExpr {
  case constant(Int)
  case local(Int)
  case global(Int)
  case field(base: Int32, index: Int)
  case load(Int32)
  case element(base: Int, count: Int, index: Int32)
  case unary(UnaryOp, Int32)
  case binary(BinaryOp, Int32, Int32)
  case conditional(Int32, Int32, Int32)
  case query(CExpr.Query)
  /// An expression evaluated from its `CExpr` (`InstructionTable.others`): `container_of`,
  /// which compares struct names and is rare. `operand`: its pointer operand as a node, for
  /// what only reads it (the reduction's footprints, `Machine.dynamicReads(node:...)`).
  case other(Int32, operand: Int32)
}

/// Builds the flat forms of a program's instructions.
struct FlatCodeBuilder {
  var nodes: [FlatExpr] = []
  var arguments: [Int32] = []
  var others: [CExpr] = []

  mutating func op(_ op: Instruction.Op) -> FlatOp {
    switch op {
    case .setLocal(let slot, let e): return .setLocal(slot: slot, value: node(e))
    case .store(let lv, let e): return .store(lvalue(lv), value: node(e))
    case .jump(let target): return .jump(target)
    case .branchIfFalse(let c, let target): return .branchIfFalse(node(c), target: target)
    case .call(let function, let args, let result):
      let (start, count) = argumentList(args)
      return .call(function: function, arguments: start, count: count, result: Int32(result ?? -1))
    case .callIndirect(let f, let args):
      let target = node(f)
      let (start, count) = argumentList(args)
      return .callIndirect(target, arguments: start, count: count)
    case .primitive(let p, _, let args, _, _):
      let (start, count) = argumentList(args)
      return .primitive(p, arguments: start, count: count)
    case .either: return .either
    case .returnValue(let e): return .returnValue(e.map { node($0) } ?? -1)
    }
  }

  mutating func lvalue(_ lv: LValue) -> FlatLValue {
    switch lv {
    case .local(let slot): return .local(slot)
    case .global(let e): return .global(node(e))
    }
  }

  /// The argument nodes, consecutive in `arguments` (operands are built first, so that their
  /// own argument lists, if any, do not interleave).
  private mutating func argumentList(_ args: [CExpr]) -> (Int32, Int32) {
    let roots = args.map { node($0) }
    let start = Int32(arguments.count)
    arguments += roots
    return (start, Int32(roots.count))
  }

  /// Appends `e`'s nodes (operands first) and returns its root's index.
  mutating func node(_ e: CExpr) -> Int32 {
    let n: FlatExpr
    switch e {
    case .constant(let v): n = .constant(v)
    case .local(let slot): n = .local(slot)
    case .global(let slot): n = .global(slot)
    case .field(let base, let index): n = .field(base: node(base), index: index)
    case .load(let slot): n = .load(node(slot))
    case .element(let base, let count, let index): n = .element(base: base, count: count, index: node(index))
    case .unary(let op, let a): n = .unary(op, node(a))
    case .binary(let op, let a, let b):
      let l = node(a)
      n = .binary(op, l, node(b))
    case .conditional(let c, let a, let b):
      let x = node(c), y = node(a)
      n = .conditional(x, y, node(b))
    case .query(let q): n = .query(q)
    case .containerOf(let a, _, _):
      let operand = node(a)
      others.append(e)
      n = .other(Int32(others.count - 1), operand: operand)
    }
    nodes.append(n)
    return Int32(nodes.count - 1)
  }
}
