/// An append-only array kept in chunks of 65,536 elements, for the per-state records that grow
/// with the search (string offsets, parents, choices).
///
/// A Swift array grows by allocating twice its capacity and copying: right after, half of a
/// large array is unwritten, and once malloc hands out memory an earlier, smaller copy used,
/// that slack is resident too. Measured on srcu_rq_lock_irq_work_fix, byte arenas and offset
/// arrays at double capacity were half of the heap at its peak. Chunks are never copied, and
/// only the last is partly empty.
struct ChunkedArray<Element> {
  static var shift: Int { 16 }
  static var chunkSize: Int { 1 << shift }
  /// The full chunks, and the one being filled apart: appending through `chunks[last]` checked
  /// the uniqueness of both arrays, some 90 instructions per element.
  private var full: [[Element]] = []
  private var tail: [Element] = []
  private(set) var count = 0

  init() {}

  @inline(__always) subscript(i: Int) -> Element {
    get {
      let c = i >> Self.shift
      // An index past the end traps on `full[c]`, as indexing does.
      return c == full.count ? tail[i & (Self.chunkSize - 1)] : full[c][i & (Self.chunkSize - 1)]
    }
    set {
      let c = i >> Self.shift
      if c == full.count { tail[i & (Self.chunkSize - 1)] = newValue } else { full[c][i & (Self.chunkSize - 1)] = newValue }
    }
  }

  mutating func append(_ x: Element) {
    if tail.count == Self.chunkSize {
      full.append(tail)
      // The first chunk grows as a small array does, so that small searches stay small.
      tail = []
      tail.reserveCapacity(Self.chunkSize)
    }
    tail.append(x)
    count += 1
  }

  /// Bytes of the elements stored.
  var storedBytes: Int { count * MemoryLayout<Element>.stride }
}
