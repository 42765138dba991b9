/// A compact, canonical encoding of a machine state, and its hash: either the flat encoding
/// (`StateKey(state)`), or the vector of part ids the visited set stores (`VisitedSet.key`).
///
/// Every field is written as a zigzag LEB128 varint, with lengths where they vary, so most
/// fields take one byte and two states are equal exactly when their encodings are. The explorer
/// keeps only encodings (not the nested state value) and decodes a state when it expands it,
/// so memory grows with stored states, not with their in-memory representation. Hashing the
/// nested value with SipHash took ~45% of the time before this existed.
public struct StateKey: Hashable, Sendable {
  /// A key of up to 32 bytes (the visited set's vectors of part ids take 10-30 on the seeds)
  /// is kept in place; a longer one (a flat encoding) in `spill`. An array per key cost an
  /// allocation, some 600 instructions, for every transition the explorer made.
  private var inline: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
  private var spill: [UInt8] = []
  private let length: Int
  public let fingerprint: UInt64

  /// `baseline`: the explorer's initial state; only globals and tasks that differ from it are
  /// written. Decode with the same baseline.
  /// `live`: locals it says are dead are written as 0 (`LocalLiveness`).
  public init(_ s: MachineState, baseline: MachineState? = nil, live: LocalLiveness? = nil) {
    var w = ByteWriter()
    s.encode(into: &w, baseline: baseline, live: live)
    self = w.withBytes(from: 0) { StateKey(raw: $0) }
  }

  public init(bytes: [UInt8]) {
    self = bytes.withUnsafeBytes { StateKey(raw: $0) }
  }

  init(raw: UnsafeRawBufferPointer) {
    length = raw.count
    fingerprint = ByteStringTable.hash(raw)
    if raw.count <= MemoryLayout.size(ofValue: inline) {
      if raw.count > 0 { withUnsafeMutableBytes(of: &inline) { $0.copyMemory(from: raw) } }
    } else {
      spill = Array(raw)
    }
  }

  /// The key's bytes.
  public var bytes: [UInt8] { withBytes { Array($0) } }

  /// Calls `body` with the key's bytes (valid only inside `body`).
  @inline(__always) func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    if length <= MemoryLayout.size(ofValue: inline) {
      return withUnsafeBytes(of: inline) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
    return spill.withUnsafeBytes(body)
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
  public static func == (a: StateKey, b: StateKey) -> Bool {
    guard a.fingerprint == b.fingerprint && a.length == b.length else { return false }
    // A word at a time: `elementsEqual` went byte by byte, some 15 instructions a byte.
    return a.withBytes { x in b.withBytes { y in x.count == 0 || bytesEqual(x.baseAddress!, y.baseAddress!, count: x.count) } }
  }

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

  /// The most bytes one varint takes.
  static let maxVarint = 10

  /// A zigzag LEB128 varint (at most 10 bytes).
  @inline(__always) mutating func put(_ x: Int) {
    if count + ByteWriter.maxVarint > capacity { grow() }
    putUnchecked(x)
  }

  /// Makes room for `bytes` more bytes.
  @inline(__always) mutating func reserve(_ bytes: Int) {
    while count + bytes > capacity { grow() }
  }

  /// `put` without the room check: the caller has reserved it.
  @inline(__always) mutating func putUnchecked(_ x: Int) {
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

  /// Calls `body` with the bytes written since offset `from` (valid only inside `body`).
  @inline(__always) func withBytes<R>(from: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    body(UnsafeRawBufferPointer(start: base + from, count: count - from))
  }

  /// Forgets everything written after offset `count` (a scratch buffer's reuse).
  @inline(__always) mutating func truncate(to count: Int) { self.count = count }
}

struct ByteReader {
  let bytes: [UInt8]
  var i = 0
  @inline(__always) mutating func get() -> Int { readVarint(at: &i) { bytes[$0] } }
}

/// The zigzag LEB128 varint at `i` (advanced past it), reading bytes through `byte`. Most are
/// one byte (ids, gaps, counts), taken without the loop.
@inline(__always) func readVarint(at i: inout Int, _ byte: (Int) -> UInt8) -> Int {
  let first = byte(i)
  i += 1
  if first < 0x80 { return zigzagDecode(UInt64(first)) }
  var z = UInt64(first & 0x7F)
  var shift: UInt64 = 7
  while true {
    let b = byte(i)
    i += 1
    z |= UInt64(b & 0x7F) << shift
    if b < 0x80 { break }
    shift += 7
  }
  return zigzagDecode(z)
}

@inline(__always) func zigzagDecode(_ z: UInt64) -> Int { Int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))) }

/// `ByteReader` over bytes it does not own (valid while they are).
struct RawByteReader {
  let bytes: UnsafeRawBufferPointer
  var i = 0
  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
  @inline(__always) mutating func get() -> Int { readVarint(at: &i) { bytes.load(fromByteOffset: $0, as: UInt8.self) } }
}

extension MachineState {
  /// Tasks, locks, globals and lists are written sparsely (most are unchanged from the
  /// baseline, free or empty in any state: the prelude's idle kworkers, runqueue and pool
  /// locks): a count, then index gaps and contents of the ones that are not.
  ///
  /// The parts (each CPU, each task that differs from the baseline, the rest) have encoders of
  /// their own: the visited set stores each part once in a table and a state as the ids of its
  /// parts (`VisitedSet`); this flat form is their concatenation with the ids replaced by the
  /// parts themselves.
  func encode(into w: inout ByteWriter, baseline base: MachineState?, live: LocalLiveness? = nil) {
    w.put(cpus.count)
    for c in cpus { c.encode(into: &w, live: live) }
    w.put(tasks.count)
    forEachChangedTask(baseline: base) { task, gap in
      w.put(gap)
      task.pointee.encodeFields(into: &w, live: live)
    }
    w.put(0)
    encodeRest(into: &w, baseline: base)
  }

  /// Calls `body(task, gap)` for each task that differs from the baseline's (every task
  /// without one), in order; `gap` is the distance in index from the previous one (the
  /// first: from -1).
  @inline(__always) func forEachChangedTask(baseline base: MachineState?, _ body: (UnsafePointer<TaskState>, Int) -> Void) {
    let baseTasks = base?.tasks ?? []
    var last = -1
    // Through buffer pointers: subscripting the arrays copied each TaskState out (a retain and
    // release per array inside it), twice per task per state.
    tasks.withUnsafeBufferPointer { taskBuffer in
      baseTasks.withUnsafeBufferPointer { baseBuffer in
        for i in taskBuffer.indices where i >= baseBuffer.count || !TaskState.same(taskBuffer.baseAddress! + i, baseBuffer.baseAddress! + i) {
          body(taskBuffer.baseAddress! + i, i - last); last = i
        }
      }
    }
  }

  /// The locks part (`encodeLocks`) is equal to `other`'s.
  func sameLocks(as other: MachineState) -> Bool {
    locks == other.locks && lockQueues == other.lockQueues
  }

  /// The data part (`encodeData`) is equal to `other`'s.
  func sameData(as other: MachineState) -> Bool {
    globals == other.globals && firesLeft == other.firesLeft && lists == other.lists && rcu == other.rcu
      && preemptionsLeft == other.preemptionsLeft
  }

  /// Everything but the CPUs and tasks: the locks part, then the data part.
  func encodeRest(into w: inout ByteWriter, baseline base: MachineState?) {
    encodeLocks(into: &w)
    encodeData(into: &w, baseline: base)
  }

  /// The locks and their queues. Sparse: (gap, contents) for each lock that is not idle, then
  /// a 0 (gaps are at least 1), in one pass. A lock is busy if it has an owner or a pending
  /// writer, or queues (the table's entries, walked alongside).
  func encodeLocks(into w: inout ByteWriter) {
    w.put(locks.count)
    var last = -1
    let queued = lockQueues.entries
    var next = 0
    for i in locks.indices {
      let hasQueues = next < queued.count && Int(queued[next].lock) == i
      guard hasQueues || !locks[i].owner.isNone || !locks[i].pendingWriter.isNone else { continue }
      // Room for the six fixed fields at once.
      w.reserve(6 * ByteWriter.maxVarint)
      w.putUnchecked(i - last); last = i
      w.putUnchecked(locks[i].owner.code); w.putUnchecked(locks[i].pendingWriter.code)
      if hasQueues {
        // Read in place: binding the queues copied them (a retain and a release of each of
        // their three arrays), for every busy lock of every encoded locks part.
        let readers = queued[next].queues.readers.count
        let waiters = queued[next].queues.waiters.count
        let wakees = queued[next].queues.wakees.count
        w.reserve(ByteWriter.maxVarint * (3 + readers + 2 * waiters + wakees))
        w.putUnchecked(readers)
        for k in 0..<readers { w.putUnchecked(queued[next].queues.readers[k].code) }
        w.putUnchecked(waiters)
        for k in 0..<waiters {
          w.putUnchecked(Int(queued[next].queues.waiters[k].task)); w.putUnchecked(queued[next].queues.waiters[k].mode.code)
        }
        w.putUnchecked(wakees)
        for k in 0..<wakees { w.putUnchecked(Int(queued[next].queues.wakees[k])) }
        next += 1
      } else {
        w.putUnchecked(0); w.putUnchecked(0); w.putUnchecked(0)
      }
    }
    w.put(0)
  }

  /// Globals (those that differ from the baseline's), interrupt firings left, lists, the RCU
  /// grace-period machine and the preemption budget.
  func encodeData(into w: inout ByteWriter, baseline base: MachineState?) {
    let baseline = base?.globals ?? []
    w.put(globals.count)
    var last = -1
    // Room for every slot's gap and value made once: a scenario's run changes dozens of slots
    // from their initial values, and each varint checked the writer's room.
    w.reserve(ByteWriter.maxVarint * (2 * globals.count + 1))
    globals.withUnsafeBufferPointer { globals in
      baseline.withUnsafeBufferPointer { baseline in
        let common = min(globals.count, baseline.count)
        for i in 0..<common where globals[i] != baseline[i] { w.putUnchecked(i - last); last = i; w.putUnchecked(globals[i]) }
        for i in common..<globals.count where globals[i] != 0 { w.putUnchecked(i - last); last = i; w.putUnchecked(globals[i]) }
      }
    }
    w.putUnchecked(0)
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
  init(decoding r: inout ByteReader, baseline base: MachineState?, idleLocks: [LockState]? = nil) {
    let cpus = (0..<r.get()).map { _ in CPUState(decoding: &r) }
    let taskCount = r.get()
    // Unwritten tasks are the baseline's; without one every task is written, in order.
    var tasks = base?.tasks.count == taskCount ? base!.tasks : []
    var at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      let t = TaskState(decoding: &r, index: at)
      if at < tasks.count { tasks[at] = t } else { tasks.append(t) }
    }
    let (locks, lockQueues) = MachineState.decodeLocks(&r, idleLocks: idleLocks)
    let data = MachineState.decodeData(&r, baseline: base)
    self.init(cpus: cpus, tasks: tasks, locks: locks, lockQueues: lockQueues, data: data)
  }

  /// The state made of these CPUs, tasks, locks part and data part.
  init(cpus: [CPUState], tasks: [TaskState], locks: [LockState], lockQueues: LockQueueTable, data: DataPart) {
    self.init(cpus: cpus, tasks: tasks, locks: locks, lockQueues: lockQueues, globals: data.globals,
              firesLeft: data.firesLeft, lists: data.lists, rcu: data.rcu, preemptionsLeft: data.preemptionsLeft)
  }

  /// What `encodeData` writes, decoded.
  struct DataPart {
    var globals: [Int]
    var firesLeft: [Int16]
    var lists: [[Int32]]
    var rcu: RCUState
    var preemptionsLeft: Int8
  }

  /// The locks part read from `r` (`encodeLocks`). Unwritten locks are idle: they start from
  /// `idleLocks`, a shared array of idle locks (the caller's, made once per search) so a state
  /// holding no lock copies nothing.
  static func decodeLocks(_ r: inout ByteReader, idleLocks: [LockState]? = nil) -> ([LockState], LockQueueTable) {
    let lockCount = r.get()
    var locks: [LockState]
    if let idleLocks, idleLocks.count == lockCount {
      locks = idleLocks
    } else {
      locks = Array(repeating: LockState(), count: lockCount)
    }
    var lockQueues = LockQueueTable(count: lockCount)
    var at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      locks[at] = LockState(owner: ContextRef(code: r.get()), pendingWriter: ContextRef(code: r.get()))
      var q = LockQueues()
      q.readers = (0..<r.get()).map { _ in ContextRef(code: r.get()) }
      q.waiters = (0..<r.get()).map { _ in LockWaiter(task: Int32(r.get()), mode: LockMode(code: r.get())) }
      q.wakees = (0..<r.get()).map { _ in Int32(r.get()) }
      if !q.isEmpty { lockQueues[at] = q }
    }
    return (locks, lockQueues)
  }

  /// The data part read from `r` (`encodeData`).
  static func decodeData(_ r: inout ByteReader, baseline base: MachineState?) -> DataPart {
    let baseline = base?.globals ?? []
    let globalCount = r.get()
    // Start from the baseline's array itself (shared until the first changed global is
    // written, then one copy of plain integers) rather than rebuilding it slot by slot.
    var globals = baseline.count == globalCount ? baseline : (0..<globalCount).map { $0 < baseline.count ? baseline[$0] : 0 }
    var at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      globals[at] = r.get()
    }
    let firesLeft = (0..<r.get()).map { _ in Int16(r.get()) }
    var lists: [[Int32]] = Array(repeating: [], count: r.get())
    at = -1
    while true {
      let gap = r.get()
      if gap == 0 { break }
      at += gap
      lists[at] = (0..<r.get()).map { _ in Int32(r.get()) }
    }
    let rcu = RCUState(gpSeq: Int16(r.get()), gpActive: r.get() != 0, qsNeeded: UInt16(r.get()))
    return DataPart(globals: globals, firesLeft: firesLeft, lists: lists, rcu: rcu, preemptionsLeft: Int8(r.get()))
  }
}

extension CPUState {
  /// `a.pointee == b.pointee`, in place (see `TaskState.same`); arrays that share storage
  /// compare by identity.
  @inline(__always) static func same(_ a: UnsafePointer<CPUState>, _ b: UnsafePointer<CPUState>) -> Bool {
    a.pointee.current == b.pointee.current && a.pointee.softirqPending == b.pointee.softirqPending
      && a.pointee.ipiPending == b.pointee.ipiPending && a.pointee.stack == b.pointee.stack
      && a.pointee.rcuCallbacks == b.pointee.rcuCallbacks
  }

  /// A hash of the CPU's running task, pending work and stacked contexts with their frames,
  /// for `VisitedSet.CPUPartCache` (which compares the values themselves).
  func valueHash() -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    @inline(__always) func mix(_ x: Int) { h = (h ^ UInt64(bitPattern: Int64(x))) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
    mix(Int(current)); mix(Int(softirqPending)); mix(stack.count); mix(rcuCallbacks.count)
    stack.withUnsafeBufferPointer { stack in
      for c in stack {
        mix(Int(c.batch)); mix(Int(c.vector)); mix(Int(c.preempt)); mix(Int(c.spinningOn))
        c.words.withUnsafeBufferPointer { words in for x in words { mix(x) } }
      }
    }
    return h
  }

  /// The task's index, pending softirqs and IPI, the interrupt contexts stacked above the
  /// task, and the queued RCU callbacks.
  func encode(into w: inout ByteWriter, live: LocalLiveness?) {
    w.put(Int(current)); w.put(Int(softirqPending)); w.put(ipiPending ? 1 : 0)
    w.put(stack.count)
    for ctx in stack { ctx.encode(into: &w, live: live) }
    w.put(rcuCallbacks.count)
    for cb in rcuCallbacks { w.put(Int(cb.head)); w.put(Int(cb.gp)) }
  }

  init(decoding r: inout ByteReader) {
    self.init()
    current = Int32(r.get()); softirqPending = UInt32(r.get()); ipiPending = r.get() != 0
    stack = (0..<r.get()).map { _ in Context(decoding: &r) }
    rcuCallbacks = (0..<r.get()).map { _ in RCUCallback(head: Int32(r.get()), gp: Int16(r.get())) }
  }
}

extension TaskState {
  /// `a.pointee == b.pointee`, field by field in place: the synthesized `==`, called on the
  /// tasks of two states, copied both values out (a retain and a release of every array in
  /// them) for every task of every encoded state. `TaskEqualityTests` checks that every
  /// stored property is compared.
  @inline(__always) static func same(_ a: UnsafePointer<TaskState>, _ b: UnsafePointer<TaskState>) -> Bool {
    // Identical bytes are equal values: every field is a plain value or (the call stack) an
    // array whose storage, when shared, holds equal words. Most tasks a step did not touch
    // are such copies, and this settles them in a few word compares; different bytes (a
    // changed field, or only different padding) are compared field by field.
    if bytesEqual(UnsafeRawPointer(a), UnsafeRawPointer(b), count: MemoryLayout<TaskState>.size) { return true }
    return a.pointee.status == b.pointee.status && a.pointee.state == b.pointee.state && a.pointee.onRQ == b.pointee.onRQ
      && a.pointee.cpu == b.pointee.cpu && a.pointee.waitGP == b.pointee.waitGP
      && a.pointee.waitLock == b.pointee.waitLock && a.pointee.waitFor == b.pointee.waitFor
      && a.pointee.context.irqsOff == b.pointee.context.irqsOff && a.pointee.context.preempt == b.pointee.context.preempt
      && a.pointee.context.bh == b.pointee.context.bh && a.pointee.context.spinningOn == b.pointee.context.spinningOn
      && a.pointee.context.spinMode == b.pointee.context.spinMode && a.pointee.context.vector == b.pointee.context.vector
      && a.pointee.context.batch == b.pointee.context.batch && a.pointee.context.restarts == b.pointee.context.restarts
      && a.pointee.context.rcuDepth == b.pointee.context.rcuDepth && a.pointee.context.kind == b.pointee.context.kind
      && a.pointee.context.sameFrames(as: b.pointee.context)
  }

  /// A hash of the task's status and call stack, for `VisitedSet.TaskPartCache` (which
  /// compares the values themselves: a field left out here costs hits, never correctness).
  func valueHash() -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    @inline(__always) func mix(_ x: Int) { h = (h ^ UInt64(bitPattern: Int64(x))) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
    switch status {
    case .ready(let c): mix(1); mix(c)
    case .running(let c): mix(2); mix(c)
    case .sleeping: mix(3)
    case .done: mix(4)
    }
    mix(Int(state)); mix(Int(waitLock))
    // The words with a one-multiply step each, mixed at the end.
    var w: UInt64 = 0
    context.words.withUnsafeBufferPointer { words in
      for x in words { w = (w &+ UInt64(bitPattern: Int64(x))) &* 0x94D0_49BB_1331_11EB }
    }
    mix(Int(bitPattern: UInt(truncatingIfNeeded: w ^ (w >> 29))))
    return h
  }

  /// Task `index`, written by `encodeFields`.
  init(decoding r: inout ByteReader, index: Int) {
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
    self.init(status: status, context: Context(decoding: &r, kind: .task(index)))
    self.state = state; onRQ = mask & 2 == 0; self.cpu = cpu; self.waitGP = waitGP; self.waitLock = waitLock; self.waitFor = waitFor
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
    w.put(frameCount)
    // Frames read in place from the words, and room for a frame's varints made once
    // (`putUnchecked`) rather than checked for every one.
    words.withUnsafeBufferPointer { words in
      forEachFrame { base, end in
        let function = words[base], pc = words[base + 1]
        let count = end - base - Context.header
        w.reserve(ByteWriter.maxVarint * (4 + count))
        w.putUnchecked(function); w.putUnchecked(pc); w.putUnchecked(words[base + 2])
        w.putUnchecked(count)
        let first = base + Context.header
        if let live {
          let mask = live.firstWord(function: function, pc: pc)
          for slot in 0..<count {
            w.putUnchecked(slot >= 64 || mask & (1 << UInt64(slot)) != 0 ? words[first + slot] : 0)
          }
        } else {
          for slot in 0..<count { w.putUnchecked(words[first + slot]) }
        }
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
    for _ in 0..<r.get() {
      let function = Int32(r.get()), pc = Int32(r.get()), result = Int32(r.get())
      push(function: function, locals: (0..<r.get()).map { _ in r.get() }, result: result)
      setPC(pc)
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

/// Whether `count` bytes at `a` and `b` are equal, a word at a time.
@inline(__always) func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Bool {
  var i = 0
  while i + 8 <= count {
    if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
    i += 8
  }
  if i < count {
    // The last 1-7 bytes: one word ending at `count` (it overlaps bytes already compared),
    // or byte by byte when the whole is shorter than a word.
    if count >= 8 {
      return a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
    while i < count {
      if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
      i += 1
    }
  }
  return true
}
