/// The explorer's visited set, stored with collapse compression.
///
/// A state is made of parts that change independently: each CPU (its stacked interrupt
/// contexts, pending softirqs, RCU callbacks), each task (its status and context), the locks
/// (holders and queues), and the data (globals, lists, RCU, budgets). A step changes one or
/// two of them. So each distinct part is stored once, in a table for its kind, and a state is
/// stored as the vector of its parts' ids: the CPUs' ids, the gaps and ids of the tasks that
/// differ from the initial state, the locks' id and the data's id, each a varint (SPIN's
/// COLLAPSE mode, Holzmann 1997). Locks and data were one part: a lock step then re-encoded
/// every global that differed from its initial value, and a store every busy lock (on
/// srcu_rq_lock_irq_work_fix, 126K of 200K such re-encodings changed only locks, 74K only
/// the data).
/// On the spin ring of 5 CPUs a state's flat encoding takes 129 bytes and its vector about 14.
///
/// Exact: equal states have equal parts, so equal vectors, and a vector decodes to its state
/// (with dead locals as 0, as they were written), so no state is ever mistaken for another (no
/// hash compaction).
///
/// The index of a state in the table is its id, in discovery order.
struct VisitedSet {
  // Tables start small and grow by doubling (which reads no string again): a search of a
  // thousand states has a few dozen parts of each kind, and a table's slots count in the
  // bytes kept per state.
  private var states = ByteStringTable(capacity: 1 << 10)
  private var cpuParts = ByteStringTable(capacity: 1 << 6)
  private var taskParts = ByteStringTable(capacity: 1 << 6)
  private var lockParts = ByteStringTable(capacity: 1 << 6)
  private var dataParts = ByteStringTable(capacity: 1 << 6)
  /// CPU and task parts decoded so far, by id.
  private var decodedCPUs: [CPUState?] = []
  private var decodedTasks: [TaskState?] = []
  /// Locks and data parts decoded lately, in direct-mapped caches by id (`locksPart`,
  /// `dataPart`).
  private var decodedLocks: [(id: Int, locks: [LockState], queues: LockQueueTable)?] = []
  private var decodedData: [(id: Int, data: MachineState.DataPart)?] = []

  /// The initial state: tasks and globals equal to it are not written (`MachineState.encode`).
  let baseline: MachineState
  /// Locals it says are dead are written as 0 (`LocalLiveness`).
  let live: LocalLiveness?

  /// Idle locks of the baseline's count, shared by every decoded state until
  /// it writes one.
  private let idleLocks: [LockState]

  /// The writers `key` encodes into, kept from call to call (two allocations and frees per
  /// transition otherwise). A reference: `ByteWriter` owns its buffer and cannot be copied.
  private let writers = KeyWriters()

  final class KeyWriters {
    var part = ByteWriter(capacity: 256)
    var vector = ByteWriter(capacity: 64)
  }

  /// A value, unlike the writers: its ids belong to this set's task table, and a copy of the
  /// set must not answer from the other's.
  private var taskCache = TaskPartCache(size: 1 << 12)

  /// Task part ids by task value, direct-mapped by a hash of the call stack. A task a step
  /// changed is mostly a value keyed before (its context at a pc it was at in another
  /// state): on netfs_four_tasks some 96% of the task parts looked up are in the table
  /// already. A hit compares the values instead of encoding the task (a varint per word, its
  /// dead locals zeroed) and hashing and looking up the encoding. Equal values have equal
  /// encodings, so the id is the one the table would give.
  typealias TaskPartCache = PartCache<TaskState>

  /// CPU part ids by value, as task parts: a CPU whose interrupt context steps is re-keyed (on
  /// netfs_four_tasks, 112K times in the first 100K states), and its few distinct values recur.
  typealias CPUPartCache = PartCache<CPUState>

  /// Part ids by part value, direct-mapped by the value's hash (`CachedPart`).
  struct PartCache<Part: CachedPart> {
    private let mask: Int
    private var hashes: [UInt64]
    private var ids: [Int32]
    /// Slots without an id hold a placeholder, never compared.
    private var parts: [Part]

    /// `size`: slots, a power of two.
    init(size: Int = 1 << 12) {
      precondition(size > 0 && size & (size - 1) == 0, "a part cache's size is a power of two")
      mask = size - 1
      hashes = Array(repeating: 0, count: size)
      ids = Array(repeating: -1, count: size)
      parts = Array(repeating: Part.placeholder, count: size)
    }

    /// The id cached for a part equal to `part` (whose `valueHash` is `hash`), if any.
    func id(of part: UnsafePointer<Part>, hash: UInt64) -> Int32? {
      let slot = Int(truncatingIfNeeded: hash) & mask
      guard ids[slot] >= 0, hashes[slot] == hash else { return nil }
      let equal = parts.withUnsafeBufferPointer { Part.same($0.baseAddress! + slot, part) }
      return equal ? ids[slot] : nil
    }

    mutating func remember(_ part: Part, hash: UInt64, id: Int32) {
      let slot = Int(truncatingIfNeeded: hash) & mask
      hashes[slot] = hash
      ids[slot] = id
      parts[slot] = part
    }
  }
  private var cpuCache = CPUPartCache(size: 1 << 10)

  /// The id of `cpu`'s part (added to the table if new).
  private mutating func cpuPartID(_ cpu: UnsafePointer<CPUState>) -> Int {
    VisitedSet.partID(cpu, &cpuCache, &cpuParts, writers, live)
  }

  /// The id of `task`'s part (added to the table if new).
  private mutating func taskPartID(_ task: UnsafePointer<TaskState>) -> Int {
    VisitedSet.partID(task, &taskCache, &taskParts, writers, live)
  }

  /// The id of `part` in `table`: from `cache` when an equal value is there, else encoded,
  /// interned and remembered. (`writer` is the set's scratch `ByteWriter`.)
  @inline(__always)
  private static func partID<Part: CachedPart>(_ part: UnsafePointer<Part>, _ cache: inout PartCache<Part>,
                                               _ table: inout ByteStringTable, _ writer: KeyWriters, _ live: LocalLiveness?) -> Int {
    let hash = part.pointee.valueHash()
    if let id = cache.id(of: part, hash: hash) { return Int(id) }
    part.pointee.encodePart(into: &writer.part, live: live)
    let id = VisitedSet.intern(&table, &writer.part)
    cache.remember(part.pointee, hash: hash, id: Int32(id))
    return id
  }

  init(baseline: MachineState, live: LocalLiveness? = nil) {
    self.baseline = baseline
    self.live = live
    idleLocks = Array(repeating: LockState(), count: baseline.locks.count)
  }

  var count: Int { states.count }
  /// Bytes of stored encodings: the vectors and the distinct parts.
  var encodedBytes: Int {
    states.stringBytes + cpuParts.stringBytes + taskParts.stringBytes + lockParts.stringBytes + dataParts.stringBytes
  }
  /// Bytes the set keeps (`ByteStringTable.storedBytes` of its five tables).
  var storedBytes: Int {
    states.storedBytes + cpuParts.storedBytes + taskParts.storedBytes + lockParts.storedBytes + dataParts.storedBytes
  }

  /// A stored state's part ids: what its successors share with it (`key(_:from:)`).
  struct Parts {
    var cpus: [Int32] = []
    /// Per task index; -1: the task is as in the initial state (not written).
    var tasks: [Int32] = []
    var locks: Int32 = -1
    var data: Int32 = -1
    /// Bit `i`: task `i` of the state these parts belong to equals the initial state's task
    /// (`markBaselineTasks`); only meaningful while `baselineKnown`.
    var baselineTasks: UInt64 = 0
    var baselineKnown = false
  }

  /// Records in `parts` which of `state`'s tasks equal the initial state's, so that keying its
  /// successors (`key(_:from:)`) does not compare every unchanged task with the baseline
  /// again: once per expanded state instead of once per successor. `state` must be the state
  /// `parts` were read for. Beyond 64 tasks nothing is recorded (and key compares).
  /// `mutating` though it changes nothing, as `parts(_:into:)`: see there.
  mutating func markBaselineTasks(_ state: MachineState, in parts: inout Parts) {
    parts.baselineKnown = false
    guard state.tasks.count <= 64, state.tasks.count == baseline.tasks.count, parts.tasks.count == state.tasks.count else { return }
    var mask: UInt64 = 0
    // Only tasks stored with a part are asked about (`key` skips the others without asking).
    state.tasks.withUnsafeBufferPointer { tasks in
      baseline.tasks.withUnsafeBufferPointer { base in
        for i in tasks.indices where parts.tasks[i] >= 0 && TaskState.same(base.baseAddress! + i, tasks.baseAddress! + i) {
          mask |= 1 << UInt64(i)
        }
      }
    }
    parts.baselineTasks = mask
    parts.baselineKnown = true
  }

  /// The part ids of the state stored under `id`, into `parts` (its arrays' storage is
  /// reused: an array allocation costs some 600 instructions, most of it the runtime looking
  /// up the storage type's metadata).
  /// `mutating` though it changes nothing: a mutating method gets the set by address, where a
  /// call of a non-mutating one on the explorer's `var` copied the whole set (some 500 bytes,
  /// a memcpy) for every expanded state: 2% of netfs_four_tasks' instructions with the others.
  mutating func parts(_ id: Int32, into parts: inout Parts) {
    states.withBytes(Int(id)) { VisitedSet.readParts($0, into: &parts) }
  }

  /// The part ids in `key` (a vector as `key(_:from:parts:)` writes it), into `parts`.
  func parts(ofKey key: StateKey, into parts: inout Parts) {
    key.withBytes { VisitedSet.readParts($0, into: &parts) }
  }

  /// Reads a vector of part ids (see `parts(_:into:)`).
  private static func readParts(_ bytes: UnsafeRawBufferPointer, into parts: inout Parts) {
    // The arrays keep their size from state to state (every state has as many CPUs and
    // tasks) and are written through buffer pointers: appending element by element, with a
    // uniqueness and capacity check each, cost some 900 instructions per expanded state.
    var r = RawByteReader(bytes)
    let cpuCount = r.get()
    if parts.cpus.count != cpuCount { parts.cpus = Array(repeating: 0, count: cpuCount) }
    parts.cpus.withUnsafeMutableBufferPointer { cpus in
      for c in 0..<cpuCount { cpus[c] = Int32(r.get()) }
    }
    let taskCount = r.get()
    if parts.tasks.count != taskCount { parts.tasks = Array(repeating: -1, count: taskCount) }
    parts.tasks.withUnsafeMutableBufferPointer { tasks in
      tasks.update(repeating: -1)
      var at = -1
      while true {
        let gap = r.get()
        if gap == 0 { break }
        at += gap
        tasks[at] = Int32(r.get())
      }
    }
    parts.locks = Int32(r.get())
    parts.data = Int32(r.get())
    parts.baselineKnown = false
  }

  /// The key of the state made of `parent`'s parts but for those of `scope` (its CPU, its tasks
  /// where it has them: a task part of -1 leaves the task out, as in the initial state), the
  /// locks and the data, which `outcome` gives: the vector `key(_:from:parts:)` writes for such
  /// a state, without the state. `parent` must carry its baseline marks (`markBaselineTasks`).
  mutating func key(substituting parent: borrowing Parts, _ scope: StepMemo.Scope, _ outcome: StepMemo.Outcome) -> StateKey {
    writers.vector.truncate(to: 0)
    writers.vector.reserve(ByteWriter.maxVarint * (5 + parent.cpus.count + 2 * parent.tasks.count))
    writers.vector.putUnchecked(parent.cpus.count)
    for c in parent.cpus.indices { writers.vector.putUnchecked(Int(c == scope.cpu ? outcome.after.cpu : parent.cpus[c])) }
    writers.vector.putUnchecked(parent.tasks.count)
    var last = -1
    for t in parent.tasks.indices {
      let scoped = t == scope.task || t == scope.other
      let id = t == scope.task ? outcome.after.task : t == scope.other ? outcome.after.other : parent.tasks[t]
      if id < 0 { continue }
      // An unchanged task the parent holds as in the initial state is left out, as `key` does.
      if !scoped && parent.baselineKnown && parent.baselineTasks & (1 << UInt64(t)) != 0 { continue }
      writers.vector.putUnchecked(t - last); last = t
      writers.vector.putUnchecked(Int(id))
    }
    writers.vector.putUnchecked(0)
    writers.vector.putUnchecked(Int(outcome.after.locks))
    writers.vector.putUnchecked(Int(outcome.after.data))
    return writers.vector.withBytes(from: 0) { StateKey(raw: $0) }
  }

  /// The state `key(substituting:...)` keys: `parent` with the parts of `scope`, the locks and
  /// the data replaced by `outcome`'s where they differ from `parentParts` (decoded parts are
  /// cached, so this is mostly copying). Replaced parts have their dead locals zeroed, as
  /// decoded states do; `StepMemo` remembers no step whose tasks could then be taken for the
  /// initial state's.
  mutating func state(replacing parent: MachineState, _ parentParts: borrowing Parts, _ scope: StepMemo.Scope,
                      _ outcome: StepMemo.Outcome) -> MachineState {
    var next = parent
    if outcome.after.cpu != parentParts.cpus[scope.cpu] { next.cpus = cpuArray(parentParts.cpus, replacing: scope.cpu, with: outcome.after.cpu) }
    // Each task in turn, not through an array literal of the two (an allocation per state).
    if scope.task >= 0 && outcome.after.task != parentParts.tasks[scope.task] {
      next.tasks[scope.task] = outcome.after.task >= 0 ? taskPart(Int(outcome.after.task), index: scope.task) : baseline.tasks[scope.task]
    }
    if scope.other >= 0 && outcome.after.other != parentParts.tasks[scope.other] {
      next.tasks[scope.other] = outcome.after.other >= 0 ? taskPart(Int(outcome.after.other), index: scope.other) : baseline.tasks[scope.other]
    }
    if outcome.after.locks != parentParts.locks { (next.locks, next.lockQueues) = locksPart(Int(outcome.after.locks)) }
    if outcome.after.data != parentParts.data {
      let d = dataPart(Int(outcome.after.data))
      next.globals = d.globals
      next.firesLeft = d.firesLeft
      next.lists = d.lists
      next.rcu = d.rcu
      next.preemptionsLeft = d.preemptionsLeft
    }
    return next
  }

  /// The id of the task part the initial state's task `index` would be stored as, if one is
  /// stored: a part that may stand for a task left out as initial (`StepMemo`).
  mutating func baselineTaskPart(_ index: Int) -> Int32? {
    guard index < baseline.tasks.count else { return nil }
    if baselineTaskParts.count != baseline.tasks.count {
      baselineTaskParts = Array(repeating: (-1, -1), count: baseline.tasks.count)
    }
    // Ids never change, and an encoding not stored yet can only appear with a new part.
    let known = baselineTaskParts[index]
    if known.id >= 0 { return known.id }
    if known.checkedAt == taskParts.count { return nil }
    var w = ByteWriter(capacity: 256)
    baseline.tasks[index].encodePart(into: &w, live: live)
    let id = w.withBytes(from: 0) { taskParts.id(of: $0, hash: ByteStringTable.hash($0)) }
    baselineTaskParts[index] = (id ?? -1, taskParts.count)
    return id
  }
  /// `baselineTaskPart`'s answers: the id, or -1 and the task table's size when it was looked for.
  private var baselineTaskParts: [(id: Int32, checkedAt: Int)] = []

  /// The part ids of the state stored under `id` (for tests; the explorer reuses a buffer).
  /// (`mutating` as `parts(_:into:)`.)
  mutating func parts(_ id: Int32) -> Parts {
    var p = Parts()
    parts(id, into: &p)
    return p
  }

  /// The key `s` is stored or would be stored under: the vector of its parts' ids. Parts not
  /// seen before are added to their tables (a part belongs to the state being keyed, which
  /// is then either stored or already was).
  ///
  /// `from`: a state `s` was reached from in one step, and that state's parts. A step changes
  /// one or two parts; the others are found equal to the parent's by comparing values (arrays
  /// a step did not write are still the parent's storage, compared by identity) and keep the
  /// parent's ids, without being encoded and looked up again.
  mutating func key(_ s: MachineState, from parent: (state: MachineState, parts: Parts)) -> StateKey {
    key(s, parentState: parent.state, parentParts: parent.parts, hasParent: true)
  }

  /// The key of `s` keyed on its own (every part encoded and looked up).
  mutating func key(_ s: MachineState) -> StateKey {
    key(s, parentState: baseline, parentParts: Parts(), hasParent: false)
  }

  /// `key(_:from:)` with the parent as two borrowed arguments: the explorer's
  /// `(state, parts)` tuple was built for every transition, a retain and a release of each
  /// array in both. Without a parent (`hasParent` false) the two are not read.
  mutating func key(_ s: MachineState, from parentState: borrowing MachineState, parts parentParts: borrowing Parts) -> StateKey {
    key(s, parentState: parentState, parentParts: parentParts, hasParent: true)
  }

  @inline(__always)
  private mutating func key(_ s: MachineState, parentState: borrowing MachineState, parentParts: borrowing Parts, hasParent: Bool) -> StateKey {
    writers.vector.truncate(to: 0)
    writers.part.truncate(to: 0)
    // Room for the whole vector at once (two counts, a id per CPU, a gap and an id per task,
    // the end mark and two ids): every varint below is written without a check.
    writers.vector.reserve(ByteWriter.maxVarint * (5 + s.cpus.count + 2 * s.tasks.count))
    writers.vector.putUnchecked(s.cpus.count)
    s.cpus.withUnsafeBufferPointer { cpus in
      for c in cpus.indices {
        if hasParent, c < parentParts.cpus.count,
           parentState.cpus.withUnsafeBufferPointer({ CPUState.same($0.baseAddress! + c, cpus.baseAddress! + c) }) {
          writers.vector.putUnchecked(Int(parentParts.cpus[c]))
        } else {
          writers.vector.putUnchecked(cpuPartID(cpus.baseAddress! + c))
        }
      }
    }
    writers.vector.putUnchecked(s.tasks.count)
    if hasParent, parentState.tasks.count == s.tasks.count {
      var last = -1
      let known = parentParts.baselineKnown
      let parentBaseline = parentParts.baselineTasks
      s.tasks.withUnsafeBufferPointer { tasks in
        parentState.tasks.withUnsafeBufferPointer { before in
          // A step that wrote no task leaves the tasks array the parent's storage: every
          // task is then the parent's, without comparing them.
          let untouched = tasks.baseAddress == before.baseAddress
          baseline.tasks.withUnsafeBufferPointer { base in
            for i in tasks.indices {
              let task = tasks.baseAddress! + i
              func isBaseline() -> Bool { i < base.count && TaskState.same(base.baseAddress! + i, task) }
              if untouched || TaskState.same(before.baseAddress! + i, task) {
                // The parent's id, unless the task is as in the initial state: a parent
                // decoded with its dead locals zeroed may be, where the state it was keyed
                // from (and so its stored part) was not.
                let id = parentParts.tasks[i]
                if id < 0 { continue }
                if known ? parentBaseline & (1 << UInt64(i)) != 0 : isBaseline() { continue }
                writers.vector.putUnchecked(i - last); last = i
                writers.vector.putUnchecked(Int(id))
              } else if !isBaseline() {
                writers.vector.putUnchecked(i - last); last = i
                writers.vector.putUnchecked(taskPartID(task))
              }
            }
          }
        }
      }
    } else {
      s.forEachChangedTask(baseline: baseline) { task, gap in
        writers.vector.putUnchecked(gap)
        writers.vector.putUnchecked(taskPartID(task))
      }
    }
    writers.vector.putUnchecked(0)
    if hasParent, s.sameLocks(as: parentState) {
      writers.vector.putUnchecked(Int(parentParts.locks))
    } else {
      s.encodeLocks(into: &writers.part)
      writers.vector.putUnchecked(VisitedSet.intern(&lockParts, &writers.part))
    }
    if hasParent, s.sameData(as: parentState) {
      writers.vector.putUnchecked(Int(parentParts.data))
    } else {
      s.encodeData(into: &writers.part, baseline: baseline)
      writers.vector.putUnchecked(VisitedSet.intern(&dataParts, &writers.part))
    }
    return writers.vector.withBytes(from: 0) { StateKey(raw: $0) }
  }

  /// The id of the part in `part` (added to `table` if new); empties `part`.
  @inline(__always) private static func intern(_ table: inout ByteStringTable, _ part: inout ByteWriter) -> Int {
    let id = part.withBytes(from: 0) { table.insert($0, hash: ByteStringTable.hash($0)).id }
    part.truncate(to: 0)
    return Int(id)
  }

  /// The state stored under `id`. Decoded CPU and task parts are kept (there are few of them:
  /// hundreds against hundreds of thousands of states), so decoding a state mostly assembles
  /// values already built.
  mutating func state(_ id: Int32) -> MachineState {
    state(parts(id))
  }

  /// The state whose part ids are `parts` (`parts(_:into:)`): the explorer reads a state's
  /// ids once, for decoding it and for keying its successors (reading its stored vector
  /// again for the decoding copied the vector into an array).
  mutating func state(_ parts: Parts) -> MachineState {
    let cpus = cpuArray(parts.cpus)
    var tasks = baseline.tasks
    precondition(tasks.count == parts.tasks.count, "a state's task count differs from the initial state's")
    for (i, t) in parts.tasks.enumerated() where t >= 0 { tasks[i] = taskPart(Int(t), index: i) }
    let (locks, queues) = locksPart(Int(parts.locks))
    return MachineState(cpus: cpus, tasks: tasks, locks: locks, lockQueues: queues, data: dataPart(Int(parts.data)))
  }

  /// Locks and data parts are more numerous and larger than the others (thousands, with
  /// their arrays), so not all are kept: a direct-mapped cache of `partCacheSize` slots per
  /// kind keeps the one decoded last per slot. Breadth-first, the states decoded one after
  /// the other are mostly siblings and cousins, which share them.
  private mutating func locksPart(_ id: Int) -> ([LockState], LockQueueTable) {
    let slot = id & (VisitedSet.partCacheSize - 1)
    if decodedLocks.isEmpty { decodedLocks = Array(repeating: nil, count: VisitedSet.partCacheSize) }
    if let hit = decodedLocks[slot], hit.id == id { return (hit.locks, hit.queues) }
    var p = ByteReader(bytes: lockParts.bytes(id))
    let (locks, queues) = MachineState.decodeLocks(&p, idleLocks: idleLocks)
    decodedLocks[slot] = (id, locks, queues)
    return (locks, queues)
  }

  private mutating func dataPart(_ id: Int) -> MachineState.DataPart {
    let slot = id & (VisitedSet.partCacheSize - 1)
    if decodedData.isEmpty { decodedData = Array(repeating: nil, count: VisitedSet.partCacheSize) }
    if let hit = decodedData[slot], hit.id == id { return hit.data }
    var p = ByteReader(bytes: dataParts.bytes(id))
    let data = MachineState.decodeData(&p, baseline: baseline)
    decodedData[slot] = (id, data)
    return data
  }
  static let partCacheSize = 1 << 10

  /// The CPUs of a state whose CPU part ids are `ids` (with `ids[index]` taken as `id`, where
  /// `index` is a CPU), from a direct-mapped cache of decoded arrays by their ids. States share
  /// few CPU vectors (on netfs_four_tasks, 54 among 132K decoded states; 99.9% of decodings
  /// find theirs here), so a state's CPU array is mostly one already built, taken with a
  /// retain: building it was an allocation and a copy of each CPU (a retain of each of its
  /// arrays), a state made from its parent's with one CPU replaced copied the array, and a
  /// destroyed state freed it.
  private mutating func cpuArray(_ ids: [Int32], replacing index: Int = -1, with id: Int32 = -1) -> [CPUState] {
    let n = ids.count
    if cpuArrayKeys.count != VisitedSet.cpuArraySlots * n {
      cpuArrayKeys = Array(repeating: -1, count: VisitedSet.cpuArraySlots * n)
      cpuArrays = Array(repeating: [], count: VisitedSet.cpuArraySlots)
    }
    @inline(__always) func part(_ c: Int) -> Int32 { c == index ? id : ids[c] }
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for c in 0..<n { h = (h ^ UInt64(UInt32(bitPattern: part(c)))) &* 0xBF58_476D_1CE4_E5B9 }
    let slot = Int(truncatingIfNeeded: h >> 40) & (VisitedSet.cpuArraySlots - 1)
    let base = slot * n
    var hit = cpuArrays[slot].count == n
    if hit { for c in 0..<n where cpuArrayKeys[base + c] != part(c) { hit = false; break } }
    if hit { return cpuArrays[slot] }
    var cpus: [CPUState] = []
    cpus.reserveCapacity(n)
    for c in 0..<n {
      cpus.append(cpuPart(Int(part(c))))
      cpuArrayKeys[base + c] = part(c)
    }
    cpuArrays[slot] = cpus
    return cpus
  }
  private var cpuArrayKeys: [Int32] = []
  private var cpuArrays: [[CPUState]] = []
  private static let cpuArraySlots = 1 << 8

  private mutating func cpuPart(_ id: Int) -> CPUState {
    if id < decodedCPUs.count, let c = decodedCPUs[id] { return c }
    var p = ByteReader(bytes: cpuParts.bytes(id))
    let c = CPUState(decoding: &p)
    if id >= decodedCPUs.count { decodedCPUs += Array(repeating: nil, count: id + 1 - decodedCPUs.count) }
    decodedCPUs[id] = c
    return c
  }

  /// Task part `id` as task `index` (tasks in the same state share a part).
  private mutating func taskPart(_ id: Int, index: Int) -> TaskState {
    if id < decodedTasks.count, var t = decodedTasks[id] {
      t.context.kind = .task(index)
      return t
    }
    var p = ByteReader(bytes: taskParts.bytes(id))
    let t = TaskState(decoding: &p, index: index)
    if id >= decodedTasks.count { decodedTasks += Array(repeating: nil, count: id + 1 - decodedTasks.count) }
    decodedTasks[id] = t
    return t
  }

  /// Inserts `key` if it is new; returns its id and whether it was inserted.
  @inline(__always) mutating func insert(_ key: StateKey) -> (id: Int32, inserted: Bool) {
    key.withBytes { states.insert($0, hash: key.fingerprint) }
  }

  /// The id `key` is stored under, if it is.
  @inline(__always) func id(of key: StateKey) -> Int32? {
    key.withBytes { states.id(of: $0, hash: key.fingerprint) }
  }
}

/// A part value a `VisitedSet.PartCache` can hold: compared in place (`same`, as keying
/// does), hashed by value, and a placeholder for empty slots.
protocol CachedPart {
  static func same(_ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>) -> Bool
  func valueHash() -> UInt64
  /// The part's encoding in the set's table (locals `live` says are dead written as 0).
  func encodePart(into w: inout ByteWriter, live: LocalLiveness?)
  static var placeholder: Self { get }
}

extension TaskState: CachedPart {
  static var placeholder: TaskState { TaskState(status: .done, context: Context(kind: .task(0), frames: [], irqsOff: false)) }
  func encodePart(into w: inout ByteWriter, live: LocalLiveness?) { encodeFields(into: &w, live: live) }
}

extension CPUState: CachedPart {
  static var placeholder: CPUState { CPUState() }
  func encodePart(into w: inout ByteWriter, live: LocalLiveness?) { encode(into: &w, live: live) }
}
