import Foundation

/// A set of byte strings, each numbered by the order it was first inserted: the storage under
/// the visited set's state vectors and its component tables (`VisitedSet`).
///
/// The strings lie back to back in byte chunks of up to 1 MiB (never copied as they grow, see
/// `ChunkedArray`), with their start offsets, and an open-addressing table of ids finds them.
/// No heap object, header or reference count per string, and nothing to retain or release on
/// a probe.
///
/// Each slot of the table holds the string's id and 32 bits of its hash (its tag), which
/// also chose the slot. A probe reads a string's offset and bytes only where the tags agree,
/// and growing the table re-places slots by their tags without reading the strings. With ids
/// alone, every slot probed cost two more cache misses (the offset, the bytes): the lookups
/// were a tenth of netfs_four_tasks' wall time, and rehashing the arena on each doubling
/// another 3%. A slot is 8 bytes, where it was 4.
struct ByteStringTable {
  /// A string never straddles two chunks; only the last chunk grows.
  private var chunks: [[UInt8]] = []
  static let chunkShift = 20
  /// Where string `id` starts: its chunk's index, shifted by `chunkShift`, or'd with the
  /// offset in it (32 bits: 4,096 chunks of 1 MiB, a bound `--max-memory` and the machine's
  /// 24 GiB reach first). It ends where the next one starts, or at the end of its chunk.
  private var starts = ChunkedArray<UInt32>()
  private var totalBytes = 0
  /// Slots: the tag in the high 32 bits and the id in the low ones; `empty` where none.
  private var table: [UInt64]
  private var mask: Int
  private static let empty = UInt64(UInt32.max)

  init(capacity: Int = 1 << 10) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    table = Array(repeating: ByteStringTable.empty, count: size)
    mask = size - 1
  }

  var count: Int { starts.count }
  /// Bytes of the strings themselves.
  var stringBytes: Int { totalBytes }
  /// Bytes this table keeps: the strings, their offsets and every slot of the hash table.
  var storedBytes: Int { totalBytes + starts.storedBytes + table.count * MemoryLayout<UInt64>.stride }

  /// String `id`'s chunk and byte range in it.
  @inline(__always) private func span(_ id: Int) -> (chunk: Int, from: Int, to: Int) {
    let s = Int(starts[id])
    let chunk = s >> ByteStringTable.chunkShift, mask = (1 << ByteStringTable.chunkShift) - 1
    if id + 1 < starts.count {
      let next = Int(starts[id + 1])
      if next >> ByteStringTable.chunkShift == chunk { return (chunk, s & mask, next & mask) }
    }
    return (chunk, s & mask, chunks[chunk].count)
  }

  /// The 64-bit hash of a byte string (multiply-xorshift over 8-byte words, wyhash-style
  /// mixing; not cryptographic).
  @inline(__always) static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
    var i = 0
    while i + 8 <= raw.count {
      h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 31
      i += 8
    }
    // The last 1-7 bytes in one copy, not a byte at a time (a third of the cost of hashing
    // the few dozen bytes of a part).
    var tail: UInt64 = 0
    if i < raw.count {
      withUnsafeMutableBytes(of: &tail) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[i...])) }
    }
    h = (h ^ tail) &* 0xBF58_476D_1CE4_E5B9
    h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 32)
  }

  /// String `id`'s bytes, copied.
  func bytes(_ id: Int) -> [UInt8] {
    let (c, from, to) = span(id)
    return Array(chunks[c][from..<to])
  }

  /// Calls `body` with string `id`'s bytes (valid only inside `body`).
  @inline(__always) func withBytes<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let (c, from, to) = span(id)
    return chunks[c].withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[from..<to])) }
  }

  /// The id `bytes` is stored under (`hash`: `ByteStringTable.hash(bytes)`), if it is.
  func id(of bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int32? {
    let tag = ByteStringTable.tag(hash)
    var slot = Int(tag) & mask
    while true {
      let entry = table[slot]
      if entry == ByteStringTable.empty { return nil }
      let id = Int32(truncatingIfNeeded: entry)
      if UInt32(truncatingIfNeeded: entry >> 32) == tag && matches(Int(id), bytes) { return id }
      slot = (slot + 1) & mask
    }
  }

  /// The bits of `hash` a slot keeps, and whose low bits choose it.
  @inline(__always) private static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }

  /// Inserts `bytes` if it is new; returns its id and whether it was inserted.
  mutating func insert(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int32, inserted: Bool) {
    if count * 2 >= table.count { grow() }
    let tag = ByteStringTable.tag(hash)
    var slot = Int(tag) & mask
    while true {
      let entry = table[slot]
      if entry == ByteStringTable.empty {
        let new = Int32(count)
        table[slot] = UInt64(tag) << 32 | UInt64(UInt32(new))
        // A new chunk when this string would not fit, or would start at the very end of the
        // last one (an empty string there would have an offset beyond 20 bits).
        if chunks.isEmpty || (chunks[chunks.count - 1].count + max(bytes.count, 1) > 1 << ByteStringTable.chunkShift
                              && !chunks[chunks.count - 1].isEmpty) {
          precondition(chunks.count < 1 << (32 - ByteStringTable.chunkShift), "visited set beyond 4 GiB")
          var chunk: [UInt8] = []
          // The first chunk grows as a small array does, so that small searches stay small.
          if !chunks.isEmpty { chunk.reserveCapacity(1 << ByteStringTable.chunkShift) }
          chunks.append(chunk)
        }
        let c = chunks.count - 1
        starts.append(UInt32(c << ByteStringTable.chunkShift | chunks[c].count))
        chunks[c].append(contentsOf: bytes)
        totalBytes += bytes.count
        return (new, true)
      }
      let id = Int32(truncatingIfNeeded: entry)
      if UInt32(truncatingIfNeeded: entry >> 32) == tag && matches(Int(id), bytes) { return (id, false) }
      slot = (slot + 1) & mask
    }
  }

  @inline(__always) private func matches(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let (c, a, b) = span(id)
    guard b - a == bytes.count else { return false }
    if bytes.isEmpty { return true }
    return chunks[c].withUnsafeBytes { memcmp($0.baseAddress! + a, bytes.baseAddress!, b - a) == 0 }
  }

  private mutating func grow() {
    let size = table.count * 2
    precondition(size <= 1 << 32, "a table's slots are chosen by 32-bit tags")
    var fresh = [UInt64](repeating: ByteStringTable.empty, count: size)
    let m = size - 1
    for entry in table where entry != ByteStringTable.empty {
      var slot = Int(UInt32(truncatingIfNeeded: entry >> 32)) & m
      while fresh[slot] != ByteStringTable.empty { slot = (slot + 1) & m }
      fresh[slot] = entry
    }
    table = fresh
    mask = m
  }
}
