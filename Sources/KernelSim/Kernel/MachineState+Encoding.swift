/// The compact, canonical encoding of a machine state: what the explorer stores.
///
/// Every field is written as a zigzag LEB128 varint, with lengths where they vary, so most
/// fields take one byte and two states are equal exactly when their encodings are. The explorer
/// keeps only these bytes (not the nested state value) and decodes a state when it expands it,
/// so memory grows with stored states, not with their in-memory representation. Hashing the
/// nested value with SipHash took ~45% of the time before this existed.
public struct StateKey: Hashable, Sendable {
  public let bytes: [UInt8]
  public let fingerprint: UInt64

  /// `baseline`: the explorer's initial state; only globals and tasks that differ from it are
  /// written. Decode with the same baseline.
  /// `live`: locals it says are dead are written as 0 (`LocalLiveness`).
  public init(_ s: MachineState, baseline: MachineState? = nil, live: LocalLiveness? = nil) {
    var w = ByteWriter()
    s.encode(into: &w, baseline: baseline, live: live)
    self.init(bytes: w.bytes)
  }

  public init(bytes: [UInt8]) {
    self.bytes = bytes
    // 64-bit multiply-xorshift over 8-byte words (wyhash-style mixing; not cryptographic).
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    bytes.withUnsafeBytes { raw in
      var i = 0
      while i + 8 <= raw.count {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 31
        i += 8
      }
      var tail: UInt64 = 0
      while i < raw.count { tail = tail << 8 | UInt64(raw[i]); i += 1 }
      h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
    }
    h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
    fingerprint = h ^ (h >> 32)
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
  public static func == (a: StateKey, b: StateKey) -> Bool { a.fingerprint == b.fingerprint && a.bytes == b.bytes }

  /// The state this key encodes (with the baseline it was encoded with).
  public func state(baseline: MachineState? = nil) -> MachineState {
    var r = ByteReader(bytes: bytes)
    return MachineState(decoding: &r, baseline: baseline)
  }
}

/// An append-only byte buffer for encodings, written through a raw pointer: appending to an
/// `[UInt8]` checked uniqueness and capacity on every byte (~30 instructions each).
struct ByteWriter: ~Copyable {
  private var base: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 512) {
    self.capacity = max(capacity, 16)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  /// A zigzag LEB128 varint (at most 10 bytes).
  @inline(__always) mutating func put(_ x: Int) {
    if count + 10 > capacity { grow() }
    var z = UInt64(bitPattern: Int64((x << 1) ^ (x >> 63)))
    while z >= 0x80 {
      base[count] = UInt8(truncatingIfNeeded: z) | 0x80
      count += 1
      z >>= 7
    }
    base[count] = UInt8(z)
    count += 1
  }

  private mutating func grow() {
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
    bigger.update(from: base, count: count)
    base.deallocate()
    base = bigger
    capacity *= 2
  }

  var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

struct ByteReader {
  let bytes: [UInt8]
  var i = 0
  @inline(__always) mutating func get() -> Int {
    var z: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = bytes[i]
      i += 1
      z |= UInt64(b & 0x7F) << shift
      if b < 0x80 { break }
      shift += 7
    }
    return Int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
  }
}

extension MachineState {
  /// Tasks, locks, globals and lists are written sparsely (most are unchanged from the
  /// baseline, free or empty in any state: the prelude's idle kworkers, runqueue and pool
  /// locks): a count, then index gaps and contents of the ones that are not.
  func encode(into w: inout ByteWriter, baseline base: MachineState?, live: LocalLiveness? = nil) {
    let baseline = base?.globals ?? []
    let baseTasks = base?.tasks ?? []
    w.put(cpus.count)
    for c in cpus {
      w.put(Int(c.current)); w.put(Int(c.softirqPending)); w.put(c.ipiPending ? 1 : 0)
      w.put(c.stack.count)
      for ctx in c.stack { ctx.encode(into: &w, live: live) }
      w.put(c.rcuCallbacks.count)
      for cb in c.rcuCallbacks { w.put(Int(cb.head)); w.put(Int(cb.gp)) }
    }
    w.put(tasks.count)
    var last = -1
    // Through buffer pointers: subscripting the arrays copied each TaskState out (a retain
    // and release per array inside it), twice per task per state.
    tasks.withUnsafeBufferPointer { taskBuffer in
      baseTasks.withUnsafeBufferPointer { baseBuffer in
        for i in taskBuffer.indices where i >= baseBuffer.count || !TaskState.same(taskBuffer.baseAddress! + i, baseBuffer.baseAddress! + i) {
          w.put(i - last); last = i
          taskBuffer[i].encodeFields(into: &w, live: live)
        }
      }
    }
    w.put(0)
    // Index-based, field by field: copying each LockState (three arrays) to compare it with
    // an idle one cost a retain and a release per array per lock per state.
    func busy(_ i: Int) -> Bool {
      !locks[i].owner.isNone || !locks[i].pendingWriter.isNone || !lockQueues[i].readers.isEmpty
        || !lockQueues[i].waiters.isEmpty || !lockQueues[i].wakees.isEmpty
    }
    // Sparse sections: (gap, contents) for each entry that differs from its idle or initial
    // value, then a 0 (gaps are at least 1), so each is written in one pass.
    w.put(locks.count)
    last = -1
    for i in locks.indices where busy(i) {
      w.put(i - last); last = i
      w.put(Int(locks[i].owner.raw)); w.put(Int(locks[i].pendingWriter.raw))
      w.put(lockQueues[i].readers.count); for r in lockQueues[i].readers { w.put(Int(r.raw)) }
      w.put(lockQueues[i].waiters.count); for x in lockQueues[i].waiters { w.put(Int(x.task)); w.put(x.mode.code) }
      w.put(lockQueues[i].wakees.count); for x in lockQueues[i].wakees { w.put(Int(x)) }
    }
    w.put(0)
    w.put(globals.count)
    last = -1
    let common = min(globals.count, baseline.count)
    for i in 0..<common where globals[i] != baseline[i] { w.put(i - last); last = i; w.put(globals[i]) }
    for i in common..<globals.count where globals[i] != 0 { w.put(i - last); last = i; w.put(globals[i]) }
    w.put(0)
    w.put(firesLeft.count); for f in firesLeft { w.put(Int(f)) }
    w.put(lists.count)
    last = -1
    for i in lists.indices where !lists[i].isEmpty {
      w.put(i - last); last = i
      w.put(lists[i].count); for x in lists[i] { w.put(Int(x)) }
    }
    w.put(0)
    w.put(Int(rcu.gpSeq)); w.put(rcu.gpActive ? 1 : 0); w.put(Int(rcu.qsNeeded)); w.put(Int(preemptionsLeft))
  }

  /// `idleLocks`: an array of idle locks of the state's size to start from (shared storage),
  /// made once by the caller; without it one is built.
  init(decoding r: inout ByteReader, baseline base: MachineState?, idleLocks: [LockState]? = nil,
       idleQueues: [LockQueues]? = nil) {
    let baseline = base?.globals ?? []
    cpus = (0..<r.get()).map { _ in
      var c = CPUState()
      c.current = Int32(r.get()); c.softirqPending = UInt32(r.get()); c.ipiPending = r.get() != 0
      c.stack = (0..<r.get()).map { _ in Context(decoding: &r) }
      c.rcuCallbacks = (0..<r.get()).map { _ in RCUCallback(head: Int32(r.get()), gp: Int16(r.get())) }
      return c
    }
    let taskCount = r.get()
    // Unwritten tasks are the baseline's; without one every task is written, in order.
    tasks = base?.tasks.count == taskCount ? base!.tasks : []
    var at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      let status: TaskStatus
      switch r.get() {
      case 1: status = .ready(cpu: r.get())
      case 2: status = .running(cpu: r.get())
      case 3: status = .sleeping
      default: status = .done
      }
      let mask = r.get()
      let state = mask & 1 != 0 ? Int32(r.get()) : 0
      let cpu = mask & 4 != 0 ? Int8(r.get()) : 0
      let waitGP = mask & 8 != 0 ? Int16(r.get()) : -1
      let waitLock = mask & 16 != 0 ? Int32(r.get()) : -1
      let waitFor = mask & 32 != 0 ? Int32(r.get()) : -1
      var t = TaskState(status: status, context: Context(decoding: &r, kind: .task(at)))
      t.state = state; t.onRQ = mask & 2 == 0; t.cpu = cpu; t.waitGP = waitGP; t.waitLock = waitLock; t.waitFor = waitFor
      if at < tasks.count { tasks[at] = t } else { tasks.append(t) }
    }
    // Unwritten locks are idle: start from a shared array of idle locks (the caller's, made
    // once per search) so a state holding no lock copies nothing.
    let lockCount = r.get()
    if let idleLocks, idleLocks.count == lockCount {
      locks = idleLocks
    } else {
      locks = Array(repeating: LockState(), count: lockCount)
    }
    if let idleQueues, idleQueues.count == lockCount {
      lockQueues = idleQueues
    } else {
      lockQueues = Array(repeating: LockQueues(), count: lockCount)
    }
    at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      locks[at] = LockState(owner: ContextRef(raw: Int32(r.get())), pendingWriter: ContextRef(raw: Int32(r.get())))
      var q = LockQueues()
      q.readers = (0..<r.get()).map { _ in ContextRef(raw: Int32(r.get())) }
      q.waiters = (0..<r.get()).map { _ in LockWaiter(task: Int32(r.get()), mode: LockMode(code: r.get())) }
      q.wakees = (0..<r.get()).map { _ in Int32(r.get()) }
      if !q.isEmpty { lockQueues[at] = q }
    }
    let globalCount = r.get()
    // Start from the baseline's array itself (shared until the first changed global is
    // written, then one copy of plain integers) rather than rebuilding it slot by slot.
    globals = baseline.count == globalCount ? baseline : (0..<globalCount).map { $0 < baseline.count ? baseline[$0] : 0 }
    at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      globals[at] = r.get()
    }
    firesLeft = (0..<r.get()).map { _ in Int16(r.get()) }
    lists = Array(repeating: [], count: r.get())
    at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      lists[at] = (0..<r.get()).map { _ in Int32(r.get()) }
    }
    rcu = RCUState(gpSeq: Int16(r.get()), gpActive: r.get() != 0, qsNeeded: UInt16(r.get()))
    preemptionsLeft = Int8(r.get())
  }
}

extension TaskState {
  /// `a.pointee == b.pointee`, field by field in place: the synthesized `==`, called on the
  /// tasks of two states, copied both values out (a retain and a release of every array in
  /// them) for every task of every encoded state. `TaskEqualityTests` checks that every
  /// stored property is compared.
  @inline(__always) static func same(_ a: UnsafePointer<TaskState>, _ b: UnsafePointer<TaskState>) -> Bool {
    a.pointee.status == b.pointee.status && a.pointee.state == b.pointee.state && a.pointee.onRQ == b.pointee.onRQ
      && a.pointee.cpu == b.pointee.cpu && a.pointee.waitGP == b.pointee.waitGP
      && a.pointee.waitLock == b.pointee.waitLock && a.pointee.waitFor == b.pointee.waitFor
      && a.pointee.context.irqsOff == b.pointee.context.irqsOff && a.pointee.context.preempt == b.pointee.context.preempt
      && a.pointee.context.bh == b.pointee.context.bh && a.pointee.context.spinningOn == b.pointee.context.spinningOn
      && a.pointee.context.spinMode == b.pointee.context.spinMode && a.pointee.context.vector == b.pointee.context.vector
      && a.pointee.context.batch == b.pointee.context.batch && a.pointee.context.restarts == b.pointee.context.restarts
      && a.pointee.context.rcuDepth == b.pointee.context.rcuDepth && a.pointee.context.kind == b.pointee.context.kind
      && a.pointee.context.frames == b.pointee.context.frames
  }

  /// Status, then a mask of the fields at unusual values (see `Context.encode`) and those
  /// fields, then the context (its kind is implied by the task's index).
  func encodeFields(into w: inout ByteWriter, live: LocalLiveness? = nil) {
    switch status {
    case .ready(let c): w.put(1); w.put(c)
    case .running(let c): w.put(2); w.put(c)
    case .sleeping: w.put(3)
    case .done: w.put(4)
    }
    let mask = (state != 0 ? 1 : 0) | (onRQ ? 0 : 2) | (cpu != 0 ? 4 : 0) | (waitGP != -1 ? 8 : 0) | (waitLock != -1 ? 16 : 0)
      | (waitFor != -1 ? 32 : 0)
    w.put(mask)
    if state != 0 { w.put(Int(state)) }
    if cpu != 0 { w.put(Int(cpu)) }
    if waitGP != -1 { w.put(Int(waitGP)) }
    if waitLock != -1 { w.put(Int(waitLock)) }
    if waitFor != -1 { w.put(Int(waitFor)) }
    context.encode(into: &w, writeKind: false, live: live)
  }
}

extension Context {
  /// The kind (unless the reader knows it: a task's context is `.task(index)`), a mask of the
  /// fields that differ from their usual value (interrupts on, counts 0, not spinning, no
  /// softirq vector), those fields, then the frames.
  func encode(into w: inout ByteWriter, writeKind: Bool = true, live: LocalLiveness? = nil) {
    if writeKind {
      switch kind {
      case .task(let t): w.put(1); w.put(t)
      case .hardirq(let s): w.put(2); w.put(s)
      case .softirq: w.put(3)
      case .ipi: w.put(4)
      }
    }
    var mask = irqsOff ? 1 : 0
    if preempt != 0 { mask |= 2 }
    if bh != 0 { mask |= 4 }
    if spinningOn != -1 || spinMode != .exclusive { mask |= 8 }
    if vector != -1 { mask |= 16 }
    if batch != 0 { mask |= 32 }
    if restarts != 0 { mask |= 64 }
    if rcuDepth != 0 { mask |= 128 }
    w.put(mask)
    if preempt != 0 { w.put(Int(preempt)) }
    if bh != 0 { w.put(Int(bh)) }
    if mask & 8 != 0 { w.put(Int(spinningOn)); w.put(spinMode.code) }
    if vector != -1 { w.put(Int(vector)) }
    if batch != 0 { w.put(Int(batch)) }
    if restarts != 0 { w.put(Int(restarts)) }
    if rcuDepth != 0 { w.put(Int(rcuDepth)) }
    w.put(frames.count)
    for f in frames {
      w.put(Int(f.function)); w.put(Int(f.pc)); w.put(Int(f.result))
      w.put(f.locals.count)
      if let live {
        let mask = live.firstWord(function: Int(f.function), pc: Int(f.pc))
        f.locals.withUnsafeBufferPointer { locals in
          for slot in locals.indices {
            w.put(slot >= 64 || mask & (1 << UInt64(slot)) != 0 ? locals[slot] : 0)
          }
        }
      } else {
        for x in f.locals { w.put(x) }
      }
    }
  }

  init(decoding r: inout ByteReader, kind known: ContextKind? = nil) {
    let kind: ContextKind
    if let known {
      kind = known
    } else {
      switch r.get() {
      case 1: kind = .task(r.get())
      case 2: kind = .hardirq(r.get())
      case 3: kind = .softirq
      default: kind = .ipi
      }
    }
    let mask = r.get()
    self.init(kind: kind, frames: [], irqsOff: mask & 1 != 0)
    if mask & 2 != 0 { preempt = Int16(r.get()) }
    if mask & 4 != 0 { bh = Int16(r.get()) }
    if mask & 8 != 0 { spinningOn = Int32(r.get()); spinMode = LockMode(code: r.get()) }
    if mask & 16 != 0 { vector = Int8(r.get()) }
    if mask & 32 != 0 { batch = UInt32(r.get()) }
    if mask & 64 != 0 { restarts = Int8(r.get()) }
    if mask & 128 != 0 { rcuDepth = Int8(r.get()) }
    frames = (0..<r.get()).map { _ in
      let function = Int32(r.get()), pc = Int32(r.get()), result = Int32(r.get())
      return Frame(function: function, pc: pc, locals: (0..<r.get()).map { _ in r.get() }, result: result)
    }
  }
}

extension LockMode {
  var code: Int {
    switch self {
    case .exclusive: return 0
    case .read: return 1
    case .write: return 2
    }
  }
  init(code: Int) { self = code == 1 ? .read : (code == 2 ? .write : .exclusive) }
}
