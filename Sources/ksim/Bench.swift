import ArgumentParser
import Foundation
import KernelSim

extension Ksim {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure explorations: states stored, transitions, states per second, peak memory, bytes per state, and the reduction ratio against --no-reduction.",
      discussion: "Use a release build (make bench). Results also go to --json-out for comparing runs.")

    @Argument(help: "Scenario files (.ksim).")
    var files: [String]

    @Option(name: .customLong("json-out"), help: "Write the results as JSON here.")
    var jsonOut: String?

    @Option(name: .customLong("max-states"), parsing: .unconditional, help: "Stop a scenario after this many stored states.")
    var maxStates: Int = 20_000_000

    @Option(name: .customLong("max-memory"), parsing: .unconditional, help: "Stop a scenario when ksim's resident memory exceeds this many MiB.")
    var maxMemory: Int?

    @Option(help: "A name for this run, written to the JSON with the date, machine and build (make bench passes the git commit).")
    var label: String?

    @Option(help: "An earlier run's --json-out file: compare times, states and bytes per state with it.")
    var baseline: String?

    func validate() throws {
      if maxStates < 1 { throw ValidationError("--max-states must be ≥ 1") }
      if let m = maxMemory, m < 1 || m > 1 << 30 { throw ValidationError("--max-memory must be between 1 and 1073741824 (MiB)") }
      // Read before measuring: a bad file is a usage error, not a surprise at the end.
      if let baseline, Bench.earlierRun(baseline) == nil {
        throw ValidationError("--baseline \(baseline): not a file written by ksim bench --json-out")
      }
    }

    static func earlierRun(_ path: String) -> (rows: [BenchComparison.Row], run: String)? {
      FileManager.default.contents(atPath: path).flatMap(BenchComparison.read)
    }

    /// Resident growth per state is not reported for runs smaller than this: the process's
    /// fixed allocations (tables, caches) would be most of it.
    static let growthMinStates = 10_000

    func run() throws {
      installInterruptHandler()
      let earlier = baseline.flatMap(Bench.earlierRun)
      var compared: [BenchComparison.Row] = []
      let (programs, failed) = loadScenarios(files)
      let width = max(8, programs.map { $0.name.count }.max() ?? 0)
      print("scenario".padding(toLength: width, withPad: " ", startingAt: 0)
            + "  verdict      expect       states  transitions   seconds    states/s  peak MiB  growth B/st  kept B/st  enc B/st  reduction (states, seconds without)")
      var rows: [[String: Any]] = []
      var targetRows: [BenchTargets.Row] = []
      var disagreements = 0, mismatches = 0, stoppedEarly = 0
      var options = ExploreOptions(maxStates: maxStates)
      options.maxMemory = maxMemory.map { $0 << 20 }
      var plain = options
      plain.reduction = false
      for (i, p) in programs.enumerated() {
        // The measured run first: the reference run's freed memory may stay resident.
        let r = Explorer(program: p, options: options).run(progress: progressReporter(p.name), stop: interruptFlag)
        endProgress()
        // The reference run only after a complete one (the ratio and the comparison need both).
        let reference = interruptFlag.isRaised || !r.statistics.complete ? nil
          : Explorer(program: p, options: plain).run(progress: progressReporter(p.name + " (no reduction)"), stop: interruptFlag)
        endProgress()
        let s = r.statistics
        let v = Verdict(r)
        let vRef = reference.map(Verdict.init)
        let both = s.complete && reference?.statistics.complete == true
        // Findings are compared, and states counted against each other, only when both
        // searches ran to the end: a search cut short has found only part of what it would.
        let ratio: Double? = both && s.statesStored > 0 ? Double(reference!.statistics.statesStored) / Double(s.statesStored) : nil
        let agree: Bool? = both ? v.outcome == vRef!.outcome && Set(r.findings.map(\.signature)) == Set(reference!.findings.map(\.signature)) : nil
        let reductionText: String
        if let ratio, let agree {
          reductionText = String(format: "%.2fx (%d, %.3f s)", ratio, reference!.statistics.statesStored, reference!.statistics.seconds)
            + (agree ? "" : "  FINDINGS DIFFER from --no-reduction")
        } else {
          let why = !s.complete ? s.stopReason : reference?.statistics.stopReason.map { "--no-reduction " + $0 }
          reductionText = "- (\(why ?? "stopped early"))"
        }
        // Growth of resident memory per state, and what the search keeps per state by its own
        // count (`storedBytes`). "-": the run was too small to tell, or fit, wholly or partly,
        // in memory an earlier scenario of this process had freed; a growth below what is kept
        // is not a measurement (the small spin rings showed 1-55 bytes per state).
        let bytesPerState = s.bytesPerState
        let encoded = s.statesStored > 0 ? s.encodedBytes / s.statesStored : 0
        let stored = s.storedBytesPerState
        let measured = s.statesStored >= Bench.growthMinStates && bytesPerState >= stored
        let growth = measured ? "\(bytesPerState)" : "-"
        let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
        let verdict = v.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        let counts = String(format: "%10d  %11d  %8.3f  %10.0f  %8d", s.statesStored, s.transitions, s.seconds, s.statesPerSecond, s.peakMemory >> 20)
        let memory = String(repeating: " ", count: max(0, 11 - growth.count)) + growth + String(format: "  %9d  %8d", stored, encoded)
        print(name + "  " + verdict + "  " + (v.expected == nil ? "-" : v.check).padding(toLength: 9, withPad: " ", startingAt: 0) + counts + "  " + memory + "  " + reductionText)
        if agree == false { disagreements += 1 }
        if v.fails { mismatches += 1 }
        if !both { stoppedEarly += 1 }
        // Seeds are the scenarios at the top of Scenarios/, not in a family's folder.
        let isSeed = (p.path as NSString).deletingLastPathComponent.split(separator: "/").last != "bench"
        targetRows.append(BenchTargets.Row(scenario: p.name, isSeed: isSeed, complete: s.complete, seconds: s.seconds,
                                           statesPerSecond: s.statesPerSecond, storedBytesPerState: stored,
                                           reductionRatio: ratio, findingsAgree: agree))
        var row: [String: Any] = [
          "scenario": p.name, "verdict": v.outcome.rawValue, "matches": v.matches.map { $0 as Any } ?? NSNull(), "states": s.statesStored,
          "transitions": s.transitions, "transitionsFromStepMemo": s.memoizedSteps, "seconds": s.seconds, "statesPerSecond": s.statesPerSecond,
          "peakMemoryBytes": s.peakMemory, "bytesPerState": measured ? bytesPerState as Any : NSNull(),
          "storedBytesPerState": stored, "encodedBytesPerState": encoded, "complete": s.complete,
          "reductionRatio": ratio.map { $0 as Any } ?? NSNull(), "findingsAgree": agree.map { $0 as Any } ?? NSNull(),
        ]
        if !s.complete { row["stopReason"] = s.stopReason ?? "stopped early" }
        compared.append(BenchComparison.Row(scenario: p.name, verdict: v.outcome.rawValue, states: s.statesStored, seconds: s.seconds,
                                            storedBytesPerState: stored, complete: s.complete))
        if let reference, let vRef {
          let rs = reference.statistics
          row["statesWithoutReduction"] = rs.statesStored
          row["transitionsWithoutReduction"] = rs.transitions
          row["secondsWithoutReduction"] = rs.seconds
          row["verdictWithoutReduction"] = vRef.outcome.rawValue
          row["completeWithoutReduction"] = rs.complete
          if !rs.complete { row["stopReasonWithoutReduction"] = rs.stopReason ?? "stopped early" }
        }
        rows.append(row)
        if interruptFlag.isRaised {
          let skipped = programs[(i + 1)...].map(\.path)
          printErr("interrupted: \(p.name) and what follows are incomplete" + (skipped.isEmpty ? "" : "; not measured: " + skipped.joined(separator: ", ")))
          break
        }
      }
      let checks = BenchTargets.check(targetRows)
      if !checks.isEmpty {
        print("targets (measured on this machine, \(BenchRunInfo.build) build\(BenchRunInfo.build == "release" ? "" : "; they are for release builds")):")
        for c in checks { print("  " + c.line) }
      }
      if let earlier {
        let (lines, differing) = BenchComparison.lines(current: compared, baseline: earlier.rows)
        print("against \(baseline!) (\(earlier.run)): \(lines.count) scenario(s) in both"
              + (differing > 0 ? ", \(differing) with different states or verdicts" : ", states and verdicts the same"))
        for l in lines { print("  " + l) }
      }
      if let jsonOut {
        let dir = (jsonOut as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let targets = checks.map { ["target": $0.target, "measured": $0.measured, "met": $0.met] as [String: Any] }
        let run = BenchRunInfo(label: label, maxStates: maxStates, maxMemoryMiB: maxMemory).json
        let data = try JSONSerialization.data(withJSONObject: ["run": run, "results": rows, "targets": targets], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: jsonOut))
        print("wrote \(jsonOut)")
      }
      if failed { throw Status.badInput }
      if disagreements > 0 {
        printErr("\(disagreements) scenario(s): reduction and --no-reduction found different things (a ksim bug)")
      }
      if mismatches > 0 { printErr("\(mismatches) scenario(s): the verdict contradicts the expect line (or deadlocks without one)") }
      if disagreements > 0 || mismatches > 0 { throw Status.mismatch }
      if interruptFlag.isRaised { throw Status.interrupted }
      if stoppedEarly > 0 {
        printErr("\(stoppedEarly) scenario(s) stopped early: their reduction ratios and findings were not compared")
        throw Status.incomplete
      }
    }
  }
}
