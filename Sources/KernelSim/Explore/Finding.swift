/// Something the explorer found, with the shortest schedule that reaches it.
public struct Finding: Sendable {
  public enum Kind: String, Sendable { case deadlock = "DEADLOCK", hang = "HANG", bug = "BUG" }
  public var kind: Kind
  /// Identifies the finding across interleavings: the same cycle reached by different
  /// schedules is one finding.
  public var signature: String
  /// The schedule from the initial state.
  public var witness: [Choice]
  /// Deadlocks: the cycle in the final state.
  public var cycle: [WaitEdge] = []
  /// Bugs: what went wrong.
  public var bug: Bug?
  /// Hangs: the contexts left waiting.
  public var stuck: [ContextRef] = []
  /// The locks in the cycle (deadlocks), sorted.
  public var locks: [Int] = []
}

/// Counters of one exploration.
public struct ExploreStatistics: Sendable {
  public var statesStored = 0
  public var transitions = 0
  public var maxDepth = 0
  /// Stuck states not reported as hangs because an exhausted interrupt source might have
  /// unblocked them (more firings would be needed to tell).
  public var stuckAtBounds = 0
  /// False when a limit stopped the search before every interleaving was tried.
  public var complete = true
  public var stopReason: String?
  public var seconds: Double = 0
}

public struct ExplorationResult: Sendable {
  public var program: Program
  public var options: ExploreOptions
  public var findings: [Finding]
  public var statistics: ExploreStatistics

  public var deadlocks: [Finding] { findings.filter { $0.kind == .deadlock } }
  public var hangs: [Finding] { findings.filter { $0.kind == .hang } }
  public var bugs: [Finding] { findings.filter { $0.kind == .bug } }
}
