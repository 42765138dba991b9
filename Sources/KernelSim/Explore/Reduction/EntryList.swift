/// A list of `Int32`s (future entries, CPU numbers) for the selection's working storage, kept
/// from state to state: emptied by forgetting its count, its storage kept and never shrunk.
/// Emptying an `[Int32]` goes through the standard library's generic `replaceSubrange`, some 90
/// instructions even for a handful of elements, and selection emptied two lists per CPU on
/// every state (`PersistentSets.Scratch.reset`).
struct EntryList {
  private var storage: [Int32] = []
  private(set) var count = 0

  var isEmpty: Bool { count == 0 }

  @inline(__always) subscript(i: Int) -> Int32 { storage[i] }

  @inline(__always) mutating func append(_ e: Int32) {
    if count < storage.count { storage[count] = e } else { storage.append(e) }
    count += 1
  }

  /// Appends `other`'s entries `range`.
  mutating func append(_ other: EntryList, _ range: Range<Int>) {
    for i in range { append(other[i]) }
  }

  @inline(__always) mutating func clear() { count = 0 }

  /// Whether an entry satisfies `predicate` (entries in order, read in place).
  @inline(__always) func contains(where predicate: (Int32) -> Bool) -> Bool {
    storage.withUnsafeBufferPointer { b in
      for i in 0..<count where predicate(b[i]) { return true }
      return false
    }
  }
}
