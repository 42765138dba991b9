import Testing
@testable import KernelSim

/// The targets `make bench` reports on: each is checked against its bound, and only when its
/// scenarios were measured.
@Suite struct BenchTargetsTests {
  func row(_ name: String, seed: Bool = false, complete: Bool = true, seconds: Double = 0.1, rate: Double = 80_000, bytes: Int = 88,
           ratio: Double? = 22.5, agree: Bool? = true) -> BenchTargets.Row {
    BenchTargets.Row(scenario: name, isSeed: seed, complete: complete, seconds: seconds, statesPerSecond: rate, storedBytesPerState: bytes,
                     reductionRatio: ratio, findingsAgree: agree)
  }

  @Test func spinRingTargetsAgainstTheirBounds() {
    let checks = BenchTargets.check([row("spin_ring_4_fixed"), row("spin_ring_5_fixed")])
    #expect(checks.map(\.met) == [false, true, true])
    #expect(checks[0].line == "spin_ring_5_fixed states per second (at least 1,000,000): 80000: NOT MET")
    let fast = BenchTargets.check([row("spin_ring_5_buggy", rate: 1_200_000, bytes: 101, ratio: 9.9)])
    #expect(fast.map(\.met) == [true, false, false])
    // A reduction that changes the findings meets nothing, whatever its ratio.
    let wrong = BenchTargets.check([row("spin_ring_5_fixed", agree: false)])
    #expect(!wrong[2].met && wrong[2].measured == "22.50x, findings differ")
  }

  @Test func everySeedUnderASecond() {
    let slow = BenchTargets.check([row("a", seed: true, seconds: 0.4), row("b", seed: true, seconds: 2.31), row("spin", seconds: 9)])
    #expect(slow == [BenchTargets.Check(target: "seed scenarios explored in under 1 s", measured: "1 of 2; slowest b 2.31 s", met: false)])
    #expect(BenchTargets.check([row("a", seed: true, seconds: 0.99)]).map(\.met) == [true])
    #expect(BenchTargets.check([row("mutex_ring_5_fixed")]).isEmpty)
  }

  /// A run stopped early (Ctrl-C, a limit) meets no target: a fast seed that never reached its
  /// verdict is not "explored in under 1 s", and with either search cut short there is no
  /// ratio or comparison to judge.
  @Test func aRunStoppedEarlyMeetsNoTarget() {
    let seeds = BenchTargets.check([row("a", seed: true, seconds: 0.4), row("b", seed: true, complete: false, seconds: 0.2)])
    #expect(seeds.map(\.met) == [false])
    #expect(seeds[0].measured == "1 of 2; slowest a 0.40 s")
    let ring = BenchTargets.check([row("spin_ring_5_fixed", complete: false, rate: 2_000_000, bytes: 50, ratio: nil, agree: nil)])
    #expect(ring.map(\.met) == [false, false, false])
    #expect(ring[0].measured == "2000000 (stopped early)")
    #expect(ring[2].measured == "not compared (a search stopped early)")
    // The reference search cut short: the measured run's own targets still count.
    let reference = BenchTargets.check([row("spin_ring_5_fixed", rate: 2_000_000, bytes: 50, ratio: nil, agree: nil)])
    #expect(reference.map(\.met) == [true, true, false])
  }
}
