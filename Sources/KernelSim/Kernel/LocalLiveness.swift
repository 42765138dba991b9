/// Which locals of a frame can still be read, per function and pc: dead-variable elimination
/// for the stored states.
///
/// Two states that differ only in a local no path will read before writing it (a loop counter
/// after the loop, a temporary, a parameter used only at the top) have the same futures. The
/// encoding writes such a local as 0, so the explorer stores them as one state (SPIN does the
/// same, "dead variable elimination"). Nothing else changes: the machine still steps with the
/// values it has; only the stored key, and a state decoded from it, forget dead values.
///
/// The analysis is the textbook backward fixed point over each compiled function, and it errs
/// towards "live": a local is killed only by `x = e` (`setLocal`, or a store to a local).
/// A primitive's result and out-parameter are never treated as killed (a spinning
/// `spin_lock_irqsave` has written `flags` and re-executes at the same pc), nor is a call's
/// result slot while the callee runs. For a caller's frame, the pc is the instruction after
/// the call (where it resumes).
public struct LocalLiveness: Sendable {
  /// The live-in sets of every instruction, function after function, `words[f]` 64-bit words
  /// per pc from `start[f]` (one flat array: no inner array to retain on each lookup).
  private let bits: [UInt64]
  private let start: [Int]
  private let words: [Int]
  private let codeCount: [Int]

  /// Functions no context can run (`Program.reachableFunctions`) are not analysed: every
  /// local of theirs counts as live. Analysing the whole prelude was 3.5% of the spin ring's
  /// search, for a few functions it runs.
  public init(program: Program) {
    var bits: [UInt64] = []
    var start: [Int] = []
    var words: [Int] = []
    let reachable = program.reachableFunctions(callGraph: program.callGraph())
    for (f, fn) in program.functions.enumerated() {
      let w = max(1, (fn.localCount + 63) / 64)
      start.append(bits.count)
      words.append(w)
      bits += reachable[f] ? LocalLiveness.analyse(fn, words: w) : Array(repeating: ~0, count: fn.code.count * w)
    }
    self.bits = bits
    self.start = start
    self.words = words
    codeCount = program.functions.map(\.code.count)
  }

  /// Whether local `slot` of a frame of `function` at `pc` may still be read.
  public func isLive(function: Int, pc: Int, slot: Int) -> Bool {
    guard pc >= 0, pc < codeCount[function] else { return true }
    return bits[start[function] + pc * words[function] + slot >> 6] & (1 << UInt64(slot & 63)) != 0
  }

  /// The live set of the first 64 locals of a frame of `function` at `pc` as one mask (slots
  /// from 64 on count as live): what the encoder tests, one word per frame.
  @inline(__always) func firstWord(function: Int, pc: Int) -> UInt64 {
    guard pc >= 0, pc < codeCount[function] else { return ~0 }
    return bits[start[function] + pc * words[function]]
  }

  private static func analyse(_ fn: CompiledFunction, words w: Int) -> [UInt64] {
    let n = fn.code.count
    var use = Array(repeating: UInt64(0), count: n * w)
    var kill = Array(repeating: UInt64(0), count: n * w)
    var successors = Array(repeating: [Int](), count: n)
    func mark(_ set: inout [UInt64], _ pc: Int, _ slot: Int) {
      guard slot >= 0 && slot < w * 64 else { return }
      set[pc * w + slot >> 6] |= 1 << UInt64(slot & 63)
    }
    func uses(_ e: CExpr, _ pc: Int) {
      switch e {
      case .local(let slot): mark(&use, pc, slot)
      case .constant, .global, .query: break
      case .field(let b, _): uses(b, pc)
      case .load(let a): uses(a, pc)
      case .element(_, _, let i): uses(i, pc)
      case .unary(_, let a): uses(a, pc)
      case .binary(_, let a, let b): uses(a, pc); uses(b, pc)
      case .conditional(let a, let b, let c): uses(a, pc); uses(b, pc); uses(c, pc)
      case .containerOf(let a, _, _): uses(a, pc)
      }
    }
    for (pc, instr) in fn.code.enumerated() {
      switch instr.op {
      case .setLocal(let slot, let e):
        uses(e, pc); mark(&kill, pc, slot)
      case .store(let lv, let e):
        uses(e, pc)
        switch lv {
        case .local(let slot): mark(&kill, pc, slot)
        case .global(let slotExpr): uses(slotExpr, pc)
        }
      case .jump:
        break
      case .branchIfFalse(let c, _):
        uses(c, pc)
      case .call(_, let args, _):
        for a in args { uses(a, pc) }
      case .callIndirect(let f, let args):
        uses(f, pc); for a in args { uses(a, pc) }
      case .primitive(_, _, let args, let out, _):
        for a in args { uses(a, pc) }
        switch out {
        case .local(let slot)?: mark(&use, pc, slot)
        case .global(let slotExpr)?: uses(slotExpr, pc)
        case nil: break
        }
      case .either:
        break
      case .returnValue(let e):
        if let e { uses(e, pc) }
      }
      successors[pc] = instr.op.successors(pc: pc, count: n)
    }
    // live-in(pc) = use(pc) | (union of live-in(successors) & ~kill(pc)), to a fixed point.
    var live = Array(repeating: UInt64(0), count: n * w)
    var changed = true
    while changed {
      changed = false
      for pc in stride(from: n - 1, through: 0, by: -1) {
        for k in 0..<w {
          var out: UInt64 = 0
          for s in successors[pc] { out |= live[s * w + k] }
          let v = use[pc * w + k] | (out & ~kill[pc * w + k])
          if v != live[pc * w + k] { live[pc * w + k] = v; changed = true }
        }
      }
    }
    return live
  }
}
