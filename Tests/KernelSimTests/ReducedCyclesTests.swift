import Testing
@testable import KernelSim

@Suite struct ReducedCyclesTests {
  /// Only cycles made of reduced states count, and on each one the states with an edge back to
  /// a smaller or equal id are the ones to expand in full.
  @Test func findsTheBackEdgeSourcesOfCyclesAmongReducedStates() {
    var g = ReducedCycles()
    // 0 -> 1 -> 2 -> 1 (a cycle: 2 goes back to 1), 2 -> 3, 3 -> 0 closes a larger one through 0.
    // 4 -> 4: a self-loop. 5 -> 6 -> 5 with 6 expanded in full: no cycle of reduced states.
    for id: Int32 in [0, 1, 2, 3, 4, 5] { g.setReduced(id, true) }
    for (a, b): (Int32, Int32) in [(0, 1), (1, 2), (2, 1), (2, 3), (3, 0), (4, 4), (5, 6), (6, 5)] {
      g.addEdge(from: a, to: b)
    }
    #expect(g.statesToExpand() == [2, 3, 4])
    // Once those are expanded in full, no cycle of reduced states is left.
    for id: Int32 in [2, 3, 4] { g.setReduced(id, false) }
    #expect(g.statesToExpand().isEmpty)
  }

  /// Checks look for cycles through new edges only; a cycle closed by a new edge through an
  /// edge recorded before its target was expanded is still found.
  @Test func aCycleThroughAnOlderEdgeIsFoundWhenItCloses() {
    var g = ReducedCycles()
    g.setReduced(0, true)
    g.addEdge(from: 0, to: 1)  // 1 is not expanded yet
    #expect(g.statesToExpand().isEmpty)
    #expect(g.statesToExpand().isEmpty)
    g.setReduced(1, true)
    g.addEdge(from: 1, to: 0)
    #expect(g.statesToExpand() == [1])
    g.setReduced(1, false)
    #expect(g.statesToExpand().isEmpty)
  }

  /// An acyclic graph whose edges go back in id order (a state reached along a longer path was
  /// stored before the one expanded): nothing to expand. The eager proviso refused these.
  @Test func backEdgesOffAnyCycleNeedNothing() {
    var g = ReducedCycles()
    for id: Int32 in 0..<4 { g.setReduced(id, true) }
    for (a, b): (Int32, Int32) in [(0, 1), (0, 2), (2, 3), (3, 1)] { g.addEdge(from: a, to: b) }
    #expect(g.statesToExpand().isEmpty)
  }

  /// The ignoring problem: cpu0 loops forever on a lock only it takes, so a persistent set of
  /// cpu0 alone is valid in every state of its loop, and cpu1's BUG_ON would be postponed round
  /// the loop forever. The proviso must expand a state of the loop in full so cpu1 runs.
  @Test func aChoicePostponedRoundALoopIsTakenInTheEnd() {
    let r = explore("""
      cpus 2; spinlock_t a; spinlock_t b;
      task spinner on cpu0 { while (1) { spin_lock(&a); spin_unlock(&a); } }
      task victim on cpu1 { spin_lock(&b); BUG_ON(1); spin_unlock(&b); }
      expect bug;
      """)
    #expect(r?.bugs.count == 1)
    #expect(r?.statistics.complete == true)
    #expect((r?.statistics.provisoExpansions ?? 0) > 0)
  }
}
