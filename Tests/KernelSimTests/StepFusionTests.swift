import Foundation
import Testing
@testable import KernelSim

/// Enabling CPU-local operations run inside the step before them (`Machine.fusesIntoStep`).
@Suite struct StepFusionTests {
  /// local_irq_restore() that turns interrupts off is not fused: the state just before it,
  /// with interrupts on and x == 1, is where the handler can see x == 1.
  @Test func aDisablingRestoreKeepsTheStateBeforeIt() throws {
    let r = try #require(explore("""
      cpus 1;
      int x;
      void handler(void) { BUG_ON(x == 1); }
      task t on cpu0 {
        unsigned long f;
        local_irq_disable();
        local_irq_save(f);
        local_irq_enable();
        x = 1;
        local_irq_restore(f);
        x = 0;
        local_irq_enable();
      }
      irq dev on cpu0 => handler;
      expect bug;
      """))
    #expect(r.bugs.count == 1)
  }

  /// The enabling operations are fused: a task that only stores and re-enables takes fewer
  /// steps, with the same outcome.
  @Test func enablingOperationsShortenTheSearch() throws {
    let text = """
      cpus 1;
      int x;
      void handler(void) { BUG_ON(x == 1); }
      task t on cpu0 { local_irq_disable(); x = 1; x = 0; local_irq_enable(); preempt_disable(); x = 2; preempt_enable(); }
      irq dev on cpu0 => handler;
      expect no deadlock;
      """
    let p = try #require(program(text))
    let fused = Explorer(program: p).run()
    var options = ExploreOptions()
    options.fuseEnables = false
    let plain = Explorer(program: p, options: options).run()
    #expect(fused.bugs.isEmpty && plain.bugs.isEmpty)
    #expect(fused.statistics.statesStored < plain.statistics.statesStored)
  }

  /// Fusing changes no finding on the seeds small enough for a debug build (witnesses may be
  /// shorter: fewer steps).
  @Test(arguments: ["aio_fuse_lockdep_pair", "aio_fuse_softirq_aa", "netfs_freeze_self", "netfs_readers_only",
                    "klist_no_walk_in_hardirq", "rwsem_reader_behind_writer", "wait_event_lost_wakeup",
                    "mutex_abba_one_cpu", "flush_work_under_mutex", "flush_work_outside_mutex"])
  func sameFindingsWithAndWithout(_ name: String) throws {
    let p = try #require(Frontend.load(path: repositoryRoot.appendingPathComponent("Scenarios/\(name).ksim").path).program)
    let fused = Explorer(program: p).run()
    var options = ExploreOptions()
    options.fuseEnables = false
    let plain = Explorer(program: p, options: options).run()
    #expect(fused.statistics.complete && plain.statistics.complete)
    #expect(fused.findings.map(\.signature) == plain.findings.map(\.signature))
    #expect(fused.statistics.statesStored <= plain.statistics.statesStored)
  }
}
