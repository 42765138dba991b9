/// Runs one program with and without partial-order reduction and compares what matters: the
/// verdict and the set of findings (deadlock cycles, bugs, hangs, by signature). The reduced
/// search also runs without the step memo (`StepMemo`), which must change nothing at all: the
/// same states stored in the same order, the same transitions.
public struct DifferentialCheck {
  public struct Outcome: Sendable {
    public var reduced: ExplorationResult
    public var full: ExplorationResult
    /// Findings only one of the two searches reported, by signature ("+" only with reduction,
    /// "-" only without).
    public var differences: [String]
    public var agree: Bool { differences.isEmpty }
  }

  public init() {}

  /// Nil when the plain search does not finish within `options.maxStates` (the case is then
  /// too big to compare; callers count it as skipped).
  public func run(_ program: Program, options: ExploreOptions = ExploreOptions()) -> Outcome? {
    var on = options
    on.reduction = true
    var off = options
    off.reduction = false
    let full = Explorer(program: program, options: off).run()
    guard full.statistics.complete else { return nil }
    let reduced = Explorer(program: program, options: on).run()
    let a = Set(reduced.findings.map(\.signature))
    let b = Set(full.findings.map(\.signature))
    var differences = a.subtracting(b).sorted().map { "+ \($0)" } + b.subtracting(a).sorted().map { "- \($0)" }
    var plain = on
    plain.stepMemo = false
    let unmemoized = Explorer(program: program, options: plain).run()
    if unmemoized.statistics.storedDigest != reduced.statistics.storedDigest
      || unmemoized.statistics.transitions != reduced.statistics.transitions {
      differences.append("the step memo changed the search: \(reduced.statistics.statesStored) states, "
                         + "\(reduced.statistics.transitions) transitions with it, \(unmemoized.statistics.statesStored) and "
                         + "\(unmemoized.statistics.transitions) without")
    }
    if reduced.statistics.complete != full.statistics.complete {
      differences.append("completeness differs: \(reduced.statistics.complete) with reduction, \(full.statistics.complete) without")
    }
    return Outcome(reduced: reduced, full: full, differences: differences)
  }
}
