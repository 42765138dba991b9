import Testing
@testable import KernelSim

/// Values a scenario computes can be anything a 64-bit integer holds. Where the kernel's own
/// counter or field would overflow, ksim reports a bug; where the kernel wraps, it wraps;
/// nothing a scenario does may crash ksim (these all trapped in Swift arithmetic once).
@Suite struct ArithmeticLimitsTests {
  /// Runs `body` as the only task; the bug it ends in, if any.
  func run(_ body: String, globals: String = "int g; int h;") -> KernelSim.Bug? {
    guard let p = program("cpus 1;\n\(globals)\ntask t on cpu0 { \(body) }\nexpect no deadlock;") else { return nil }
    return soloRun(p, maxSteps: 2000).bug
  }

  @Test func nestedPreemptDisableOverflowsAtDebugPreemptsLimit() throws {
    let b = try #require(run("int i = 0; while (i < 300) { preempt_disable(); i = i + 1; }"))
    #expect(b.kind == .unbalancedState && b.message.contains("preempt count overflowing: 245"))
  }

  @Test func nestedSpinlocksCountTowardsTheSameLimit() throws {
    let locks = (0..<250).map { "l\($0)" }
    let b = try #require(run(locks.map { "spin_lock(&\($0));" }.joined(separator: " "),
                             globals: "spinlock_t \(locks.joined(separator: ", "));"))
    #expect(b.kind == .unbalancedState && b.message.contains("preempt count overflowing"))
  }

  @Test func nestedBhDisableOverflowsTheSoftirqBits() throws {
    let b = try #require(run("int i = 0; while (i < 200) { local_bh_disable(); i = i + 1; }"))
    #expect(b.kind == .unbalancedState && b.message.contains("more than 127 nested local_bh_disable()"))
  }

  @Test func nestedRcuReadLockStopsAtWhatKsimCounts() throws {
    let b = try #require(run("int i = 0; while (i < 200) { rcu_read_lock(); i = i + 1; }"))
    #expect(b.kind == .unbalancedState && b.message.contains("rcu_read_lock() nested 127 deep"))
  }

  @Test func atomicsWrapAsTheKernelsDo() throws {
    let p = try #require(program("""
      cpus 1;
      int g; int h;
      task t on cpu0 { g = 9223372036854775807; atomic_inc(&g); h = -9223372036854775807 - 1; atomic_dec(&h); }
      expect no deadlock;
      """))
    let run = soloRun(p)
    #expect(run.bug == nil)
    let s = try #require(run.states.last)
    let g = try #require(p.globals.firstIndex { $0.name == "g" })
    let h = try #require(p.globals.firstIndex { $0.name == "h" })
    #expect(s.globals[g] == Int.min && s.globals[h] == Int.max)
  }

  @Test func divisionOfTheMostNegativeValueByMinusOneIsABug() throws {
    let div = try #require(run("g = -9223372036854775807 - 1; h = g / -1;"))
    #expect(div.kind == .assertion && div.message.hasSuffix("division overflow (\(Int.min) / -1)"))
    let mod = try #require(run("g = -9223372036854775807 - 1; h = g % -1;"))
    #expect(mod.message.hasSuffix("division overflow (\(Int.min) % -1)"))
    #expect(run("g = -9223372036854775807 - 1; h = -g;") == nil)
  }

  @Test func wildPointersToCallRcuAndListsAreBugs() throws {
    let p = try #require(programWithPrelude("""
      scenario "wild";
      cpus 1;
      struct holder { struct list_head l; };
      struct holder x;
      task a on cpu0 { __call_rcu_enqueue(1099511627776); }
      task b on cpu0 { list_add_tail(1099511627776, &x.l); }
      task c on cpu0 { set_current_state(1099511627776); set_current_state(0); }
      """))
    let r = Explorer(program: p).run()
    let messages = r.findings.compactMap(\.bug).map(\.message)
    #expect(messages.contains { $0.hasSuffix("call_rcu() on a bad pointer (1099511627776)") }, "\(messages)")
    #expect(messages.contains { $0.hasSuffix("list_add_tail: a bad pointer (1099511627776)") }, "\(messages)")
    #expect(messages.count == 2, "set_current_state() of a wide value is no bug: \(messages)")
  }
}
