import Testing
@testable import KernelSim

/// The footprint sets against `Set<Int>`: ids on both sides of the in-place word (0..<64) and
/// the words beyond it, unions, intersections, and the unknown-access top element.
@Suite struct BitSetTests {
  @Test func agreesWithASetOfInts() {
    var random = TestRandom(seed: 0x9E37_79B9_7F4A_7C15)
    func next(_ bound: Int) -> Int { random.next(bound) }
    for _ in 0..<500 {
      let a = (0..<next(6)).map { _ in next(2) == 0 ? next(64) : next(300) }
      let b = (0..<next(6)).map { _ in next(2) == 0 ? next(64) : next(300) }
      let x = BitSet(a), y = BitSet(b)
      #expect(x.members == Set(a).sorted())
      #expect(x.isEmpty == a.isEmpty)
      #expect(x.intersects(y) == !Set(a).isDisjoint(with: b), "\(a) \(b)")
      for i in [0, 63, 64, 127, 128, 299] { #expect(x.contains(i) == a.contains(i)) }
      var u = x
      u.formUnion(y)
      #expect(u.members == Set(a + b).sorted())
    }
  }

  @Test func everythingMeetsEveryNonEmptySet() {
    #expect(BitSet.everything.intersects(BitSet([200])))
    #expect(BitSet([3]).intersects(.everything))
    #expect(!BitSet.everything.intersects(BitSet()))
    #expect(BitSet.everything.contains(1_000))
    var u = BitSet([1, 100])
    u.formUnion(.everything)
    #expect(u.isEverything)
  }
}
