import Foundation

/// The speed and scale targets `make bench` is measured against, checked on a bench run's rows:
/// on the spin ring of 5 CPUs, at least 1,000,000 states stored per second, at most 100 bytes
/// kept per stored state, and at least 10 times fewer states than the plain search with the
/// same findings; and every seed scenario explored to its verdict in under a second.
///
/// A target whose scenarios are not in the run is not reported. Times are this machine's, so
/// the verdicts on them are too.
public enum BenchTargets {
  /// One measured scenario, as the bench row has it.
  public struct Row: Sendable {
    public var scenario: String
    /// A seed scenario (top of `Scenarios/`), as opposed to a benchmark family's.
    public var isSeed: Bool
    /// The measured (reduced) run reached its verdict: a run stopped early meets no target.
    public var complete: Bool
    public var seconds: Double
    public var statesPerSecond: Double
    public var storedBytesPerState: Int
    /// nil when either search stopped early (nothing to compare).
    public var reductionRatio: Double?
    public var findingsAgree: Bool?

    public init(scenario: String, isSeed: Bool, complete: Bool = true, seconds: Double, statesPerSecond: Double,
                storedBytesPerState: Int, reductionRatio: Double?, findingsAgree: Bool?) {
      self.scenario = scenario
      self.isSeed = isSeed
      self.complete = complete
      self.seconds = seconds
      self.statesPerSecond = statesPerSecond
      self.storedBytesPerState = storedBytesPerState
      self.reductionRatio = reductionRatio
      self.findingsAgree = findingsAgree
    }
  }

  public struct Check: Sendable, Equatable {
    public var target: String
    public var measured: String
    public var met: Bool

    /// `spin_ring_5_fixed: 88 bytes kept per state (target: at most 100): met`.
    public var line: String { "\(target): \(measured): \(met ? "met" : "NOT MET")" }
  }

  static let spinRingN5 = "spin_ring_5_"
  public static let statesPerSecond = 1_000_000.0
  public static let bytesPerState = 100
  public static let reduction = 10.0
  public static let seedSeconds = 1.0

  public static func check(_ rows: [Row]) -> [Check] {
    var checks: [Check] = []
    for r in rows where r.scenario.hasPrefix(spinRingN5) {
      let early = r.complete ? "" : " (stopped early)"
      checks.append(Check(target: "\(r.scenario) states per second (at least 1,000,000)",
                          measured: String(format: "%.0f", r.statesPerSecond) + early, met: r.complete && r.statesPerSecond >= statesPerSecond))
      checks.append(Check(target: "\(r.scenario) bytes kept per stored state (at most \(bytesPerState))",
                          measured: "\(r.storedBytesPerState)" + early, met: r.complete && r.storedBytesPerState <= bytesPerState))
      let reductionMeasured: String
      if let ratio = r.reductionRatio, let agree = r.findingsAgree {
        reductionMeasured = String(format: "%.2fx", ratio) + (agree ? "" : ", findings differ")
      } else {
        reductionMeasured = "not compared (a search stopped early)"
      }
      checks.append(Check(target: "\(r.scenario) reduction against --no-reduction, same findings (at least 10x)",
                          measured: reductionMeasured, met: (r.reductionRatio ?? 0) >= reduction && r.findingsAgree == true))
    }
    let seeds = rows.filter(\.isSeed)
    if let slowest = seeds.max(by: { $0.seconds < $1.seconds }) {
      // A seed stopped early has not been explored to its verdict, however fast.
      let under = seeds.filter { $0.complete && $0.seconds < seedSeconds }.count
      checks.append(Check(target: "seed scenarios explored in under 1 s",
                          measured: "\(under) of \(seeds.count); slowest \(slowest.scenario) " + String(format: "%.2f s", slowest.seconds),
                          met: under == seeds.count))
    }
    return checks
  }
}
