import Foundation

/// The explorer's visited set: every stored state's compact encoding, back to back in one byte
/// arena in discovery order (the index is the state's id), and an open-addressing table of ids
/// for lookup.
///
/// One arena instead of one array per state: no heap object, header or reference count per
/// stored state, and nothing to retain or release when the set is probed. Per state this keeps
/// the encoding, its start offset, its 64-bit fingerprint and about two table slots; the
/// explorer adds only the parent id, the choice and the depth (for witnesses).
struct VisitedSet {
  private var arena: [UInt8] = []
  /// `starts[id] ..< starts[id + 1]` is state `id`'s encoding.
  private var starts: [Int] = [0]
  private var fingerprints: [UInt64] = []
  private var table: [Int32]
  private var mask: Int

  /// The initial state: encodings store only the globals and tasks that differ (`StateKey`).
  let baseline: MachineState?

  /// Idle locks and lock queues of the baseline's count, shared by every decoded state until
  /// it writes one.
  private let idleLocks: [LockState]
  private let idleQueues: [LockQueues]

  init(baseline: MachineState? = nil) {
    self.baseline = baseline
    idleLocks = Array(repeating: LockState(), count: baseline?.locks.count ?? 0)
    idleQueues = Array(repeating: LockQueues(), count: baseline?.locks.count ?? 0)
    table = Array(repeating: -1, count: 1 << 12)
    mask = (1 << 12) - 1
  }

  var count: Int { fingerprints.count }
  /// Bytes of encodings stored.
  var encodedBytes: Int { arena.count }

  /// The state stored under `id`.
  func state(_ id: Int32) -> MachineState {
    var r = ByteReader(bytes: Array(arena[starts[Int(id)]..<starts[Int(id) + 1]]))
    return MachineState(decoding: &r, baseline: baseline, idleLocks: idleLocks, idleQueues: idleQueues)
  }

  /// Inserts `key` if it is new; returns its id and whether it was inserted.
  mutating func insert(_ key: StateKey) -> (id: Int32, inserted: Bool) {
    if count * 2 >= table.count { grow() }
    var slot = Int(truncatingIfNeeded: key.fingerprint) & mask
    while true {
      let id = table[slot]
      if id < 0 {
        table[slot] = Int32(count)
        fingerprints.append(key.fingerprint)
        arena.append(contentsOf: key.bytes)
        starts.append(arena.count)
        return (Int32(count - 1), true)
      }
      if matches(Int(id), key) { return (id, false) }
      slot = (slot + 1) & mask
    }
  }

  func contains(_ key: StateKey) -> Bool { id(of: key) != nil }

  /// The id `key` is stored under, if it is.
  func id(of key: StateKey) -> Int32? {
    var slot = Int(truncatingIfNeeded: key.fingerprint) & mask
    while true {
      let id = table[slot]
      if id < 0 { return nil }
      if matches(Int(id), key) { return id }
      slot = (slot + 1) & mask
    }
  }

  private func matches(_ id: Int, _ key: StateKey) -> Bool {
    guard fingerprints[id] == key.fingerprint else { return false }
    let a = starts[id], b = starts[id + 1]
    guard b - a == key.bytes.count else { return false }
    return arena.withUnsafeBytes { ar in
      key.bytes.withUnsafeBytes { kb in memcmp(ar.baseAddress! + a, kb.baseAddress!, b - a) == 0 }
    }
  }

  private mutating func grow() {
    let size = table.count * 2
    table = Array(repeating: -1, count: size)
    mask = size - 1
    for (id, f) in fingerprints.enumerated() {
      var slot = Int(truncatingIfNeeded: f) & mask
      while table[slot] >= 0 { slot = (slot + 1) & mask }
      table[slot] = Int32(id)
    }
  }
}
