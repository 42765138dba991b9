/// A key the explorer's memo tables (`SelectionMemo`, `StepMemo`) hash themselves: a
/// `Dictionary` would hash it again with SipHash, some 100 instructions per lookup.
protocol ProbingKey: Equatable {
  /// A well-mixed hash: its low bits pick the first slot.
  var probeHash: UInt64 { get }
}

/// An open-addressing table with linear probing that grows by doubling while more than half
/// full, up to `maxSlots`; full at that size, it is emptied and fills again. So its memory is
/// bounded, and what it holds depends only on the order of the insertions (deterministic).
struct ProbingTable<Key: ProbingKey, Value> {
  private var keys: [Key]
  private var values: [Value]
  private var used: [Bool]
  /// Entries held.
  private(set) var count = 0
  let maxSlots: Int

  /// `placeholder` fills empty slots (never read); `slots` and `maxSlots` are powers of two.
  init(slots: Int, maxSlots: Int = Int.max, placeholder: (Key, Value)) {
    precondition(slots > 0 && slots & (slots - 1) == 0, "a probing table's size is a power of two")
    keys = Array(repeating: placeholder.0, count: slots)
    values = Array(repeating: placeholder.1, count: slots)
    used = Array(repeating: false, count: slots)
    self.maxSlots = maxSlots
  }

  /// The slot holding `key`, or the empty slot where it would go.
  private func slot(_ key: Key) -> Int {
    let mask = keys.count - 1
    var i = Int(truncatingIfNeeded: key.probeHash) & mask
    while used[i] && keys[i] != key { i = (i + 1) & mask }
    return i
  }

  subscript(key: Key) -> Value? {
    let i = slot(key)
    return used[i] ? values[i] : nil
  }

  /// Stores `value` under `key`, replacing any value it had.
  mutating func set(_ key: Key, _ value: Value) {
    var i = slot(key)
    if !used[i] {
      if (count + 1) * 2 > keys.count {
        if keys.count < maxSlots { grow() } else { empty() }
        i = slot(key)
      }
      used[i] = true
      keys[i] = key
      count += 1
    }
    values[i] = value
  }

  private mutating func empty() {
    for i in used.indices { used[i] = false }
    count = 0
  }

  private mutating func grow() {
    let (oldKeys, oldValues, oldUsed) = (keys, values, used)
    keys = Array(repeating: oldKeys[0], count: oldKeys.count * 2)
    values = Array(repeating: oldValues[0], count: oldKeys.count * 2)
    used = Array(repeating: false, count: oldKeys.count * 2)
    for j in oldKeys.indices where oldUsed[j] {
      let i = slot(oldKeys[j])
      used[i] = true
      keys[i] = oldKeys[j]
      values[i] = oldValues[j]
    }
  }
}
