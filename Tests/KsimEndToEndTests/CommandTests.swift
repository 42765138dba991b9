import Foundation
import Testing

/// The ksim commands as a user runs them: output, exit status, determinism across processes.
@Suite struct CommandTests {
  @Test func checkPrintsLocatedErrorsAndExits2() throws {
    let path = try KsimProcess.temporaryFile("bad.ksim", """
      cpus 1;
      raw_spinlock_t r;
      task t on cpu0 { spin_lock(&r); nope(); }
      expect no deadlock;
      """)
    let r = try KsimProcess.run(["check", path])
    #expect(r.status == 2)
    let lines = r.stderr.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("\(path):3:28: error: spin_lock expects a spinlock_t *") })
    #expect(lines.contains { $0.hasPrefix("\(path):3:33: error: unknown function 'nope'") })
  }

  @Test func checkAcceptsEveryScenario() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: KsimProcess.root.appendingPathComponent("Scenarios").path)
      .filter { $0.hasSuffix(".ksim") }.sorted().map { "Scenarios/\($0)" }
    let r = try KsimProcess.run(["check"] + files)
    #expect(r.status == 0, "\(r.stderr)")
  }

  @Test func exploreSummaryExitsZeroWhenVerdictsMatch() throws {
    let r = try KsimProcess.run(["explore", "--summary", "Scenarios/klist_hardirq.ksim", "Scenarios/klist_lockdep_pair.ksim"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("klist_hardirq"))
    #expect(r.stdout.contains("DEADLOCK"))
    #expect(r.stdout.contains("no deadlock"))
    #expect(r.stdout.contains("1 interrupt per source"))
    #expect(r.stdout.contains("2 scenarios explored, 2 as expected"))
  }

  /// A scenario expecting no deadlock where its interrupt handler deadlocks on the lock the
  /// task holds.
  func wrongExpectation(_ name: String) throws -> String {
    try KsimProcess.temporaryFile(name, """
      cpus 1; spinlock_t a;
      void h(void) { spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { spin_lock(&a); spin_unlock(&a); }
      irq i on cpu0 => h;
      expect no deadlock;
      """)
  }

  @Test func exploreExitsOneWhenAVerdictContradictsTheExpectation() throws {
    let r = try KsimProcess.run(["explore", try wrongExpectation("wrong.ksim")])
    #expect(r.status == 1)
    #expect(r.stdout.contains("MISMATCH"))
  }

  /// A run stopped at a limit has no verdict to hold against its expect line: it says so,
  /// with why it stopped, and exits 3, neither 0 nor the mismatch's 1.
  @Test func exploreStoppedAtALimitIsUndecidedAndExits3() throws {
    let r = try KsimProcess.run(["explore", "--summary", "--max-states", "100", "Scenarios/netfs_fixed.ksim"])
    #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("INCOMPLETE   undecided"), "\(r.stdout)")
    #expect(r.stdout.contains("(stopped at --max-states 100)"))
    #expect(r.stdout.contains("1 scenario explored, 0 as expected, 1 stopped early"))
    #expect(!r.stdout.contains("MISMATCH"))
    let j = try KsimProcess.run(["explore", "--format", "json", "--max-states", "100", "Scenarios/netfs_fixed.ksim"])
    #expect(j.status == 3)
    #expect(j.stdout.contains("\"stopReason\" : \"stopped at --max-states 100\"") && j.stdout.contains("\"undecided\" : true"))
    // A bad limit is a usage error: 2, as documented (the parser's own would be 64).
    #expect(try KsimProcess.run(["explore", "--max-memory", "0", "Scenarios/netfs_fixed.ksim"]).status == 2)
    #expect(try KsimProcess.run(["explore", "--no-such-flag", "Scenarios/netfs_fixed.ksim"]).status == 2)
    // A negative number is read as the option's value and refused as such, not as a missing value.
    let negative = try KsimProcess.run(["explore", "--max-states", "-1", "Scenarios/netfs_fixed.ksim"])
    #expect(negative.status == 2 && negative.stderr.contains("--max-states must be ≥ 1"), "\(negative.stderr)")
  }

  /// Ctrl-C stops the search with what it has, names the files left unexplored, and exits 130.
  @Test func exploreInterruptedReportsWhatItHasAndExits130() throws {
    let r = try KsimProcess.run(["explore", "--summary", "Scenarios/bench/rcu_ring_5_fixed.ksim", "Scenarios/klist_hardirq.ksim"], interruptAfter: 1.5)
    #expect(r.status == 130, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.contains("rcu_ring_5_fixed  INCOMPLETE   undecided"), "\(r.stdout)")
    #expect(r.stdout.contains("(interrupted)"))
    #expect(r.stderr.contains("interrupted: the results above are incomplete; not explored: Scenarios/klist_hardirq.ksim"), "\(r.stderr)")
  }

  /// A verdict that contradicts its expect line fails the bench as it fails `explore`.
  @Test func benchExitsOneOnAMismatch() throws {
    let r = try KsimProcess.run(["bench", try wrongExpectation("bench-wrong.ksim")])
    #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
    #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("bench-wrong") && $0.contains("DEADLOCK     MISMATCH") }, "\(r.stdout)")
    #expect(r.stderr.contains("1 scenario(s): the verdict contradicts the expect line"))
  }

  /// Ctrl-C during a bench: the scenario cut short is shown as such, nothing is compared
  /// against a search that did not finish (no false "findings differ"), and it exits 130.
  @Test func benchInterruptedComparesNothingAndExits130() throws {
    let r = try KsimProcess.run(["bench", "Scenarios/klist_hardirq.ksim", "Scenarios/bench/rcu_ring_5_fixed.ksim",
                                  "Scenarios/bench/spin_ring_2_fixed.ksim"], interruptAfter: 1.5)
    #expect(r.status == 130, "\(r.stdout)\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    let ring = try #require(lines.first { $0.hasPrefix("rcu_ring_5_fixed") }, "\(r.stdout)")
    #expect(ring.contains("INCOMPLETE") && ring.contains("undecided") && ring.hasSuffix("- (interrupted)"), "\(ring)")
    #expect(!r.stdout.contains("DIFFER") && !r.stderr.contains("a ksim bug"))
    #expect(!lines.contains { $0.hasPrefix("spin_ring_2_fixed") })
    #expect(r.stderr.contains("not measured: Scenarios/bench/spin_ring_2_fixed.ksim"), "\(r.stderr)")
  }

  @Test func exploreReportNamesTheCycleTheChainsAndTheWitness() throws {
    let r = try KsimProcess.run(["explore", "Scenarios/klist_hardirq.ksim"])
    #expect(r.status == 0)
    for text in ["[DEADLOCK 1]", "cpu0 hardirq dmar", "spins on pci_bus_klist.k_lock", "held by task pci_hotplug on cpu0",
                 "cannot run: interrupted by hardirq dmar on cpu0", "in pci_hotplug > device_add > bus_add_device > klist_add_tail > add_tail",
                 "irqs off, bh on, preempt 1", "witness (6 steps)"] {
      #expect(r.stdout.contains(text), "missing: \(text)")
    }
  }

  /// `ksim bench` (what `make bench` runs): one row per scenario with the columns the issue
  /// names, the reduction compared with the plain search, and the same in JSON.
  @Test func benchPrintsAndWritesEveryColumn() throws {
    let json = FileManager.default.temporaryDirectory.appendingPathComponent("ksim-e2e-\(getpid())/bench.json").path
    let r = try KsimProcess.run(["bench", "Scenarios/bench/spin_ring_4_fixed.ksim", "Scenarios/klist_hardirq.ksim", "--json-out", json,
                                 "--label", "e2e run"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first { $0.hasPrefix("scenario") }?.contains("states/s") == true)
    let ring = try #require(lines.first { $0.hasPrefix("spin_ring_4_fixed") })
    #expect(ring.contains("no deadlock") && ring.contains("(4578, "), "\(ring)")
    #expect(!ring.contains("DIFFER"))
    // The seed's time against its target (the N=4 ring has none).
    #expect(lines.contains { $0.hasPrefix("  seed scenarios explored in under 1 s: 1 of 1; slowest klist_hardirq") })
    let data = try Data(contentsOf: URL(fileURLWithPath: json))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let rows = try #require(object["results"] as? [[String: Any]])
    #expect((object["targets"] as? [[String: Any]])?.first?["target"] as? String == "seed scenarios explored in under 1 s")
    // What the run was measured on, to compare result files knowingly (the tests run a debug build).
    let run = try #require(object["run"] as? [String: Any])
    #expect(run["label"] as? String == "e2e run")
    #expect(run["build"] as? String == "debug")
    #expect((run["date"] as? String)?.hasPrefix("20") == true)
    #expect(((run["machine"] as? [String: Any])?["cpus"] as? Int ?? 0) >= 1)
    #expect(run["maxStates"] as? Int == 20_000_000)
    #expect(lines.contains("targets (measured on this machine, debug build; they are for release builds):"))
    // Against that run: the same states, and the time ratio.
    let again = try KsimProcess.run(["bench", "Scenarios/klist_hardirq.ksim", "--baseline", json])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stdout.contains("(e2e run, "), "\(again.stdout)")
    #expect(again.stdout.contains("1 scenario(s) in both, states and verdicts the same"), "\(again.stdout)")
    #expect(again.stdout.split(separator: "\n").contains { $0.hasPrefix("  klist_hardirq") && $0.hasSuffix("states same (30)") }, "\(again.stdout)")
    // A file that is not one: a usage error before anything is measured.
    let bad = try KsimProcess.run(["bench", "Scenarios/klist_hardirq.ksim", "--baseline", "Scenarios/klist_hardirq.ksim"])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("not a file written by ksim bench --json-out"))
    #expect(!bad.stdout.contains("klist_hardirq"))
    #expect(rows.count == 2)
    let row = try #require(rows.first)
    for key in ["scenario", "verdict", "states", "transitions", "statesPerSecond", "peakMemoryBytes", "bytesPerState",
                "storedBytesPerState", "encodedBytesPerState", "reductionRatio", "statesWithoutReduction", "findingsAgree", "complete",
                "transitionsFromStepMemo"] {
      #expect(row[key] != nil, "missing \(key)")
    }
    #expect(row["statesWithoutReduction"] as? Int == 4578)
    #expect((row["reductionRatio"] as? Double ?? 0) >= 6)
    #expect(row["findingsAgree"] as? Bool == true)
    // The step memo answers for some of the ring's steps, never for more than were taken.
    let fromMemo = try #require(row["transitionsFromStepMemo"] as? Int)
    #expect(fromMemo > 0 && fromMemo < (row["transitions"] as? Int ?? 0))
    // A growth below what the search keeps per state is reported as not measured, never as a
    // number; what it keeps includes at least the encodings.
    for row in rows {
      let stored = try #require(row["storedBytesPerState"] as? Int)
      let encoded = try #require(row["encodedBytesPerState"] as? Int)
      #expect(stored > encoded && encoded > 0, "\(row["scenario"] ?? "")")
      if let growth = row["bytesPerState"] as? Int { #expect(growth >= stored, "\(row["scenario"] ?? "")") }
    }
  }

  @Test func outputIsByteIdenticalAcrossProcesses() throws {
    let args = ["explore", "Scenarios/klist_hardirq.ksim", "Scenarios/klist_no_walk_in_hardirq.ksim"]
    let a = try KsimProcess.run(args), b = try KsimProcess.run(args)
    #expect(a.stdout == b.stdout)
    let j1 = try KsimProcess.run(args + ["--format", "json"]), j2 = try KsimProcess.run(args + ["--format", "json"])
    #expect(j1.stdout == j2.stdout)
    #expect(j1.stdout.contains("\"verdict\" : \"DEADLOCK\""))
  }

  @Test func preludePathsAreRelativeToTheWorkingDirectory() throws {
    // Reports used to print the prelude's absolute path, so two clones printed different text.
    let r = try KsimProcess.run(["explore", "Scenarios/srcu_rq_lock.ksim"])
    #expect(r.stdout.contains(" at Scenarios/prelude/"))
    #expect(!r.stdout.contains(KsimProcess.root.path + "/"))
  }

  @Test func aBareFileNameInTheWorkingDirectoryFindsItsPrelude() throws {
    // `cd Scenarios; ksim explore netfs_freeze_self.ksim` crashed looking for prelude/ beside ".".
    let r = try KsimProcess.run(["explore", "--summary", "netfs_freeze_self.ksim"], in: KsimProcess.root.appendingPathComponent("Scenarios"))
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("1 as expected"))
  }

  @Test func noReductionIsDeterministicAndAgreesOnVerdicts() throws {
    let files = ["Scenarios/klist_hardirq.ksim", "Scenarios/aio_fuse_softirq_aa.ksim", "Scenarios/klist_lockdep_pair.ksim"]
    let a = try KsimProcess.run(["explore", "--summary", "--no-reduction"] + files)
    let b = try KsimProcess.run(["explore", "--summary", "--no-reduction"] + files)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout == b.stdout)
    let reduced = try KsimProcess.run(["explore", "--summary"] + files)
    // Same verdict column (states differ: that is the point of the reduction).
    func verdicts(_ out: String) -> [String] { out.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") } }
    #expect(verdicts(a.stdout) == verdicts(reduced.stdout))
  }

  @Test func traceOutThenReplayEndsInTheSameDeadlock() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksim-traces-\(getpid())").path
    let e = try KsimProcess.run(["explore", "--trace-out", dir, "Scenarios/klist_irqsave_add_tail.ksim"])
    #expect(e.status == 0)
    let trace = "\(dir)/klist_irqsave_add_tail.deadlock1.trace"
    #expect(FileManager.default.fileExists(atPath: trace))
    let r = try KsimProcess.run(["replay", "Scenarios/klist_irqsave_add_tail.ksim", "--trace", trace])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("end: DEADLOCK"))
    #expect(r.stdout.contains("klist_del > klist_put"))
  }

  @Test func replayRejectsAnEditedTraceWithItsLine() throws {
    let trace = try KsimProcess.temporaryFile("edited.trace", "# ksim trace\npick cpu0 pci_hotplug\nirq nosuch\n")
    let r = try KsimProcess.run(["replay", "Scenarios/klist_hardirq.ksim", "--trace", trace])
    #expect(r.status == 2)
    #expect(r.stderr.contains("\(trace):3: error:"))
    let trace2 = try KsimProcess.temporaryFile("edited2.trace", "pick cpu0 pci_hotplug\nrun cpu0\nrun cpu0\nrun cpu0\n")
    let r2 = try KsimProcess.run(["replay", "Scenarios/klist_hardirq.ksim", "--trace", trace2])
    #expect(r2.status == 2)
    #expect(r2.stderr.contains("\(trace2):4: error: step 4: 'run cpu0' is not enabled here; enabled: irq dmar"))
  }
}

/// A deadlock that needs a preemption given on the command line: the report, the trace file and
/// its replay must all use the same bound.
@Suite struct PreemptionOptionTests {
  @Test func witnessesFoundWithPreemptionsReplayEverywhere() throws {
    let path = try KsimProcess.temporaryFile("preempt_abba.ksim", """
      cpus 1;
      struct mutex a; struct mutex b;
      task x on cpu0 { mutex_lock(&a); mutex_lock(&b); mutex_unlock(&b); mutex_unlock(&a); }
      task y on cpu0 { mutex_lock(&b); mutex_lock(&a); mutex_unlock(&a); mutex_unlock(&b); }
      expect deadlock on a, b;
      """)
    let none = try KsimProcess.run(["explore", "--summary", path])
    #expect(none.status == 1, "without preemption the two tasks cannot interleave on one CPU")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksim-preempt-\(getpid())").path
    let r = try KsimProcess.run(["explore", "--preemptions", "1", "--trace-out", dir, path])
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    #expect(!r.stdout.contains("internal bug"), "\(r.stdout)")
    #expect(r.stdout.contains("preempt cpu0"))
    let trace = "\(dir)/preempt_abba.deadlock1.trace"
    #expect(FileManager.default.fileExists(atPath: trace))
    let replay = try KsimProcess.run(["replay", path, "--trace", trace])
    #expect(replay.status == 0, "\(replay.stderr)")
    #expect(replay.stdout.contains("end: DEADLOCK"))
    let json = try KsimProcess.run(["explore", "--preemptions", "1", "--format", "json", path])
    #expect(json.stdout.contains("\"sleepsOn\""))
  }
}
