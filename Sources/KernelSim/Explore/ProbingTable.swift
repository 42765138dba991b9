/// A key the explorer's memo tables (`SelectionMemo`, `StepMemo`) hash themselves: a
/// `Dictionary` would hash it again with SipHash, some 100 instructions per lookup.
protocol ProbingKey: Equatable {
  /// A well-mixed hash: its low bits pick the first slot.
  var probeHash: UInt64 { get }
}

/// An open-addressing table with linear probing that grows by doubling while more than half
/// full, up to `maxSlots`; full at that size, it is emptied and fills again. So its memory is
/// bounded, and what it holds depends only on the order of the insertions (deterministic).
///
/// A slot's key, value and occupancy lie together in one entry: kept in three arrays, a probe
/// of a large table (the step memo's) missed the cache up to three times, and those misses
/// were some 9% of netfs_four_tasks' wall time (instruction counts do not show them).
struct ProbingTable<Key: ProbingKey, Value> {
  private struct Entry {
    var key: Key
    var value: Value
    var used: Bool
  }
  private var entries: [Entry]
  /// Entries held.
  private(set) var count = 0
  let maxSlots: Int

  /// `placeholder` fills empty slots (never read); `slots` and `maxSlots` are powers of two.
  init(slots: Int, maxSlots: Int = Int.max, placeholder: (Key, Value)) {
    precondition(slots > 0 && slots & (slots - 1) == 0, "a probing table's size is a power of two")
    entries = Array(repeating: Entry(key: placeholder.0, value: placeholder.1, used: false), count: slots)
    self.maxSlots = maxSlots
  }

  /// The slot holding `key`, or the empty slot where it would go.
  @inline(__always) private func slot(_ key: Key) -> Int {
    entries.withUnsafeBufferPointer { e in
      let mask = e.count - 1
      var i = Int(truncatingIfNeeded: key.probeHash) & mask
      while e[i].used && e[i].key != key { i = (i + 1) & mask }
      return i
    }
  }

  subscript(key: Key) -> Value? {
    let i = slot(key)
    return entries.withUnsafeBufferPointer { $0[i].used ? $0[i].value : nil }
  }

  /// Stores `value` under `key`, replacing any value it had.
  mutating func set(_ key: Key, _ value: Value) {
    var i = slot(key)
    if !entries[i].used {
      if (count + 1) * 2 > entries.count {
        if entries.count < maxSlots { grow() } else { empty() }
        i = slot(key)
      }
      entries[i].used = true
      entries[i].key = key
      count += 1
    }
    entries[i].value = value
  }

  private mutating func empty() {
    for i in entries.indices { entries[i].used = false }
    count = 0
  }

  private mutating func grow() {
    let old = entries
    var empty = old[0]
    empty.used = false
    entries = Array(repeating: empty, count: old.count * 2)
    for e in old where e.used { entries[slot(e.key)] = e }
  }
}
