import Foundation

/// A bench run set against an earlier one (`ksim bench --baseline FILE`, FILE written by
/// `--json-out`): per scenario in both, the time ratio, whether the states stored and the
/// verdict are the same, and the bytes kept per state.
///
/// States and verdicts are exact: the search is deterministic, so a different count means the
/// search itself changed (intended or not), which is what a speed change must not do by
/// accident. Times are only as comparable as the two runs' machines and loads (the JSON's
/// `run` says what each was measured on).
public enum BenchComparison {
  /// What the comparison needs of one scenario's row, in either run.
  public struct Row: Sendable, Equatable {
    public var scenario: String
    public var verdict: String
    public var states: Int
    public var seconds: Double
    public var storedBytesPerState: Int
    public var complete: Bool

    public init(scenario: String, verdict: String, states: Int, seconds: Double, storedBytesPerState: Int, complete: Bool) {
      self.scenario = scenario
      self.verdict = verdict
      self.states = states
      self.seconds = seconds
      self.storedBytesPerState = storedBytesPerState
      self.complete = complete
    }

    /// A row of a `--json-out` file; nil where a field is missing.
    public init?(json: [String: Any]) {
      guard let scenario = json["scenario"] as? String, let verdict = json["verdict"] as? String,
            let states = json["states"] as? Int, let seconds = json["seconds"] as? Double,
            let stored = json["storedBytesPerState"] as? Int else { return nil }
      self.init(scenario: scenario, verdict: verdict, states: states, seconds: seconds,
                storedBytesPerState: stored, complete: json["complete"] as? Bool ?? true)
    }
  }

  /// The rows of a `--json-out` file, and its `run` description ("label, date, build"), or nil
  /// if it is not one.
  public static func read(_ data: Data) -> (rows: [Row], run: String)? {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let results = object["results"] as? [[String: Any]] else { return nil }
    let run = object["run"] as? [String: Any] ?? [:]
    let about = [run["label"] as? String, run["date"] as? String, (run["build"] as? String).map { $0 + " build" }]
      .compactMap { $0 }.joined(separator: ", ")
    return (results.compactMap(Row.init(json:)), about.isEmpty ? "no run description" : about)
  }

  /// One line per scenario of `current` that `baseline` has too, in `current`'s order, and
  /// how many of them differ in states or verdict.
  public static func lines(current: [Row], baseline: [Row]) -> (lines: [String], differing: Int) {
    let before = Dictionary(baseline.map { ($0.scenario, $0) }, uniquingKeysWith: { first, _ in first })
    let width = max(8, current.map(\.scenario.count).max() ?? 0)
    var out: [String] = [], differing = 0
    for now in current {
      guard let was = before[now.scenario] else { continue }
      let name = now.scenario.padding(toLength: width, withPad: " ", startingAt: 0)
      let time = was.seconds > 0
        ? String(format: "%.3f -> %.3f s (%.2fx)", was.seconds, now.seconds, now.seconds / was.seconds)
        : String(format: "%.3f -> %.3f s", was.seconds, now.seconds)
      let same = now.states == was.states && now.verdict == was.verdict && now.complete == was.complete
      if !same { differing += 1 }
      let search = same ? "states same (\(now.states))"
        : "STATES OR VERDICT DIFFER: \(was.states) \(was.verdict)\(was.complete ? "" : " (stopped early)") -> "
          + "\(now.states) \(now.verdict)\(now.complete ? "" : " (stopped early)")"
      out.append("\(name)  \(time)  kept \(was.storedBytesPerState) -> \(now.storedBytesPerState) B/st  \(search)")
    }
    return (out, differing)
  }
}
