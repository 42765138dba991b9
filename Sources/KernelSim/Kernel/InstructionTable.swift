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
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
  }

  /// The instruction at `pc` of `function`. A pc outside the function traps, as indexing its
  /// code did (compiled code never gets there: every function ends with a return and every
  /// jump target is inside it).
  @inline(__always) func at(function: Int32, pc: Int32) -> UnsafePointer<Instruction> {
    precondition(pc >= 0 && pc < length[Int(function)], "pc \(pc) outside function \(function)")
    return UnsafePointer(base + Int(start[Int(function)]) + Int(pc))
  }
}
