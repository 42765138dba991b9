import Foundation
import Testing
@testable import KernelSim

/// `ksim bench --baseline`: a run against an earlier one's JSON, scenario by scenario.
@Suite struct BenchComparisonTests {
  static func row(_ name: String, states: Int, seconds: Double, verdict: String = "no deadlock", complete: Bool = true) -> BenchComparison.Row {
    BenchComparison.Row(scenario: name, verdict: verdict, states: states, seconds: seconds, storedBytesPerState: 70, complete: complete)
  }

  /// Scenarios in both runs are compared in the current run's order; the others are left out.
  /// Equal states and verdicts say so; a different count, verdict or a run stopped early is
  /// called out and counted.
  @Test func comparesTheScenariosInBothRuns() {
    let before = [Self.row("a", states: 100, seconds: 0.5), Self.row("b", states: 50, seconds: 0.2), Self.row("gone", states: 1, seconds: 1)]
    let now = [Self.row("b", states: 51, seconds: 0.1), Self.row("new", states: 3, seconds: 0.1), Self.row("a", states: 100, seconds: 0.25),
               ]
    let (lines, differing) = BenchComparison.lines(current: now, baseline: before)
    #expect(lines.count == 2)
    #expect(differing == 1)
    #expect(lines[0].hasPrefix("b ") && lines[0].contains("0.200 -> 0.100 s (0.50x)") && lines[0].contains("STATES OR VERDICT DIFFER: 50 no deadlock -> 51 no deadlock"))
    #expect(lines[1].hasPrefix("a ") && lines[1].contains("(0.50x)") && lines[1].hasSuffix("states same (100)"))

    let verdictChanged = BenchComparison.lines(current: [Self.row("a", states: 100, seconds: 1, verdict: "DEADLOCK")], baseline: before)
    #expect(verdictChanged.differing == 1)
    let stopped = BenchComparison.lines(current: [Self.row("a", states: 100, seconds: 1, complete: false)], baseline: before)
    #expect(stopped.differing == 1 && stopped.lines[0].contains("(stopped early)"))
  }

  /// A `--json-out` file reads back as its rows and the run it describes; anything else is
  /// not one.
  @Test func readsWhatBenchWrites() throws {
    let file: [String: Any] = [
      "run": ["label": "abc123", "date": "2026-11-23T08:00:00Z", "build": "release"],
      "results": [["scenario": "a", "verdict": "DEADLOCK", "states": 7, "seconds": 0.5, "storedBytesPerState": 60, "complete": true],
                  ["scenario": "broken"]],
    ]
    let data = try JSONSerialization.data(withJSONObject: file)
    let read = try #require(BenchComparison.read(data))
    #expect(read.rows == [BenchComparison.Row(scenario: "a", verdict: "DEADLOCK", states: 7, seconds: 0.5, storedBytesPerState: 60, complete: true)])
    #expect(read.run == "abc123, 2026-11-23T08:00:00Z, release build")
    // An older file, without a run description.
    let old = try JSONSerialization.data(withJSONObject: ["results": file["results"]!])
    #expect(BenchComparison.read(old)?.run == "no run description")
    #expect(BenchComparison.read(Data("[1, 2]".utf8)) == nil)
    #expect(BenchComparison.read(Data("not json".utf8)) == nil)
  }
}
