/// The explorer's visited set: every stored state's compact encoding, in discovery order (the
/// index is the state's id), and an open-addressing table of ids for lookup. Nothing else is
/// kept per state but its parent and the choice that reached it (for witnesses), so memory is
/// the encodings plus a few bytes of bookkeeping per state.
struct VisitedSet {
  private(set) var keys: [StateKey] = []
  private var table: [Int32]
  private var mask: Int

  init() {
    table = Array(repeating: -1, count: 1 << 12)
    mask = (1 << 12) - 1
  }

  var count: Int { keys.count }

  /// Inserts `key` if it is new; returns its id and whether it was inserted.
  mutating func insert(_ key: StateKey) -> (id: Int32, inserted: Bool) {
    if keys.count * 2 >= table.count { grow() }
    var slot = Int(truncatingIfNeeded: key.fingerprint) & mask
    while true {
      let id = table[slot]
      if id < 0 {
        table[slot] = Int32(keys.count)
        keys.append(key)
        return (Int32(keys.count - 1), true)
      }
      if keys[Int(id)] == key { return (id, false) }
      slot = (slot + 1) & mask
    }
  }

  func contains(_ key: StateKey) -> Bool {
    var slot = Int(truncatingIfNeeded: key.fingerprint) & mask
    while true {
      let id = table[slot]
      if id < 0 { return false }
      if keys[Int(id)] == key { return true }
      slot = (slot + 1) & mask
    }
  }

  private mutating func grow() {
    let size = table.count * 2
    table = Array(repeating: -1, count: size)
    mask = size - 1
    for (id, key) in keys.enumerated() {
      var slot = Int(truncatingIfNeeded: key.fingerprint) & mask
      while table[slot] >= 0 { slot = (slot + 1) & mask }
      table[slot] = Int32(id)
    }
  }
}
