extension Instruction.Op {
  /// The positions in the same function that may execute right after this instruction at
  /// `pc` (a call continues at `pc + 1` once its callee returns; a spinning primitive
  /// re-executes at `pc`, which the analyses using this already count). Positions outside
  /// `0..<count` are dropped: running off the end is a return.
  func successors(pc: Int, count: Int) -> [Int] {
    let next: [Int]
    switch self {
    case .jump(let target): next = [target]
    case .branchIfFalse(_, let target): next = [pc + 1, target]
    case .either(let arms): next = arms
    case .returnValue: next = []
    case .setLocal, .store, .call, .callIndirect, .primitive: next = [pc + 1]
    }
    return next.filter { $0 >= 0 && $0 < count }
  }
}
