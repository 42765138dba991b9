import Foundation
import KernelSim
import Testing
import TimelineView

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The klist seed's first deadlock witness as a watch model (deterministic).
let klistModel: WatchModel = model("Scenarios/klist_hardirq.ksim")

func model(_ path: String) -> WatchModel {
  let loaded = Frontend.load(path: repositoryRoot.appendingPathComponent(path).path)
  let program = loaded.program!
  let result = Explorer(program: program).run()
  let machine = Machine(program: program)
  let t = try! TimelineBuilder(machine: machine).build(result.deadlocks[0].witness.map { ($0, Int?.none) }).get()
  return WatchModel(timeline: t, verdict: Verdict(result).outcome.rawValue, bounds: boundsDescription(program, ExploreOptions()),
                    source: "first deadlock's witness")
}

/// Compares a frame with `Snapshots/<name>.txt`. The file is written when missing (or with
/// RECORD_SNAPSHOTS=1) outside CI; in CI a missing snapshot fails.
func assertSnapshot(_ grid: Grid, named name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  let url = repositoryRoot.appendingPathComponent("Tests/TimelineViewTests/Snapshots/\(name).txt")
  let text = grid.lines.joined(separator: "\n") + "\n"
  let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil
  if let existing = try? String(contentsOf: url, encoding: .utf8), !record {
    #expect(existing == text, "frame \(name) differs from its snapshot:\n\(text)", sourceLocation: sourceLocation)
    return
  }
  if ProcessInfo.processInfo.environment["CI"] != nil && !record {
    Issue.record("snapshot \(name) is missing", sourceLocation: sourceLocation)
    return
  }
  try? text.write(to: url, atomically: true, encoding: .utf8)
}

/// A 2-CPU witness (ABBA on two spinlocks), small enough to explore in a test.
let abbaModel: WatchModel = {
  let text = """
    scenario "abba"; cpus 2; spinlock_t a; spinlock_t b;
    task x on cpu0 { spin_lock(&a); spin_lock(&b); spin_unlock(&b); spin_unlock(&a); }
    task y on cpu1 { spin_lock(&b); spin_lock(&a); spin_unlock(&a); spin_unlock(&b); }
    expect deadlock;
    """
  let program = Frontend.load(text: text, path: "abba.ksim").program!
  let result = Explorer(program: program).run()
  let t = try! TimelineBuilder(machine: Machine(program: program)).build(result.deadlocks[0].witness.map { ($0, Int?.none) }).get()
  return WatchModel(timeline: t, verdict: "DEADLOCK", bounds: "", source: "")
}()
