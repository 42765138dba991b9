/// The one-word answer for a scenario, and whether it is what the scenario expects.
public struct Verdict: Sendable {
  public enum Outcome: String, Sendable {
    case deadlock = "DEADLOCK", hang = "HANG", bug = "BUG", noDeadlock = "no deadlock", incomplete = "INCOMPLETE"
  }
  public var outcome: Outcome
  /// nil when the scenario has no expect line.
  public var matches: Bool?
  public var expected: String?

  public init(_ r: ExplorationResult) {
    if !r.deadlocks.isEmpty { outcome = .deadlock }
    else if !r.hangs.isEmpty { outcome = .hang }
    else if !r.bugs.isEmpty { outcome = .bug }
    else if !r.statistics.complete { outcome = .incomplete }
    else { outcome = .noDeadlock }
    guard !r.program.expectations.isEmpty else { matches = nil; expected = nil; return }
    var texts: [String] = []
    var all = true
    for e in r.program.expectations {
      var text = e.outcome.rawValue
      if !e.locks.isEmpty { text += " on " + e.locks.map { r.program.locks[$0].name }.joined(separator: ", ") }
      texts.append(text)
      switch e.outcome {
      case .deadlock:
        all = all && r.deadlocks.contains { d in e.locks.allSatisfy(d.locks.contains) }
      case .noDeadlock:
        all = all && outcome == .noDeadlock
      case .hang:
        all = all && r.deadlocks.isEmpty && !r.hangs.isEmpty
      case .bug:
        all = all && !r.bugs.isEmpty
      }
    }
    expected = texts.joined(separator: "; ")
    matches = all
  }
}
