import Testing
@testable import KernelSim

/// The memo tables' open-addressing table: a key finds the value last stored under it, across
/// colliding hashes and growth; at its largest size a full table is emptied, not grown.
@Suite struct ProbingTableTests {
  /// A key whose hash is chosen by the test: `id / 8`, so eight keys share each first slot.
  struct Colliding: ProbingKey {
    var id: Int
    var probeHash: UInt64 { UInt64(id / 8) }
  }

  @Test func keysFindTheirValuesAcrossCollisionsAndGrowth() {
    var t = ProbingTable<Colliding, Int>(slots: 2, placeholder: (Colliding(id: -1), 0))
    for i in 0..<1000 { t.set(Colliding(id: i), i * 3) }
    #expect(t.count == 1000)
    for i in 0..<1000 { #expect(t[Colliding(id: i)] == i * 3) }
    #expect(t[Colliding(id: 1000)] == nil)
    #expect(t[Colliding(id: -1)] == nil, "the placeholder is no entry")
    // Replacing keeps one entry per key.
    for i in stride(from: 0, to: 1000, by: 7) { t.set(Colliding(id: i), -i) }
    #expect(t.count == 1000)
    for i in 0..<1000 { #expect(t[Colliding(id: i)] == (i % 7 == 0 ? -i : i * 3)) }
  }

  @Test func aFullTableAtItsLargestSizeIsEmptied() {
    var t = ProbingTable<Colliding, Int>(slots: 4, maxSlots: 16, placeholder: (Colliding(id: -1), 0))
    for i in 0..<8 { t.set(Colliding(id: i), i) }
    #expect(t.count == 8)
    // The ninth entry would pass half of 16 slots: the table starts again with it alone.
    t.set(Colliding(id: 8), 8)
    #expect(t.count == 1)
    #expect(t[Colliding(id: 8)] == 8)
    for i in 0..<8 { #expect(t[Colliding(id: i)] == nil) }
  }
}
