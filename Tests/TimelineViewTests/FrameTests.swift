import Foundation
import KernelSim
import Testing
import TimelineView

@Suite struct FrameTests {
  func state(cursor: Int, focus: Int = 0, help: Bool = false) -> ViewState {
    var s = ViewState()
    s.cursor = cursor
    s.focusCPU = focus
    s.showHelp = help
    return s
  }

  @Test func klistDeadlockAt80x24FirstStep() {
    let g = FrameRenderer.render(klistModel, state(cursor: 0), rows: 24, columns: 80)
    #expect(g.lines[0].hasPrefix(" ksim watch │ klist_hardirq │ DEADLOCK │ step 1 of 6"))
    #expect(g.lines[1].contains("cpu0"))
    assertSnapshot(g, named: "klist_80x24_first")
  }

  @Test func klistDeadlockAt80x24FinalStepShowsTheCycleAndTheDetail() {
    let g = FrameRenderer.render(klistModel, state(cursor: 5), rows: 24, columns: 80)
    let text = g.lines.joined(separator: "\n")
    #expect(text.contains("step 6 of 6"))
    let joined = g.lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    #expect(joined.contains("DEADLOCK cycle: task pci_hotplug on cpu0 → hardirq dmar on cpu0 → task pci_hotplug on cpu0"))
    #expect(text.contains("holds pci_bus_klist.k_lock: spin_lock(&pci_bus_klist.k_lock) at 17:3"))
    #expect(text.contains("spins on pci_bus_klist.k_lock (held by task pci_hotplug on cpu0)"))
    #expect(text.contains("[irqs off, bh on, preempt 1]"))
    // The cycle line is drawn in the cycle style.
    let row = g.lines.firstIndex { $0.contains("DEADLOCK cycle") }!
    #expect(g[row, 2].style == .cycle)
    assertSnapshot(g, named: "klist_80x24_final")
  }

  /// A flush_work() deadlock: the flusher is asleep holding nothing the view would list it
  /// for but the mutex; the detail pane must say whom it waits for.
  @Test func flushWorkDeadlockShowsWhomTheFlusherWaitsFor() {
    let m = model("Scenarios/flush_work_under_mutex.ksim")
    let g = FrameRenderer.render(m, state(cursor: m.timeline.steps.count - 1), rows: 60, columns: 160)
    let text = g.lines.joined(separator: "\n")
    #expect(text.contains("sleeps until task kworker/1 finishes (dev0.work.running)"), "\(text)")
  }

  @Test func wideFrame() {
    let g = FrameRenderer.render(klistModel, state(cursor: 2), rows: 40, columns: 160)
    #expect(g.lines.count == 40)
    #expect(g.lines.allSatisfy { $0.count <= 160 })
    assertSnapshot(g, named: "klist_160x40_step3")
  }

  @Test func helpOverlay() {
    let g = FrameRenderer.render(klistModel, state(cursor: 0, help: true), rows: 24, columns: 80)
    let text = g.lines.joined(separator: "\n")
    #expect(text.contains("ksim watch - keys"))
    #expect(text.contains("n          next event on the focused CPU"))
    assertSnapshot(g, named: "klist_80x24_help")
  }

  @Test(arguments: [(5, 20), (1, 1), (2, 10), (3, 80), (24, 12), (0, 0)])
  func tinyTerminalsDoNotCrash(rows: Int, columns: Int) {
    for cursor in [0, 3, 5] {
      let g = FrameRenderer.render(klistModel, state(cursor: cursor, help: true), rows: rows, columns: columns)
      #expect(g.cells.count == max(0, rows) * max(0, columns))
    }
  }

  @Test func longNamesAreClippedToTheLane() {
    let g = FrameRenderer.render(klistModel, state(cursor: 5), rows: 24, columns: 40)
    #expect(g.lines.allSatisfy { $0.count <= 40 })
    #expect(g.lines.contains { $0.contains("pci_hotplug") })
  }

  @Test func selectedRowIsHighlightedAndFocusMarked() {
    let g = FrameRenderer.render(klistModel, state(cursor: 1), rows: 24, columns: 80)
    let row = g.lines.firstIndex { $0.hasPrefix("   2 ") }!
    #expect(g[row, 0].style == .selected)
    #expect(g.lines[1].contains("cpu0 ◀"))
  }

  @Test func nonPrintableCharactersAreSanitised() {
    var g = Grid(rows: 1, columns: 6)
    g.put("a\u{7}中😀b", row: 0, column: 0, style: .plain)
    #expect(g.lines[0] == "a???b")
  }
}
