/// The one-word answer for a scenario, and whether it is what the scenario expects.
public struct Verdict: Sendable {
  public enum Outcome: String, Sendable {
    case deadlock = "DEADLOCK", hang = "HANG", bug = "BUG", noDeadlock = "no deadlock", incomplete = "INCOMPLETE"
  }
  public var outcome: Outcome
  /// Whether what was found is what the scenario's expect line says: true, false (contradicted),
  /// or nil when the scenario has none or the run is `undecided`.
  public var matches: Bool?
  public var expected: String?
  /// The run stopped early (Ctrl-C, `--max-states`, `--max-memory`) and what it found so far
  /// neither meets the expect line nor contradicts it: a deadlock not found yet may still be
  /// there, and "no deadlock" is not proven. Not a mismatch.
  public var undecided = false

  /// The expect column's word: `ok`, `MISMATCH`, `undecided`, or `(no expect)`.
  public var check: String {
    switch matches {
    case true?: return "ok"
    case false?: return "MISMATCH"
    case nil: return undecided ? "undecided" : "(no expect)"
    }
  }

  /// The result fails the run (exit 1): it contradicts the expect line, or a scenario without
  /// one deadlocks.
  public var fails: Bool { matches == false || (expected == nil && outcome == .deadlock) }

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
    // Only a found deadlock or bug is proven by part of the states: "no deadlock" and a hang
    // (a stuck state and no deadlock anywhere) are claims about all of them.
    let provenEarly = r.program.expectations.allSatisfy { $0.outcome == .deadlock || $0.outcome == .bug }
    if r.statistics.complete || (all && provenEarly) {
      matches = all
    } else {
      // Found so far, only what the expectations allow: a later state could still meet them
      // (or, for "no deadlock", a later one contradict them).
      let contradicted = r.program.expectations.contains { e in
        switch e.outcome {
        case .noDeadlock: return outcome != .incomplete
        case .hang: return !r.deadlocks.isEmpty
        case .deadlock, .bug: return false
        }
      }
      matches = contradicted ? false : nil
      undecided = !contradicted
    }
  }
}
