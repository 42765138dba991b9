/// Every function's compiled code in one buffer the interpreter reads in place.
///
/// `program.functions[f].code[pc]` copies the instruction out: a retain of each expression,
/// argument array and name in its operation and of its location's file name, and their
/// release once the instruction is done with. The interpreter did that for every instruction
/// it ran, some 8% of a prelude scenario's search. This table hands out pointers instead.
///
/// Immutable once built, and it lives as long as the `Machine` holding it, so a pointer it
/// gives is valid for the whole of a step (hence `@unchecked Sendable`).
final class InstructionTable: @unchecked Sendable {
  private let base: UnsafeMutablePointer<Instruction>
  /// Each instruction's operation in the interpreter's form (`FlatOp`), at the same index.
  private let flatBase: UnsafeMutablePointer<FlatOp>
  /// The flat operations' expression nodes and argument lists, and the expressions left as
  /// `CExpr` (`FlatExpr.other`).
  private let nodes: UnsafeMutablePointer<FlatExpr>
  private let nodeCount: Int
  private let argumentNodes: UnsafeMutablePointer<Int32>
  private let argumentCount: Int
  let others: [CExpr]
  /// Per instruction, a primitive's name, output and result slot (-1: none); empty and
  /// nil for other instructions. Read apart so that running a primitive does not copy its
  /// whole operation.
  private let names: [String]
  private let outs: [FlatLValue?]
  private let results: [Int32]
  private let count: Int
  /// Where each function's code starts in the buffer, and how long it is.
  let start: [Int32]
  private let length: [Int32]

  init(program: Program) {
    var start: [Int32] = []
    var total = 0
    for f in program.functions {
      start.append(Int32(total))
      total += f.code.count
    }
    self.start = start
    length = program.functions.map { Int32($0.code.count) }
    count = total
    base = .allocate(capacity: max(total, 1))
    var at = base
    for f in program.functions {
      f.code.withUnsafeBufferPointer { code in
        if let from = code.baseAddress { at.initialize(from: from, count: code.count) }
      }
      at += f.code.count
    }
    var builder = FlatCodeBuilder()
    flatBase = .allocate(capacity: max(total, 1))
    var names: [String] = [], outs: [FlatLValue?] = [], results: [Int32] = []
    var i = 0
    for f in program.functions {
      for instr in f.code {
        (flatBase + i).initialize(to: builder.op(instr.op))
        if case .primitive(_, let name, _, let out, let result) = instr.op {
          names.append(name); outs.append(out.map { builder.lvalue($0) }); results.append(Int32(result ?? -1))
        } else {
          names.append(""); outs.append(nil); results.append(-1)
        }
        i += 1
      }
    }
    self.names = names
    self.outs = outs
    self.results = results
    nodeCount = builder.nodes.count
    nodes = .allocate(capacity: max(nodeCount, 1))
    nodes.initialize(from: builder.nodes, count: nodeCount)
    argumentCount = builder.arguments.count
    argumentNodes = .allocate(capacity: max(argumentCount, 1))
    argumentNodes.initialize(from: builder.arguments, count: argumentCount)
    others = builder.others
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
    flatBase.deinitialize(count: count)
    flatBase.deallocate()
    nodes.deinitialize(count: nodeCount)
    nodes.deallocate()
    argumentNodes.deinitialize(count: argumentCount)
    argumentNodes.deallocate()
  }

  /// The flat form of the instruction `at(function:pc:)` gives (`FlatOp`), read as a plain
  /// value.
  @inline(__always) func flat(_ instr: UnsafePointer<Instruction>) -> FlatOp {
    flatBase[UnsafePointer(base).distance(to: instr)]
  }

  /// The name, output and result slot of the primitive `instr` (see `names`).
  @inline(__always) func primitiveParts(_ instr: UnsafePointer<Instruction>) -> (name: String, out: FlatLValue?, result: Int?) {
    let i = UnsafePointer(base).distance(to: instr)
    return (names[i], outs[i], results[i] >= 0 ? Int(results[i]) : nil)
  }

  /// The output of the primitive `instr`, if it has one (`primitiveParts` without the name).
  @inline(__always) func primitiveOut(_ instr: UnsafePointer<Instruction>) -> FlatLValue? {
    outs[UnsafePointer(base).distance(to: instr)]
  }

  /// Expression node `i` (`FlatExpr`).
  @inline(__always) func node(_ i: Int32) -> FlatExpr {
    precondition(i >= 0 && Int(i) < nodeCount, "expression node \(i) out of range")
    return nodes[Int(i)]
  }

  /// Argument `k` of a flat operation whose argument list starts at `start`: a node index.
  @inline(__always) func argument(_ start: Int32, _ k: Int) -> Int32 {
    argumentNodes[Int(start) + k]
  }

  /// The instruction at `pc` of `function`. A pc outside the function traps, as indexing its
  /// code did (compiled code never gets there: every function ends with a return and every
  /// jump target is inside it).
  @inline(__always) func at(function: Int32, pc: Int32) -> UnsafePointer<Instruction> {
    precondition(pc >= 0 && pc < length[Int(function)], "pc \(pc) outside function \(function)")
    return UnsafePointer(base + Int(start[Int(function)]) + Int(pc))
  }
}
