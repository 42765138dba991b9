import Foundation
import Testing
@testable import KernelSim

@Suite struct LocalLivenessTests {
  /// A local read after the loop stays live through it; the loop counter dies once the loop
  /// is left; a parameter read only at the top is dead after its last read.
  @Test func liveInSetsFollowReadsAndWrites() throws {
    let p = try #require(program("""
      cpus 1;
      spinlock_t a;
      int shared;
      void f(int used_once) {
        int i = 0;
        int keep = used_once;
        spin_lock(&a);
        while (i < 2) { shared = i; i = i + 1; }
        spin_unlock(&a);
        shared = keep;
      }
      task t { f(3); }
      """))
    let f = try #require(p.functions.firstIndex { $0.name == "f" })
    let code = p.functions[f].code
    let live = LocalLiveness(program: p)
    let slot = { (name: String) in p.functions[f].localNames.firstIndex(of: name)! }
    // At spin_lock: `keep` and `i` are read later; `used_once` has been read into `keep`.
    let lockPC = try #require(code.firstIndex { if case .primitive(_, "spin_lock", _, _, _) = $0.op { return true } else { return false } })
    #expect(live.isLive(function: f, pc: lockPC, slot: slot("keep")))
    #expect(live.isLive(function: f, pc: lockPC, slot: slot("i")))
    #expect(!live.isLive(function: f, pc: lockPC, slot: slot("used_once")))
    // At spin_unlock: the loop is over, `i` is dead, `keep` is still to be stored.
    let unlockPC = try #require(code.firstIndex { if case .primitive(_, "spin_unlock", _, _, _) = $0.op { return true } else { return false } })
    #expect(!live.isLive(function: f, pc: unlockPC, slot: slot("i")))
    #expect(live.isLive(function: f, pc: unlockPC, slot: slot("keep")))
  }

  /// A spinning spin_lock_irqsave has already saved `flags`, which spin_unlock_irqrestore reads:
  /// it must stay live at the acquire itself, or two spinners with different saved flags merge.
  @Test func savedFlagsStayLiveAtTheAcquire() throws {
    let p = try #require(program("""
      cpus 1;
      spinlock_t a;
      void f(void) { unsigned long flags; spin_lock_irqsave(&a, flags); spin_unlock_irqrestore(&a, flags); }
      task t { f(); }
      """))
    let f = try #require(p.functions.firstIndex { $0.name == "f" })
    let code = p.functions[f].code
    let live = LocalLiveness(program: p)
    let flags = try #require(p.functions[f].localNames.firstIndex(of: "flags"))
    let acquire = try #require(code.firstIndex { if case .primitive(_, "spin_lock_irqsave", _, _, _) = $0.op { return true } else { return false } })
    #expect(live.isLive(function: f, pc: acquire, slot: flags))
  }

  /// A caller's frame is encoded at the pc it resumes at (after the call): what it reads after
  /// the call stays live while the callee runs, what it read only before is dead.
  @Test func aCallersLocalsAreJudgedAtItsResumePoint() throws {
    let p = try #require(program("""
      cpus 1;
      spinlock_t a;
      int shared;
      void helper(void) { spin_lock(&a); spin_unlock(&a); }
      void f(void) {
        int before = shared;
        int after = before + 1;
        helper();
        shared = after;
      }
      task t { f(); }
      """))
    let f = try #require(p.functions.firstIndex { $0.name == "f" })
    let code = p.functions[f].code
    let live = LocalLiveness(program: p)
    let call = try #require(code.firstIndex { if case .call = $0.op { return true } else { return false } })
    let names = p.functions[f].localNames
    #expect(live.isLive(function: f, pc: call + 1, slot: try #require(names.firstIndex(of: "after"))))
    #expect(!live.isLive(function: f, pc: call + 1, slot: try #require(names.firstIndex(of: "before"))))
  }

  /// Forgetting dead locals merges states and must change no finding: every seed scenario small
  /// enough for a debug build, with and without it.
  @Test(arguments: ["aio_fuse_lockdep_pair", "netfs_freeze_self", "netfs_readers_only", "klist_no_walk_in_hardirq",
                    "rwsem_reader_behind_writer", "wait_event_lost_wakeup", "mutex_unlock_other_task", "klist_hardirq"])
  func sameFindingsWithAndWithout(_ name: String) throws {
    let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path).program)
    let with = Explorer(program: p).run()
    let without = Explorer(program: p, options: ExploreOptions(deadLocals: false)).run()
    #expect(with.statistics.complete && without.statistics.complete)
    #expect(with.findings.map(\.signature) == without.findings.map(\.signature))
    #expect(with.findings.map(\.witness.count) == without.findings.map(\.witness.count))
    #expect(with.statistics.statesStored <= without.statistics.statesStored)
  }

  /// The merge is real on the netfs seed (a loop counter and temporaries in the prelude's paths).
  @Test func netfsStoresFewerStates() throws {
    let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent("Scenarios/netfs_freeze_self.ksim").path).program)
    let with = Explorer(program: p).run()
    let without = Explorer(program: p, options: ExploreOptions(deadLocals: false)).run()
    #expect(with.statistics.statesStored < without.statistics.statesStored)
  }
}

/// Which functions can run: the static analyses skip the others (and answer for them as if
/// they touched and read everything).
@Suite struct ReachableFunctionTests {
  /// A callback passed to call_rcu() is reached through the prelude's indirect call; a function
  /// nobody calls is not, and its locals all count as live, where the same code in a called
  /// function has its dead local found.
  @Test func onlyFunctionsAContextCanRunAreAnalysed() throws {
    let p = try #require(programWithPrelude("""
      scenario "reach";
      cpus 1;
      spinlock_t a;
      int shared;
      struct rcu_head h;
      void cb(struct rcu_head *head) { shared = 1; }
      void called(int x) { shared = x; spin_lock(&a); spin_unlock(&a); }
      void never(int x) { shared = x; spin_lock(&a); spin_unlock(&a); }
      task t on cpu0 { called(2); call_rcu(&h, cb); }
      """))
    let index = { (name: String) in p.functions.firstIndex { $0.name == name } }
    let reachable = p.reachableFunctions(callGraph: p.callGraph())
    let cb = try #require(index("cb")), called = try #require(index("called")), never = try #require(index("never"))
    #expect(reachable[cb] && reachable[called])
    #expect(!reachable[never])
    #expect(reachable.contains(false) && reachable.filter { $0 }.count < reachable.count / 2, "most of the prelude is unused here")

    let live = LocalLiveness(program: p)
    func lockPC(_ f: Int) throws -> Int {
      try #require(p.functions[f].code.firstIndex { if case .primitive(_, "spin_lock", _, _, _) = $0.op { return true } else { return false } })
    }
    #expect(!live.isLive(function: called, pc: try lockPC(called), slot: 0))
    #expect(live.isLive(function: never, pc: try lockPC(never), slot: 0))
  }
}
