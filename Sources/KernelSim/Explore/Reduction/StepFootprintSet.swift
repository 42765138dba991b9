/// What one step touches (`Machine.runFootprint`): a handful of locks, global slots and lists,
/// held inline (up to each set's `capacity`).
///
/// A step's footprint was a `Footprint` of four `BitSet`s, and the first member of each
/// allocated its word array: some 2,300 instructions per CPU per selected state, most of the
/// selection on the spin rings, and every copy retained four arrays. These are plain values.
/// Futures stay `Footprint`s (unions over whole functions, built once per program); a step is
/// checked against them member by member.
/// A step takes at most one lock or list and writes at most two slots, so those sets hold
/// four; the reads hold sixteen. (At 16 each, a footprint was 290 bytes, copied several times
/// per CPU per selected state.)
struct StepFootprint: Sendable {
  var locks = SmallIDSet<4>()
  var reads = SmallIDSet<16>()
  var writes = SmallIDSet<4>()
  var lists = SmallIDSet<4>()
  /// Touches its own task's scheduler state (see `Footprint.scheduler`).
  var scheduler = false
  /// Could not be bounded: dependent with everything.
  var unbounded = false

  static let everything: StepFootprint = { var f = StepFootprint(); f.unbounded = true; return f }()

  /// Empties it in place (the ids past each set's count are never read).
  mutating func clear() {
    locks.clear(); reads.clear(); writes.clear(); lists.clear()
    scheduler = false
    unbounded = false
  }

  /// `Footprint.conflicts(with:)` for a step: a lock or list in both, a slot one writes and
  /// the other reads or writes, or scheduler state on both sides.
  func conflicts(with o: Footprint) -> Bool {
    if unbounded || o.unbounded { return true }
    if locks.meets(o.locks) || lists.meets(o.lists) { return true }
    if writes.meets(o.writes) || writes.meets(o.reads) || reads.meets(o.writes) { return true }
    return scheduler && o.scheduler
  }
}

/// Up to `capacity` small non-negative ids, inline, without duplicates. A step that would
/// need more (a visible instruction reading more than 16 distinct global slots) reports no
/// footprint at all (`insert` fails): its CPU is then not reduced at that state, which costs
/// reduction, never soundness. `StepFootprintTests` checks that such a step's reads are not
/// cut short.
struct SmallIDSet<let capacity: Int>: Sendable {
  private var ids = InlineArray<capacity, Int32>(repeating: 0)
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }

  mutating func clear() { count = 0 }

  /// Adds `i`; false if the set is full.
  mutating func insert(_ i: Int) -> Bool {
    if contains(i) { return true }
    guard count < capacity else { return false }
    ids[count] = Int32(truncatingIfNeeded: i)
    count += 1
    return true
  }

  func contains(_ i: Int) -> Bool {
    for k in 0..<count where Int(ids[k]) == i { return true }
    return false
  }

  /// The members folded into one word: bit `id & 63` for each.
  var folded: UInt64 {
    var w: UInt64 = 0
    for k in 0..<count { w |= 1 << UInt64(ids[k] & 63) }
    return w
  }

  /// Whether a member is in `set` (any member, if `set` is everything).
  func meets(_ set: BitSet) -> Bool {
    for k in 0..<count where set.contains(Int(ids[k])) { return true }
    return false
  }
}
