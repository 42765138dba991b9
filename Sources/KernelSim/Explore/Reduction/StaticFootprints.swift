/// Per function, everything it and whatever it may call can touch: the "future" of a context
/// that is somewhere inside it.
///
/// Computed once per program from the compiled instructions. Operands are resolved to sets of
/// possible targets by a small abstract evaluation (`possibleValues`): constants and array
/// elements resolve exactly; a field through an unknown pointer resolves to that field of every
/// object (so `spin_lock(&rq->__lock)` is every runqueue lock, not every lock); anything read
/// from memory is unknown (`everything`). Indirect calls may reach any address-taken function
/// with a matching parameter count (work functions, timer and RCU callbacks).
struct StaticFootprints: Sendable {
  /// Indexed by function: its own instructions plus every function it may call.
  let closure: [Footprint]
  /// Indexed by function, then pc: what a frame of that function about to execute `pc` may
  /// still touch before it returns. The instructions reachable from `pc` in the function's
  /// control flow (`pc` itself included: a spinning primitive re-executes it), plus the
  /// closures of the functions they may call. A task past its last lock operation no longer
  /// conflicts with that lock's other users, where the function's closure kept it coupled to
  /// them until the task ended.
  let remaining: [[Footprint]]

  init(program: Program) {
    let n = program.functions.count
    let callees = program.callGraph()
    // Only functions the scenario can run get footprints (`Program.reachableFunctions`):
    // computing the whole prelude's was most of the spin ring's setup. Any other function is
    // `everything`.
    let reachable = program.reachableFunctions(callGraph: callees)
    // Unbounded, and with every flag set: selection reads the scheduler and raise flags of a
    // future's entries on their own (whether sleepers may be woken, whether softirq actions
    // and the irq_work handler may run), so `unbounded` alone would not say everything.
    let operands = Operands(program: program)
    var anything = Footprint.everything
    anything.scheduler = true
    anything.raisesSoftirq = true
    anything.raisesIPI = true
    // Each instruction's own footprint, worked out once: the per-pc pass below starts from it.
    var instructions = Array(repeating: [Footprint](), count: n)
    var direct = Array(repeating: Footprint(), count: n)
    for f in 0..<n {
      guard reachable[f] else { direct[f] = anything; continue }
      instructions[f] = program.functions[f].code.map { instr in
        var fp = Footprint()
        StaticFootprints.add(instr.op, program: operands, to: &fp)
        return fp
      }
      for fp in instructions[f] { direct[f].formUnion(fp) }
    }
    // Fixpoint over the call graph (recursion and callback cycles included).
    // Sets grow in place (`formUnion` says whether one did); a callee's set is copied out
    // before it is added (`closure` cannot be read while one of its elements is modified).
    var closure = direct
    var changed = true
    while changed {
      changed = false
      for f in 0..<n where reachable[f] {
        for g in callees[f] where g != f {
          let callee = closure[g]
          if closure[f].formUnion(callee) { changed = true }
        }
      }
    }
    self.closure = closure

    // Backward fixed point per function: remaining(pc) = own(pc) ∪ remaining(successors).
    var remaining: [[Footprint]] = []
    for f in 0..<n {
      let code = program.functions[f].code
      guard reachable[f] else {
        remaining.append(Array(repeating: anything, count: code.count))
        continue
      }
      var own = instructions[f]
      var successors = Array(repeating: [Int](), count: code.count)
      for (pc, instr) in code.enumerated() {
        switch instr.op {
        case .call(let g, _, _): own[pc].formUnion(closure[g])
        case .callIndirect(_, let args):
          for g in program.addressTakenFunctions where program.functions[g].parameterCount == args.count {
            own[pc].formUnion(closure[g])
          }
        default: break
        }
        successors[pc] = instr.op.successors(pc: pc, count: code.count)
      }
      var r = own
      var changed = true
      while changed {
        changed = false
        for pc in code.indices.reversed() {
          for q in successors[pc] where q != pc {
            let next = r[q]
            if r[pc].formUnion(next) { changed = true }
          }
        }
      }
      remaining.append(r)
    }
    self.remaining = remaining
  }

  /// The footprint of one instruction, statically.
  static func add(_ op: Instruction.Op, program operands: Operands, to fp: inout Footprint) {
    let program = operands.program
    func reads(_ e: CExpr) { sharedReads(e, program: operands, into: &fp.reads) }
    /// Ids outside `0..<limit` are no object of that kind: the access is a bug finding when it
    /// runs and changes nothing, so it is left out (and never sizes a bit set by a wild value).
    func targets(_ e: CExpr, limit: Int) -> BitSet {
      possibleValues(e, program: operands).map { BitSet($0.filter { $0 >= 0 && $0 < limit }) } ?? .everything
    }
    let slots = program.globals.count, locks = program.locks.count, lists = program.lists.count
    switch op {
    case .setLocal(_, let e): reads(e)
    case .store(let lv, let e):
      reads(e)
      if case .global(let slot) = lv { reads(slot); fp.writes.formUnion(targets(slot, limit: slots)) }
    case .branchIfFalse(let c, _): reads(c)
    case .returnValue(let e): if let e { reads(e) }
    case .call(_, let args, _): args.forEach(reads)
    case .callIndirect(let fn, let args): reads(fn); args.forEach(reads)
    case .jump, .either: break
    case .primitive(let p, _, let args, let out, _):
      args.forEach(reads)
      if case .global(let slot)? = out { reads(slot); fp.writes.formUnion(targets(slot, limit: slots)) }
      switch p {
      case .acquire, .release:
        if let a = args.first { fp.locks.formUnion(targets(a, limit: locks)) }
      case .sleepLock:
        if let a = args.first { fp.locks.formUnion(targets(a, limit: locks)) }
        fp.scheduler = true
      case .atomic(let a):
        let slotArg: Int
        switch a {
        case .testAndSetBit, .testAndClearBit, .setBit, .clearBit, .testBit: slotArg = 1
        default: slotArg = 0
        }
        if args.count > slotArg {
          let t = targets(args[slotArg], limit: slots)
          fp.reads.formUnion(t)
          fp.writes.formUnion(t)
        }
      case .list:
        if let a = args.last { fp.lists.formUnion(targets(a, limit: lists)) }
      case .rcu(.readLock), .rcu(.readUnlock), .rcu(.readLockHeld):
        // The running context's own nesting count (see `Machine.runFootprint`).
        break
      case .rcu(let op):
        fp.scheduler = true
        if op == .schedClockIrq { fp.raisesSoftirq = true }
      case .sched, .msleep:
        fp.scheduler = true
      case .raiseSoftirq:
        fp.raisesSoftirq = true
      case .irqWorkRaise:
        fp.raisesIPI = true
      case .localIrqDisable, .localIrqEnable, .localIrqSave, .localIrqRestore, .localBhDisable, .localBhEnable,
           .preemptDisable, .preemptEnable, .assertion, .relax, .mightSleep:
        // The running CPU's own state only (its context, its softirq-pending mask, its IPI).
        break
      }
    }
  }

  /// The global slots evaluating `e` may read.
  static func sharedReads(_ e: CExpr, program operands: Operands, into set: inout BitSet) {
    let program = operands.program
    switch e {
    case .constant, .local, .query: break
    case .global(let slot): set.insert(slot)
    case .load(let slot):
      sharedReads(slot, program: operands, into: &set)
      let n = program.globals.count
      set.formUnion(possibleValues(slot, program: operands).map { BitSet($0.filter { $0 >= 0 && $0 < n }) } ?? .everything)
    case .field(let b, _): sharedReads(b, program: operands, into: &set)
    case .element(_, _, let i): sharedReads(i, program: operands, into: &set)
    case .unary(_, let a): sharedReads(a, program: operands, into: &set)
    case .binary(_, let a, let b):
      sharedReads(a, program: operands, into: &set)
      sharedReads(b, program: operands, into: &set)
    case .conditional(let a, let b, let c):
      sharedReads(a, program: operands, into: &set)
      sharedReads(b, program: operands, into: &set)
      sharedReads(c, program: operands, into: &set)
    case .containerOf(let a, _, _): sharedReads(a, program: operands, into: &set)
    }
  }

  /// Every value `e` may have, or nil when it cannot be bounded (a local, a loaded pointer).
  static func possibleValues(_ e: CExpr, program operands: Operands) -> [Int]? {
    let program = operands.program
    switch e {
    case .constant(let v): return [v]
    case .local, .global, .load, .query, .binary: return nil
    case .field(let base, let index):
      // Through an unknown pointer: that field of every object, worked out once per index.
      guard let bases = possibleValues(base, program: operands) else {
        return index < operands.anyObjectField.count ? operands.anyObjectField[index] : []
      }
      let out = bases.compactMap { b -> Int? in
        guard b >= 0 && b < program.objects.count, index < program.objects[b].fieldSlots.count else { return nil }
        return program.objects[b].fieldSlots[index]
      }
      return Array(Set(out)).sorted()
    case .element(let base, let count, let index):
      if let vs = possibleValues(index, program: operands) { return vs.filter { $0 >= 0 && $0 < count }.map { base + $0 } }
      return Array(base..<(base + count))
    case .unary(let op, let a):
      return op == .addressOf || op == .deref ? possibleValues(a, program: operands) : nil
    case .conditional(_, let a, let b):
      guard let x = possibleValues(a, program: operands), let y = possibleValues(b, program: operands) else { return nil }
      return Array(Set(x + y)).sorted()
    case .containerOf(let p, let structName, let field):
      let inner = possibleValues(p, program: operands) ?? Array(program.objects.indices)
      let out = inner.compactMap { id -> Int? in
        guard id > 0 && id < program.objects.count else { return nil }
        let o = program.objects[id]
        guard o.parent >= 0, o.parentField == field, program.objects[o.parent].structName == structName else { return nil }
        return o.parent
      }
      return Array(Set(out)).sorted()
    }
  }
}

/// A program with what resolving operands needs worked out once: a field read through an
/// unknown pointer resolves to that field of every object, and working that out for each
/// such operand (a pass over every object, then a set and a sort) was most of the static
/// footprints' cost, a fixed third of a millisecond-sized search like the spin rings'.
struct Operands {
  let program: Program
  /// Per field index: that field's slot in every object that has it, ascending.
  let anyObjectField: [[Int]]

  init(program: Program) {
    self.program = program
    var byIndex: [Set<Int>] = []
    for o in program.objects {
      for (i, slot) in o.fieldSlots.enumerated() {
        while byIndex.count <= i { byIndex.append([]) }
        byIndex[i].insert(slot)
      }
    }
    anyObjectField = byIndex.map { $0.sorted() }
  }
}
