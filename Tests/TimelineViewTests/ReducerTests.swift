import KernelSim
import Testing
import TimelineView

@Suite struct ReducerTests {
  let t = klistModel.timeline  // 6 steps, 1 CPU
  func reduce(_ s: ViewState, _ keys: [Key]) -> ViewState {
    keys.reduce(s) { ViewReducer.reduce($0, $1, timeline: t, pageSize: 3) }
  }

  @Test func stepKeysMoveAndStopAtTheEnds() {
    var s = ViewState()
    s = reduce(s, [.down, .character("j")])
    #expect(s.cursor == 2)
    s = reduce(s, [.up, .character("k"), .up, .up])
    #expect(s.cursor == 0, "no scrolling past the start")
    s = reduce(s, Array(repeating: .down, count: 20))
    #expect(s.cursor == 5, "no scrolling past the end")
  }

  @Test func pageKeysMoveByAPage() {
    var s = reduce(ViewState(), [.pageDown])
    #expect(s.cursor == 3)
    s = reduce(s, [.pageDown, .pageDown])
    #expect(s.cursor == 5)
    s = reduce(s, [.pageUp])
    #expect(s.cursor == 2)
    s = reduce(s, [.pageUp, .pageUp])
    #expect(s.cursor == 0)
  }

  @Test func homeAndEnd() {
    #expect(reduce(ViewState(), [.end]).cursor == 5)
    #expect(reduce(ViewState(), [.character("G")]).cursor == 5)
    #expect(reduce(ViewState(), [.end, .home]).cursor == 0)
    #expect(reduce(ViewState(), [.end, .character("g")]).cursor == 0)
  }

  @Test func focusCyclesOverCPUs() {
    let two = abbaModel.timeline
    var s = ViewState()
    s = ViewReducer.reduce(s, .right, timeline: two, pageSize: 3)
    #expect(s.focusCPU == 1)
    s = ViewReducer.reduce(s, .tab, timeline: two, pageSize: 3)
    #expect(s.focusCPU == 0)
    s = ViewReducer.reduce(s, .left, timeline: two, pageSize: 3)
    #expect(s.focusCPU == 1)
    // n / N: next and previous step on the focused CPU.
    let firstOnCPU1 = two.steps.firstIndex { $0.cpu == 1 }!
    s = ViewReducer.reduce(s, .character("n"), timeline: two, pageSize: 3)
    #expect(s.cursor == firstOnCPU1)
    let before = s.cursor
    s = ViewReducer.reduce(s, .character("N"), timeline: two, pageSize: 3)
    #expect(s.cursor == before, "no earlier event on cpu1: stays")
    #expect(s.message.contains("no earlier event"))
  }

  @Test func searchFindsALockOrFunction() {
    var s = reduce(ViewState(), [.character("/")])
    #expect(s.searchInput == "")
    s = reduce(s, "klist_next".map { Key.character($0) } + [.enter])
    #expect(s.searchInput == nil)
    #expect(s.cursor == 5, "the step whose call chain reaches klist_next")
    s = reduce(s, [.search] + "nosuch".map { Key.character($0) } + [.backspace, .enter])
    #expect(s.message.contains("not found"))
    s = reduce(s, [.search, .character("x"), .escape])
    #expect(s.searchInput == nil)
  }

  @Test func spacePlaysAndTicksAdvanceUntilTheEnd() {
    var s = reduce(ViewState(), [.space])
    #expect(s.playing)
    s = reduce(s, Array(repeating: .tick, count: 10))
    #expect(s.cursor == 5)
    #expect(!s.playing, "stops at the end")
    s = reduce(s, [.space])
    #expect(s.playing && s.cursor == 0, "playing from the end restarts")
    s = reduce(s, [.character(" ")])
    #expect(!s.playing)
    #expect(reduce(ViewState(), [.tick]).cursor == 0, "ticks do nothing when paused")
  }

  @Test func helpOpensAndAnyKeyClosesIt() {
    var s = reduce(ViewState(), [.character("?")])
    #expect(s.showHelp)
    s = reduce(s, [.down])
    #expect(!s.showHelp && s.cursor == 0, "the key only closes the help")
    s = reduce(s, [.help, .character("q")])
    #expect(s.quit)
  }

  @Test func quitAndResize() {
    #expect(reduce(ViewState(), [.quit]).quit)
    #expect(reduce(ViewState(), [.character("q")]).quit)
    var s = ViewState()
    s.cursor = 3
    #expect(reduce(s, [.resize]).cursor == 3)
  }
}
