import Foundation
import Testing
@testable import KernelSim

/// Loads scenario text; fails the test (at the caller) on errors.
func program(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Program? {
  let loaded = Frontend.load(text: text, path: "test.ksim")
  let errors = loaded.diagnostics.filter { $0.severity == .error }
  #expect(errors.isEmpty, "unexpected diagnostics: \(errors.map(\.description))", sourceLocation: sourceLocation)
  return loaded.program
}

/// The kernel prelude shipped in Scenarios/prelude.
let preludeFiles = Frontend.preludeFiles(repositoryRoot.appendingPathComponent("Scenarios/prelude").path)

/// Loads scenario text on top of the kernel prelude.
func programWithPrelude(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Program? {
  let loaded = Frontend.load(text: text, path: "test.ksim", preludes: preludeFiles)
  let errors = loaded.diagnostics.filter { $0.severity == .error }
  #expect(errors.isEmpty, "unexpected diagnostics: \(errors.map(\.description))", sourceLocation: sourceLocation)
  return loaded.program
}

/// Explores scenario text on top of the prelude.
func exploreWithPrelude(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ExplorationResult? {
  guard let p = programWithPrelude(text, sourceLocation: sourceLocation) else { return nil }
  return Explorer(program: p).run()
}

/// The diagnostics of scenario text.
func diagnostics(_ text: String) -> [Diagnostic] {
  Frontend.load(text: text, path: "test.ksim").diagnostics
}

/// Explores scenario text with default options.
func explore(_ text: String, irqBound: Int? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ExplorationResult? {
  guard let p = program(text, sourceLocation: sourceLocation) else { return nil }
  return Explorer(program: p, options: ExploreOptions(irqBound: irqBound)).run()
}

/// Runs the scenario taking the first enabled choice that is not an interrupt, until nothing is
/// left; returns every state, the initial one first. One visible operation per step: enabling
/// operations are not fused into the step before them, so each primitive's effect is its own
/// state (StepFusionTests cover the fusion).
func soloRun(_ p: Program, maxSteps: Int = 200) -> (states: [MachineState], bug: KernelSim.Bug?) {
  let m = Machine(program: p, irqBound: nil, preemptions: nil, fusesEnables: false)
  var s = m.initialState()
  var states = [s]
  var log: EventLog? = nil
  for _ in 0..<maxSteps {
    guard let c = m.enabledChoices(s).first(where: { if case .irq = $0 { return false } else { return true } }) else { break }
    if let b = m.step(&s, c, log: &log) { return (states, b) }
    states.append(s)
  }
  return (states, nil)
}

/// The repository root (for scenario files), found from this source file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Test-only `SourceLocation` of KernelSim is shadowed by Testing's; name ours explicitly.
typealias KLocation = KernelSim.SourceLocation

/// A seeded generator for randomised tests (Knuth's MMIX LCG): the same seed gives the same
/// sequence on every run and machine, so a failure replays.
struct TestRandom {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  /// A value in `0..<bound`.
  mutating func next(_ bound: Int) -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int(state >> 33) % bound
  }
}
