import Testing
@testable import KernelSim

/// The storage under the visited set: byte strings numbered in insertion order, found again
/// by content across table growth, with no two ids for equal strings.
@Suite struct ByteStringTableTests {
  static func insert(_ t: inout ByteStringTable, _ bytes: [UInt8]) -> (id: Int32, inserted: Bool) {
    bytes.withUnsafeBytes { t.insert($0, hash: ByteStringTable.hash($0)) }
  }
  static func id(_ t: ByteStringTable, _ bytes: [UInt8]) -> Int32? {
    bytes.withUnsafeBytes { t.id(of: $0, hash: ByteStringTable.hash($0)) }
  }

  @Test func stringsKeepTheirIdsAcrossGrowth() {
    var t = ByteStringTable(capacity: 4)
    // Strings of many lengths (0 to 40 bytes), some sharing prefixes; far more than the
    // initial table holds, so it grows several times.
    let strings: [[UInt8]] = (0..<3000).map { i in (0..<(i % 41)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i / 41) } }
    var expected: [[UInt8]: Int32] = [:]
    for s in strings {
      let r = Self.insert(&t, s)
      if let e = expected[s] {
        #expect(r == (e, false))
      } else {
        #expect(r == (Int32(expected.count), true))
        expected[s] = r.id
      }
    }
    #expect(t.count == expected.count)
    for (s, id) in expected {
      #expect(Self.id(t, s) == id)
      #expect(t.bytes(Int(id)) == s)
    }
    #expect(Self.id(t, [1, 2, 3, 4, 5, 6, 7, 8, 9, 200]) == nil)
    #expect(t.stringBytes == expected.keys.map { (s: [UInt8]) in s.count }.reduce(0, +))
  }

  /// A slot keeps 32 bits of the hash and is compared on them first: strings whose hashes
  /// agree there (here every string has the same hash, or hashes that differ only in their
  /// low half) must still be told apart by their bytes, before and after the table grows.
  @Test func stringsWithEqualTagsAreToldApart() {
    var t = ByteStringTable(capacity: 4)
    let strings: [[UInt8]] = (0..<300).map { i in [UInt8(i & 0xFF), UInt8(i >> 8), 9] }
    for (i, s) in strings.enumerated() {
      let hash: UInt64 = i % 2 == 0 ? 0xDEAD_BEEF_0000_0000 : 0xDEAD_BEEF_0000_0000 | UInt64(i)
      let r = s.withUnsafeBytes { t.insert($0, hash: hash) }
      #expect(r == (Int32(i), true))
      let again = s.withUnsafeBytes { t.insert($0, hash: hash) }
      #expect(again == (Int32(i), false))
    }
    for (i, s) in strings.enumerated() {
      let hash: UInt64 = i % 2 == 0 ? 0xDEAD_BEEF_0000_0000 : 0xDEAD_BEEF_0000_0000 | UInt64(i)
      #expect(s.withUnsafeBytes { t.id(of: $0, hash: hash) } == Int32(i))
    }
    // Equal tag, bytes never stored.
    #expect([UInt8]([0, 0, 8]).withUnsafeBytes { t.id(of: $0, hash: 0xDEAD_BEEF_0000_0000) } == nil)
  }

  /// Strings fill 1 MiB chunks and never straddle two: past a few chunks, every string still
  /// reads back whole, including those that end a chunk.
  @Test func stringsSpanSeveralChunks() {
    var t = ByteStringTable()
    // Distinct: each begins with its index.
    let strings: [[UInt8]] = (0..<40_000).map { i in
      [UInt8(i & 0xFF), UInt8(i >> 8)] + (0..<(50 + i % 29)).map { UInt8(truncatingIfNeeded: $0 ^ i) }
    }
    var total = 0
    for (i, s) in strings.enumerated() {
      #expect(Self.insert(&t, s) == (Int32(i), true))
      total += s.count
    }
    #expect(total > 5 << 20 / 2)
    for (i, s) in strings.enumerated() {
      #expect(t.bytes(i) == s)
      #expect(Self.id(t, s) == Int32(i))
    }
    #expect(t.stringBytes == total)
  }

  @Test func chunkedArrayKeepsItsElements() {
    var a = ChunkedArray<UInt32>()
    for i in 0..<200_000 { a.append(UInt32(i * 3)) }
    #expect(a.count == 200_000)
    #expect(a[0] == 0 && a[65_535] == 65_535 * 3 && a[65_536] == 65_536 * 3 && a[199_999] == 199_999 * 3)
    a[131_072] = 7  // in the chunk being filled
    a[65_537] = 8   // in a full one
    #expect(a[131_072] == 7 && a[131_071] == 131_071 * 3 && a[65_537] == 8 && a[65_538] == 65_538 * 3)
    #expect(a.storedBytes == 800_000)
  }

  /// Keys up to 32 bytes are kept in place, longer ones in an array: both read back whole and
  /// compare by content.
  @Test func stateKeysInPlaceAndSpilled() {
    for n in [0, 1, 31, 32, 33, 200] {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) }
      let key = StateKey(bytes: bytes)
      #expect(key.bytes == bytes)
      #expect(key == StateKey(bytes: bytes))
      if n > 0 {
        var other = bytes
        other[n - 1] ^= 1
        #expect(key != StateKey(bytes: other))
        #expect(key != StateKey(bytes: Array(bytes.dropLast())))
      }
    }
  }

  /// The point of the collapsed form: a state of the spin ring is stored as a few part ids,
  /// and the parts once each, so the stored encodings are far smaller than the flat ones.
  @Test func collapsedStatesAreSmallerThanFlatOnes() throws {
    let p = try #require(program(Self.spinRing5))
    let machine = Machine(program: p)
    let initial = machine.initialState()
    var visited = VisitedSet(baseline: initial)
    var frontier = [initial]
    var flatBytes = 0
    while let s = frontier.popLast() {
      let key = visited.key(s)
      guard visited.insert(key).inserted else { continue }
      flatBytes += StateKey(s, baseline: initial).bytes.count
      for c in machine.enabledChoices(s) {
        var next = s
        var log: EventLog? = nil
        if machine.step(&next, c, log: &log) == nil { frontier.append(next) }
      }
    }
    #expect(visited.count > 1000)
    #expect(visited.encodedBytes * 3 < flatBytes, "\(visited.encodedBytes) collapsed against \(flatBytes) flat")
  }

  static let spinRing5 = """
    scenario "spin ring";
    cpus 5;
    spinlock_t ring[5];
    task t0 on cpu0 { spin_lock(&ring[0]); spin_lock(&ring[1]); spin_unlock(&ring[1]); spin_unlock(&ring[0]); }
    task t1 on cpu1 { spin_lock(&ring[1]); spin_lock(&ring[2]); spin_unlock(&ring[2]); spin_unlock(&ring[1]); }
    task t2 on cpu2 { spin_lock(&ring[2]); spin_lock(&ring[3]); spin_unlock(&ring[3]); spin_unlock(&ring[2]); }
    task t3 on cpu3 { spin_lock(&ring[3]); spin_lock(&ring[4]); spin_unlock(&ring[4]); spin_unlock(&ring[3]); }
    task t4 on cpu4 { spin_lock(&ring[4]); spin_unlock(&ring[4]); }
    """
}
