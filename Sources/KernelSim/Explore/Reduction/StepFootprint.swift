/// The footprint of the step a CPU would take next, from its pending instruction and the
/// concrete state (so `spin_lock(&k->k_lock)` is exactly the one lock `k` points to now), and
/// the check, after the step, that it stayed inside that footprint.
extension Machine {
  /// What `cpu`'s `run` step touches, or nil when it cannot be bounded (a context finishing,
  /// scheduler operations, RCU operations other than the read side, sleeping locks: they touch
  /// other tasks' state).
  func runFootprint(_ s: MachineState, cpu: Int) -> StepFootprint? {
    var fp = StepFootprint()
    return runFootprint(s, cpu: cpu, into: &fp) ? fp : nil
  }

  /// `runFootprint(_:cpu:)` into `fp` (emptied first), false where it is nil. Selection keeps
  /// a footprint per CPU in its scratch and fills it in place: returned as an optional, the
  /// 146 bytes were copied three times per CPU per selected state (memcpy was 4% of the spin
  /// ring's wall time in selection, more than instruction counts suggest).
  func runFootprint(_ s: MachineState, cpu: Int, into fp: inout StepFootprint) -> Bool {
    fp.clear()
    guard let top = s.top(of: cpu) else { return false }
    let spin = s.spinning(top)
    if spin.lock >= 0 {
      return fp.locks.insert(Int(spin.lock))
    }
    guard let frame = s.topFrame(top) else { return false }
    // The flat form of the instruction (`FlatCode`), as the interpreter runs it: matching the
    // tree form's operation retained its argument array and output, and collecting the
    // arguments' values allocated an array, for every CPU of every selected state.
    let instr = code.at(function: frame.function, pc: frame.pc)
    func reads(_ node: Int32) -> Bool { dynamicReads(node: node, s, top, cpu: cpu, into: &fp.reads) }
    func value(_ node: Int32) -> Int? {
      if case .success(let v) = evaluate(node: node, in: s, top, cpu: cpu) { return v }
      return nil
    }
    // An id outside the state's range makes the step a bug finding (and would size a bit set
    // by a wild value): no bounded footprint.
    func valid(_ id: Int, _ count: Int) -> Bool { id >= 0 && id < count }
    func write(_ lv: FlatLValue?) -> Bool {
      guard case .global(let slotNode)? = lv else { return true }
      guard reads(slotNode), let slot = value(slotNode), valid(slot, s.globals.count) else { return false }
      return fp.writes.insert(slot)
    }
    func allRead(_ arguments: Int32, _ count: Int32) -> Bool {
      for k in 0..<Int(count) where !reads(code.argument(arguments, k)) { return false }
      return true
    }
    switch code.flat(instr) {
    case .either, .jump:
      return true
    case .setLocal(_, let e), .branchIfFalse(let e, _):
      return reads(e)
    case .returnValue(let e):
      return e < 0 || reads(e)
    case .store(let lv, let e):
      return reads(e) && write(lv)
    case .call(_, let arguments, let count, _):
      return allRead(arguments, count)
    case .callIndirect(let f, let arguments, let count):
      return reads(f) && allRead(arguments, count)
    case .primitive(let p, let arguments, let count):
      guard allRead(arguments, count), write(code.primitiveOut(instr)) else { return false }
      // Every argument must evaluate; the cases below use the first, second or last value.
      var first = 0, second = 0, last = 0
      for k in 0..<Int(count) {
        guard let v = value(code.argument(arguments, k)) else { return false }
        if k == 0 { first = v }
        if k == 1 { second = v }
        last = v
      }
      switch p {
      case .acquire, .release:
        guard count > 0, valid(first, s.locks.count), fp.locks.insert(first) else { return false }
      case .atomic(let a):
        let slot: Int
        switch a {
        case .testAndSetBit, .testAndClearBit, .setBit, .clearBit, .testBit: slot = second
        default: slot = first
        }
        guard count > 0, valid(slot, s.globals.count), fp.reads.insert(slot), fp.writes.insert(slot) else { return false }
      case .list:
        guard count > 0, valid(last, s.lists.count), fp.lists.insert(last) else { return false }
      case .localIrqDisable, .localIrqEnable, .localIrqSave, .localIrqRestore, .localBhDisable, .localBhEnable,
           .preemptDisable, .preemptEnable, .raiseSoftirq, .assertion, .relax, .irqWorkRaise, .mightSleep:
        // The CPU's own context, softirq mask and IPI; a softirq this starts runs on this CPU
        // (its visible steps are later steps of this CPU).
        break
      case .rcu(.readLock), .rcu(.readUnlock), .rcu(.readLockHeld):
        // The running context's own read-side nesting. No other CPU reads it: grace periods
        // look only at tasks *off* a CPU (blocked readers) and the tick at its own CPU's task.
        break
      case .sched, .rcu, .msleep, .sleepLock:
        return false
      }
      return true
    }
  }

  /// Adds the global slots evaluating expression node `node` of the flat code reads now; false
  /// if evaluation fails (a bug step) or they are more than `SmallIDSet<16>.capacity`.
  func dynamicReads(node: Int32, _ s: MachineState, _ ref: ContextRef, cpu: Int, into set: inout SmallIDSet<16>) -> Bool {
    switch code.node(node) {
    case .constant, .local, .query: return true
    case .global(let slot): return set.insert(slot)
    case .load(let slotNode):
      guard dynamicReads(node: slotNode, s, ref, cpu: cpu, into: &set),
            case .success(let slot) = evaluate(node: slotNode, in: s, ref, cpu: cpu), slot > 0, slot < s.globals.count else { return false }
      return set.insert(slot)
    case .field(let b, _): return dynamicReads(node: b, s, ref, cpu: cpu, into: &set)
    case .element(_, _, let i): return dynamicReads(node: i, s, ref, cpu: cpu, into: &set)
    case .unary(_, let a): return dynamicReads(node: a, s, ref, cpu: cpu, into: &set)
    case .binary(let op, let a, let b):
      guard dynamicReads(node: a, s, ref, cpu: cpu, into: &set) else { return false }
      if op == .and || op == .or {
        // Short-circuit exactly as `evaluate` does: `p && p->x` never reads through NULL.
        guard case .success(let l) = evaluate(node: a, in: s, ref, cpu: cpu) else { return false }
        if (op == .and && l == 0) || (op == .or && l != 0) { return true }
      }
      return dynamicReads(node: b, s, ref, cpu: cpu, into: &set)
    case .conditional(let a, let b, let c):
      guard dynamicReads(node: a, s, ref, cpu: cpu, into: &set),
            case .success(let v) = evaluate(node: a, in: s, ref, cpu: cpu) else { return false }
      return dynamicReads(node: v != 0 ? b : c, s, ref, cpu: cpu, into: &set)
    case .other(_, let operand):  // container_of: only its pointer operand is read
      return dynamicReads(node: operand, s, ref, cpu: cpu, into: &set)
    }
  }

  /// After a step of `cpu` from `s` to `t`: did it change only `cpu`'s own contexts and masks,
  /// the locks, slots and lists in `fp`, and (only if `fp.scheduler`) its own task's scheduler
  /// state? A step that ran further than its instruction promised (a context finishing into an
  /// exit path, a grace period ending) fails this and its state is expanded in full.
  /// `ownTask` is the task whose scheduler state the step may change: the CPU's running task,
  /// or the task a `pick` starts.
  func stayedWithin(_ s: MachineState, _ t: MachineState, cpu: Int, ownTask own: Int32, _ fp: StepFootprint) -> Bool {
    if fp.unbounded { return false }
    if s.rcu != t.rcu || s.preemptionsLeft != t.preemptionsLeft { return false }
    // An array the step did not write is still the parent's storage (copy on write, and
    // states built from remembered parts share what they did not replace): nothing in it
    // changed, without comparing its elements.
    // CPUs and tasks are compared in place: `let a = s.tasks[i]` copied each (a retain and a
    // release of its call stack; 15,000 task copies on the spin ring of 5 CPUs).
    if !s.cpus.sharesStorage(with: t.cpus) {
      let othersSame = s.cpus.withUnsafeBufferPointer { a in
        t.cpus.withUnsafeBufferPointer { b in
          for d in a.indices where d != cpu {
            if a[d].current != b[d].current || a[d].stack.count != b[d].stack.count || a[d].softirqPending != b[d].softirqPending
              || a[d].ipiPending != b[d].ipiPending || a[d].rcuCallbacks != b[d].rcuCallbacks { return false }
          }
          return true
        }
      }
      if !othersSame { return false }
    }
    if !s.tasks.sharesStorage(with: t.tasks) {
      let tasksWithin = s.tasks.withUnsafeBufferPointer { a in
        t.tasks.withUnsafeBufferPointer { b in
          for i in a.indices {
            if a[i].status == b[i].status && a[i].state == b[i].state && a[i].onRQ == b[i].onRQ && a[i].waitGP == b[i].waitGP
              && a[i].cpu == b[i].cpu && a[i].waitLock == b[i].waitLock
              && a[i].waitFor == b[i].waitFor { continue }
            if !(fp.scheduler && Int32(i) == own) { return false }
          }
          return true
        }
      }
      if !tasksWithin { return false }
    }
    // Compare before testing membership: most locks are unchanged. Queues are compared only
    // where either state has any (`LockQueueTable`).
    if !s.locks.sharesStorage(with: t.locks) {
      for l in s.locks.indices {
        if s.locks[l].owner == t.locks[l].owner && s.locks[l].pendingWriter == t.locks[l].pendingWriter { continue }
        if !fp.locks.contains(l) { return false }
      }
    }
    guard s.lockQueues.allDifferences(from: t.lockQueues, { fp.locks.contains($0) }) else { return false }
    if !s.globals.sharesStorage(with: t.globals) {
      for g in s.globals.indices where s.globals[g] != t.globals[g] && !fp.writes.contains(g) { return false }
    }
    if !s.lists.sharesStorage(with: t.lists) {
      for l in s.lists.indices where s.lists[l] != t.lists[l] && !fp.lists.contains(l) { return false }
    }
    return true
  }
}
