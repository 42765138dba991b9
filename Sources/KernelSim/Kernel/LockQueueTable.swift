/// The read-side holders and queues of a state's locks, stored only for the locks that have
/// any, in lock order.
///
/// Why sparse: at any instant a scenario has a handful of locks read-held or with sleepers out
/// of the hundred or so its prelude declares, yet an array with a `LockQueues` (three arrays)
/// per lock was copied whole by the first step that queued on any lock, retaining three
/// arrays per lock, and released the same way when the successor was dropped: 3% of
/// netfs_four_tasks' instructions in the copy alone. Empty queues are never stored, so two
/// equal tables have equal entry arrays and the synthesized `==` and hash stay canonical.
public struct LockQueueTable: Hashable, Sendable {
  public struct Entry: Hashable, Sendable {
    public var lock: Int32
    public var queues: LockQueues
  }

  /// How many locks the table is for (every lock in `0..<count` has queues, most of them empty).
  public let count: Int
  /// The locks with non-empty queues, by increasing lock index.
  public private(set) var entries: [Entry] = []

  public init(count: Int) {
    self.count = count
  }

  /// Where `lock`'s entry is, or where it would go.
  @inline(__always) private func position(of lock: Int) -> (index: Int, found: Bool) {
    var i = 0
    while i < entries.count {
      let l = Int(entries[i].lock)
      if l >= lock { return (i, l == lock) }
      i += 1
    }
    return (i, false)
  }

  /// `lock`'s queues (empty ones for a lock nobody reads or waits on).
  public subscript(lock: Int) -> LockQueues {
    get {
      let (i, found) = position(of: lock)
      return found ? entries[i].queues : LockQueues()
    }
    _modify {
      let (i, found) = position(of: lock)
      if found {
        yield &entries[i].queues
        if entries[i].queues.isEmpty { entries.remove(at: i) }
      } else {
        var q = LockQueues()
        yield &q
        if !q.isEmpty { entries.insert(Entry(lock: Int32(lock), queues: q), at: i) }
      }
    }
  }

  /// Whether `lock` has no reader, waiter or wakee.
  @inline(__always) public func isEmpty(_ lock: Int) -> Bool { !position(of: lock).found }

  /// Calls `body` with each lock whose queues differ between `self` and `other` (both over the
  /// same locks), in lock order, until it returns false; returns whether it never did.
  public func allDifferences(from other: LockQueueTable, _ body: (Int) -> Bool) -> Bool {
    var i = 0, j = 0
    while i < entries.count || j < other.entries.count {
      let a = i < entries.count ? Int(entries[i].lock) : Int.max
      let b = j < other.entries.count ? Int(other.entries[j].lock) : Int.max
      if a == b {
        if entries[i].queues != other.entries[j].queues && !body(a) { return false }
        i += 1; j += 1
      } else if a < b {
        if !body(a) { return false }
        i += 1
      } else {
        if !body(b) { return false }
        j += 1
      }
    }
    return true
  }
}
