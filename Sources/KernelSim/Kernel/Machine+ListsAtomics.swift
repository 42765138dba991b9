/// Native list_head (include/linux/list.h) and atomic operations (include/linux/atomic.h,
/// bitops): each is one indivisible step, which is what makes `test_and_set_bit(PENDING)` in
/// `queue_work_on()` or the claim in `irq_work_queue()` race correctly.
extension Machine {
  func listOp(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ op: ListOp, _ values: ArgValues, result: Int?,
              at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    func setResult(_ v: Int) { if let result { s.setLocal(ref, result, v) } }
    let list = values[values.count - 1]
    guard list >= 0 && list < s.lists.count else {
      return .bug(bug(.outOfBounds, "\(op.rawValue): not a list", s, ref, cpu: cpu, at: loc))
    }
    // The entry, for the operations that take one: lists hold object ids (NULL is checked
    // where it matters, below); anything else is a wild pointer, not a value to store.
    switch op {
    case .addTail, .addHead, .delInit, .next, .contains:
      guard values[0] >= 0 && values[0] < program.objects.count else {
        return .bug(bug(.badPointer, "\(op.rawValue): a bad pointer (\(values[0]))", s, ref, cpu: cpu, at: loc))
      }
    case .empty, .popFirst, .first:
      break
    }
    switch op {
    case .addTail, .addHead:
      guard values[0] > 0 else { return .bug(bug(.assertion, "\(op.rawValue)(NULL, ...)", s, ref, cpu: cpu, at: loc)) }
      if s.lists[list].contains(Int32(values[0])) {
        return .bug(bug(.assertion, "\(op.rawValue): \(program.objects[values[0]].name) is already on \(program.lists[list]) (list corruption)", s, ref, cpu: cpu, at: loc))
      }
      if op == .addTail { s.lists[list].append(Int32(values[0])) } else { s.lists[list].insert(Int32(values[0]), at: 0) }
    case .delInit:
      s.lists[list].removeAll { $0 == Int32(values[0]) }
    case .empty:
      setResult(s.lists[list].isEmpty ? 1 : 0)
    case .popFirst:
      setResult(s.lists[list].isEmpty ? 0 : Int(s.lists[list].removeFirst()))
    case .first:
      setResult(Int(s.lists[list].first ?? 0))
    case .next:
      if let i = s.lists[list].firstIndex(of: Int32(values[0])), i + 1 < s.lists[list].count {
        setResult(Int(s.lists[list][i + 1]))
      } else {
        setResult(0)
      }
    case .contains:
      setResult(s.lists[list].contains(Int32(values[0])) ? 1 : 0)
    }
    return .done
  }

  func atomicOp(_ s: inout MachineState, _ ref: ContextRef, cpu: Int, _ op: AtomicOp, _ values: ArgValues, result: Int?,
                at loc: SourceLocation, log: inout EventLog?) -> PrimitiveResult {
    func setResult(_ v: Int) { if let result { s.setLocal(ref, result, v) } }
    let slotIndex: Int
    switch op {
    case .testAndSetBit, .testAndClearBit, .setBit, .clearBit, .testBit: slotIndex = values[1]
    default: slotIndex = values[0]
    }
    guard slotIndex > 0 && slotIndex < s.globals.count else {
      return .bug(bug(.badPointer, "\(op.rawValue): \(slotIndex == 0 ? "NULL pointer" : "bad pointer (\(slotIndex))")", s, ref, cpu: cpu, at: loc))
    }
    let old = s.globals[slotIndex]
    var new = old
    switch op {
    case .testAndSetBit: new = old | (1 << values[0]); setResult(old & (1 << values[0]) != 0 ? 1 : 0)
    case .testAndClearBit: new = old & ~(1 << values[0]); setResult(old & (1 << values[0]) != 0 ? 1 : 0)
    case .setBit: new = old | (1 << values[0])
    case .clearBit: new = old & ~(1 << values[0])
    case .testBit: setResult(old & (1 << values[0]) != 0 ? 1 : 0)
    // Two's complement, as the kernel's atomic_t wraps (`+` trapped at the ends of Int).
    case .inc: new = old &+ 1
    case .dec: new = old &- 1
    case .decAndTest: new = old &- 1; setResult(new == 0 ? 1 : 0)
    case .read: setResult(old)
    case .set: new = values[1]
    case .incReturn: new = old &+ 1; setResult(new)
    case .xchg: new = values[1]; setResult(old)
    case .cmpxchg: if old == values[1] { new = values[2] }; setResult(old)
    }
    s.globals[slotIndex] = new
    if new != old {
      record(&log, s, .store, ref, cpu: cpu, at: loc, "\(op.rawValue)(&\(program.globals[slotIndex].name))", "\(old) → \(new)")
    }
    return .done
  }
}
