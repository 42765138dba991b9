import Testing
@testable import KernelSim

/// Partial-order reduction checked against the plain search on generated scenarios: the same
/// verdict and the same set of findings (deadlock cycles, bugs, hangs). `make differential`
/// runs many more seeds in release mode.
@Suite struct DifferentialTests {
  static let seeds: ClosedRange<UInt64> = 1...300

  @Test func reductionAgreesWithThePlainSearch() {
    let generator = ScenarioGenerator()
    var reducedStates = 0, fullStates = 0, withFindings = 0, skipped = 0
    for seed in DifferentialTests.seeds {
      let text = generator.scenario(seed: seed)
      let loaded = Frontend.load(text: text, path: "generated-\(seed).ksim")
      let errors = loaded.diagnostics.filter { $0.severity == .error }
      guard let p = loaded.program, errors.isEmpty else {
        Issue.record("seed \(seed) does not compile: \(errors.map(\.description))\n\(text)")
        continue
      }
      // Debug builds are slow: cases whose plain search passes 3000 states are left to
      // `make differential`.
      guard let o = DifferentialCheck().run(p, options: ExploreOptions(maxStates: 3000)) else { skipped += 1; continue }
      #expect(o.agree, "seed \(seed): \(o.differences)\n\(text)")
      reducedStates += o.reduced.statistics.statesStored
      fullStates += o.full.statistics.statesStored
      if !o.full.findings.isEmpty { withFindings += 1 }
    }
    // The comparison means something only if reduction removed states and the scenarios found
    // things to compare.
    #expect(reducedStates < fullStates)
    #expect(withFindings > 30)
    #expect(skipped < 100, "most generated cases must be small enough to compare here")
  }

  @Test func generatorIsDeterministicPerSeed() {
    let g = ScenarioGenerator()
    #expect(g.scenario(seed: 42) == g.scenario(seed: 42))
    #expect(g.scenario(seed: 42) != g.scenario(seed: 43))
  }

  @Test func generatedScenariosProduceEveryKindOfVerdict() {
    let g = ScenarioGenerator()
    var kinds = Set<Finding.Kind>()
    var clean = 0
    for seed in UInt64(1)...120 {
      guard let p = Frontend.load(text: g.scenario(seed: seed), path: "g.ksim").program else { continue }
      let r = Explorer(program: p, options: ExploreOptions(reduction: false)).run()
      kinds.formUnion(r.findings.map(\.kind))
      if r.findings.isEmpty { clean += 1 }
    }
    #expect(kinds.contains(.deadlock))
    #expect(kinds.contains(.bug))
    #expect(clean > 0)
  }
}
