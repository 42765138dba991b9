import ArgumentParser
import Foundation
import KernelSim
import TimelineView

extension Ksim {
  struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Watch a run in a terminal timeline: CPUs side by side, contexts stacked, locks held and awaited, the cycle at the end.",
      discussion: "Without --trace it explores and shows the first deadlock's witness (or, when there is none, a default run to completion). Without a terminal it prints the same timeline as text.")

    @Argument(help: "The scenario file (.ksim).")
    var file: String

    @Option(help: "A trace to show instead of exploring.")
    var trace: String?

    @Option(name: .customLong("irq-bound"), parsing: .unconditional, help: "Firings per interrupt source.")
    var irqBound: Int?

    func validate() throws {
      if let b = irqBound, b < 0 { throw ValidationError("--irq-bound must be ≥ 0") }
    }

    func run() throws {
      let (programs, failed) = loadScenarios([file])
      guard !failed, let program = programs.first else { throw Status.badInput }
      let model = try buildModel(program)
      guard let screen = Screen.start() else {
        // No terminal: the same timeline as text (what `ksim replay` prints).
        print("\(model.source)")
        print(TextReport.timeline(model.timeline), terminator: "")
        return
      }
      defer { screen.stop() }
      var state = ViewState()
      state.cursor = 0
      while !state.quit {
        let (rows, columns) = screen.size
        screen.draw(FrameRenderer.render(model, state, rows: rows, columns: columns))
        let key = screen.readKey(milliseconds: state.playing ? 300 : 1000) ?? (state.playing ? .tick : nil)
        guard let key else { continue }
        let page = max(1, rows - 16)
        state = ViewReducer.reduce(state, key, timeline: model.timeline, pageSize: page)
      }
    }

    func buildModel(_ program: Program) throws -> WatchModel {
      let options = ExploreOptions(irqBound: irqBound)
      let bounds = boundsDescription(program, options)
      if let trace {
        let t = try replayTrace(trace, program: program, irqBound: irqBound)
        return WatchModel(timeline: t, verdict: verdictWord(t.end), bounds: bounds, source: "trace \(trace)")
      }
      let result = Explorer(program: program, options: options).run()
      let machine = Machine(program: program, irqBound: irqBound)
      let builder = TimelineBuilder(machine: machine)
      if let f = result.deadlocks.first ?? result.hangs.first ?? result.bugs.first,
         case .success(let t) = builder.build(f.witness.map { ($0, Int?.none) }) {
        let what = f.kind == .deadlock ? "first deadlock's witness (\(result.deadlocks.count) found)" : "first \(f.kind.rawValue)'s witness"
        return WatchModel(timeline: t, verdict: Verdict(result).outcome.rawValue, bounds: bounds, source: what)
      }
      // No finding: a default run to completion (always the first enabled choice).
      var s = machine.initialState()
      var schedule: [(Choice, Int?)] = []
      var nolog: EventLog? = nil
      for _ in 0..<10_000 {
        guard let c = machine.enabledChoices(s).first else { break }
        schedule.append((c, nil))
        if machine.step(&s, c, log: &nolog) != nil { break }
      }
      let t = (try? builder.build(schedule).get()) ?? Timeline(program: program, steps: [], end: .open)
      return WatchModel(timeline: t, verdict: Verdict(result).outcome.rawValue, bounds: bounds,
                        source: "no deadlock found: a default run to completion")
    }

    func verdictWord(_ end: Timeline.End) -> String {
      switch end {
      case .deadlock: return "DEADLOCK"
      case .bug: return "BUG"
      case .hang: return "HANG"
      case .finished: return "finished"
      case .open: return "trace"
      }
    }
  }
}
