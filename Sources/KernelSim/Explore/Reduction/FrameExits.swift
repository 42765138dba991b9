/// Where a step can run off the end of its context.
///
/// A step is one visible instruction plus the invisible instructions after it (`Machine.advance`).
/// When those invisible instructions return from the context's last frame, the same step
/// finishes the context: a task's status becomes `done`, which other CPUs' scheduler operations
/// read (a wakeup of that task, `task_state()`). Its footprint must then include the task's
/// scheduler state. Without this, every last step of a task failed the explorer's
/// `stayedWithin` check and its state was expanded in full (about 40% of the spin ring's states).
///
/// The analysis is static and over-approximates: both arms of a branch count, a call counts as
/// returning without a visible operation if its callee can, and an indirect call as if it could.
struct FrameExits: Sendable {
  /// `returns[f][pc]`: starting at `pc` of function `f`, the frame may return before executing
  /// any visible instruction.
  let returns: [[Bool]]

  init(program: Program) {
    let functions = program.functions
    var r = functions.map { Array(repeating: false, count: $0.code.count) }
    func at(_ f: Int, _ pc: Int) -> Bool { pc >= 0 && pc < r[f].count ? r[f][pc] : true }
    // A least fixed point: values only turn true, so this ends.
    var changed = true
    while changed {
      changed = false
      for f in functions.indices {
        let code = functions[f].code
        for pc in code.indices.reversed() where !r[f][pc] {
          let ins = code[pc]
          // Operations that may be fused into the step before them are passed through.
          guard !ins.visible || FrameExits.mayFuse(ins.op) else { continue }
          if FrameExits.framePops(after: ins.op, function: f, pc: pc, at) { r[f][pc] = true; changed = true }
        }
      }
    }
    returns = r
  }

  /// Whether, once `op` at `pc` of function `f` has executed, the frame may return before the
  /// next visible instruction, given `returnsFrom(function, pc)` for the positions it can go on
  /// from (both arms of a branch; a callee's entry, then the instruction after the call).
  static func framePops(after op: Instruction.Op, function f: Int, pc: Int, _ returnsFrom: (Int, Int) -> Bool) -> Bool {
    switch op {
    case .returnValue: return true
    case .jump(let t): return returnsFrom(f, t)
    case .branchIfFalse(_, let t): return returnsFrom(f, pc + 1) || returnsFrom(f, t)
    case .call(let g, _, _): return returnsFrom(g, 0) && returnsFrom(f, pc + 1)
    case .callIndirect: return returnsFrom(f, pc + 1)
    case .either(let arms): return arms.contains { returnsFrom(f, $0) }
    case .setLocal, .store, .primitive: return returnsFrom(f, pc + 1)
    }
  }

  /// Visible operations `Machine.fusesIntoStep` may run inside the step before them (statically:
  /// a restore is counted whatever its flags).
  static func mayFuse(_ op: Instruction.Op) -> Bool {
    guard case .primitive(let p, _, _, _, _) = op else { return false }
    switch p {
    case .localIrqEnable, .preemptEnable, .localIrqRestore: return true
    default: return false
    }
  }

  /// Whether the step `ctx` takes next (its pending visible instruction and the invisible run
  /// after it) may return from every frame, finishing the context.
  func stepMayFinish(_ program: Program, _ ctx: Context) -> Bool {
    guard let top = ctx.topFunctionPC else { return true }
    let f = Int(top.function), pc = Int(top.pc)
    let code = program.functions[f].code
    func at(_ g: Int, _ p: Int) -> Bool { p >= 0 && p < returns[g].count ? returns[g][p] : true }
    guard pc < code.count else { return true }
    guard FrameExits.framePops(after: code[pc].op, function: f, pc: pc, at) else { return false }
    // Callers resume at their saved pc (a call advances it before pushing the callee).
    var k = 0, all = true
    ctx.forEachFunctionPC { function, pc in
      if k + 1 < ctx.frameCount && !at(Int(function), Int(pc)) { all = false }
      k += 1
    }
    return all
  }
}
