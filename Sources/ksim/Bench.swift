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

    @Option(name: .customLong("max-states"), help: "Stop a scenario after this many stored states.")
    var maxStates: Int = 20_000_000

    func run() throws {
      installInterruptHandler()
      let (programs, failed) = loadScenarios(files)
      let width = max(8, programs.map { $0.name.count }.max() ?? 0)
      print("scenario".padding(toLength: width, withPad: " ", startingAt: 0)
            + "  verdict      states      transitions  states/s    peak MiB  bytes/state  (stored)  (encoded)  reduction (states without)")
      var rows: [[String: Any]] = []
      var targetRows: [BenchTargets.Row] = []
      var disagreements = 0
      for p in programs {
        // The measured run first: the reference run's freed memory may stay resident.
        let r = Explorer(program: p, options: ExploreOptions(maxStates: maxStates)).run(progress: progressReporter(p.name), stop: interruptFlag)
        endProgress()
        if interruptFlag.isRaised { break }
        let reference = Explorer(program: p, options: ExploreOptions(maxStates: maxStates, reduction: false))
          .run(progress: progressReporter(p.name + " (no reduction)"), stop: interruptFlag)
        endProgress()
        let s = r.statistics
        let v = Verdict(r)
        let vRef = Verdict(reference)
        let bytesPerState = s.bytesPerState
        let ratio = s.statesStored > 0 ? Double(reference.statistics.statesStored) / Double(s.statesStored) : 0
        let agree = v.outcome == vRef.outcome && Set(r.findings.map(\.signature)) == Set(reference.findings.map(\.signature))
        let reductionText = String(format: "%.2fx (%d)", ratio, reference.statistics.statesStored)
          + (agree ? "" : "  FINDINGS DIFFER from --no-reduction")
        // Growth of resident memory per state, and what the search keeps per state by its own
        // count (`storedBytes`). "-": the run fit, wholly or partly, in memory an earlier
        // scenario of this process had freed; a growth below what is kept is not a measurement
        // (the small spin rings showed 1-55 bytes per state).
        let encoded = s.statesStored > 0 ? s.encodedBytes / s.statesStored : 0
        let stored = s.storedBytesPerState
        let measured = bytesPerState > 0 && bytesPerState >= stored
        let growth = measured ? "\(bytesPerState)" : "-"
        let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
        let verdict = v.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        let counts = String(format: "%10d  %13d  %10.0f  %8d", s.statesStored, s.transitions, s.statesPerSecond, s.peakMemory >> 20)
        let memory = String(repeating: " ", count: max(0, 11 - growth.count)) + growth + String(format: "  %8d  %9d", stored, encoded)
        print(name + "  " + verdict + counts + "  " + memory + "  " + reductionText)
        if !agree { disagreements += 1 }
        // Seeds are the scenarios at the top of Scenarios/, not in a family's folder.
        let isSeed = (p.path as NSString).deletingLastPathComponent.split(separator: "/").last != "bench"
        targetRows.append(BenchTargets.Row(scenario: p.name, isSeed: isSeed, seconds: s.seconds, statesPerSecond: s.statesPerSecond,
                                         storedBytesPerState: stored, reductionRatio: ratio, findingsAgree: agree))
        rows.append([
          "scenario": p.name, "verdict": v.outcome.rawValue, "matches": v.matches as Any, "states": s.statesStored,
          "transitions": s.transitions, "transitionsFromStepMemo": s.memoizedSteps, "seconds": s.seconds, "statesPerSecond": s.statesPerSecond,
          "peakMemoryBytes": s.peakMemory, "bytesPerState": measured ? bytesPerState as Any : NSNull(),
          "storedBytesPerState": stored, "encodedBytesPerState": encoded, "complete": s.complete,
          "reductionRatio": ratio, "statesWithoutReduction": reference.statistics.statesStored,
          "secondsWithoutReduction": reference.statistics.seconds, "verdictWithoutReduction": vRef.outcome.rawValue,
          "findingsAgree": agree,
        ])
        if interruptFlag.isRaised { break }
      }
      let checks = BenchTargets.check(targetRows)
      if !checks.isEmpty {
        print("targets (measured on this machine, release build):")
        for c in checks { print("  " + c.line) }
      }
      if let jsonOut {
        let dir = (jsonOut as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let targets = checks.map { ["target": $0.target, "measured": $0.measured, "met": $0.met] as [String: Any] }
        let data = try JSONSerialization.data(withJSONObject: ["results": rows, "targets": targets], options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: jsonOut))
        print("wrote \(jsonOut)")
      }
      if failed { throw Status.badInput }
      if disagreements > 0 {
        printErr("\(disagreements) scenario(s): reduction and --no-reduction found different things (a ksim bug)")
        throw ExitCode(1)
      }
    }
  }
}
