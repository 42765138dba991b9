import Testing
@testable import KernelSim

/// explore → trace file → replay reaches the same deadlock; replay rejects what is not enabled;
/// output is byte-identical across runs.
@Suite struct TraceTests {
  static let abba = """
    scenario "abba";
    cpus 2; spinlock_t a; spinlock_t b;
    task x on cpu0 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
    task y on cpu1 { spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }
    expect deadlock;
    """

  @Test func exploreTraceReplayReachesTheSameDeadlock() throws {
    let p = try #require(program(TraceTests.abba))
    let r = Explorer(program: p).run()
    let d = try #require(r.deadlocks.first)
    let m = Machine(program: p)
    let t = try TimelineBuilder(machine: m).build(d.witness.map { ($0, Int?.none) }).get()
    let text = TraceText.render(t, options: ExploreOptions())
    let parsed = try TraceText.parse(text, path: "t.trace", program: p).get()
    #expect(parsed.choices.map(\.choice) == d.witness)
    let replayed = try TimelineBuilder(machine: m).build(parsed.choices.map { ($0.choice, $0.line) }).get()
    guard case .deadlock(let cycle, _) = replayed.end else { Issue.record("replay did not deadlock"); return }
    #expect(cycle == d.cycle)
    #expect(TextReport.timeline(replayed) == TextReport.timeline(t))
  }

  @Test func replayRejectsAChoiceThatIsNotEnabledNamingItsLine() throws {
    let p = try #require(program(TraceTests.abba))
    let text = "# ksim trace\npick cpu0 x\nrun cpu1   # cpu1 is idle: nothing to run\n"
    let parsed = try TraceText.parse(text, path: "t.trace", program: p).get()
    switch TimelineBuilder(machine: Machine(program: p)).build(parsed.choices.map { ($0.choice, $0.line) }) {
    case .success: Issue.record("accepted a choice that is not enabled")
    case .failure(let e):
      #expect(e.line == 3)
      #expect(e.choice == "run cpu1")
      #expect(e.enabled.contains("pick cpu1 y"))
    }
  }

  @Test func traceSyntaxErrorsNameTheLine() throws {
    let p = try #require(program(TraceTests.abba))
    guard case .failure(let e) = TraceText.parse("run cpu0\nfly cpu0\n", path: "t.trace", program: p) else {
      Issue.record("accepted a bad line"); return
    }
    #expect(e.line == 2)
    #expect(e.description.hasPrefix("t.trace:2: error:"))
    guard case .failure(let e2) = TraceText.parse("pick cpu7 x\n", path: "t.trace", program: p) else {
      Issue.record("accepted a CPU out of range"); return
    }
    #expect(e2.line == 1)
  }

  @Test func twoRunsGiveByteIdenticalOutput() throws {
    let p = try #require(program(TraceTests.abba))
    let a = Explorer(program: p).run()
    let b = Explorer(program: p).run()
    #expect(TextReport.exploration(a, timing: false) == TextReport.exploration(b, timing: false))
    #expect(JSONReport.exploration([a]) == JSONReport.exploration([b]))
  }
}

/// The compact encoding the explorer stores is exact: decoding gives back the same state.
@Suite struct EncodingTests {
  @Test func everyStateOfAScenarioRoundTrips() throws {
    let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent("Scenarios/aio_fuse_softirq_aa.ksim").path).program)
    let m = Machine(program: p)
    var s = m.initialState()
    var nolog: EventLog? = nil
    var checked = 0
    for _ in 0..<300 {
      let key = StateKey(s)
      #expect(key.state() == s)
      #expect(StateKey(key.state()) == key)
      // Against a baseline (what the explorer uses): only changed globals and tasks are written.
      let base = m.initialState()
      let sparse = StateKey(s, baseline: base)
      #expect(sparse.state(baseline: base) == s)
      #expect(sparse.bytes.count <= key.bytes.count)
      checked += 1
      guard let c = m.enabledChoices(s).last, m.step(&s, c, log: &nolog) == nil else { break }
    }
    #expect(checked > 20)
  }
}
