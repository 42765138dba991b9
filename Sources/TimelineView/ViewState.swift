import KernelSim

/// Keys the viewer understands, already decoded from the terminal.
public enum Key: Sendable, Hashable {
  case up, down, pageUp, pageDown, home, end, left, right, tab
  case nextEvent, previousEvent, search, space, help, quit, enter, escape, backspace
  case character(Character)
  /// A timer tick while playing (the main loop sends it when no key arrived).
  case tick
  case resize
}

/// Everything the viewer remembers between frames. A value; the reducer makes the next one.
public struct ViewState: Sendable, Hashable {
  /// The selected step (0-based index into the timeline's steps).
  public var cursor = 0
  /// The CPU lane with focus (n/N move along its events; the detail pane starts with it).
  public var focusCPU = 0
  public var playing = false
  public var showHelp = false
  /// Search text while `/` is being typed; nil otherwise.
  public var searchInput: String?
  public var lastSearch = ""
  public var message = ""
  public var quit = false

  public init() {}
}

/// The pure key reducer: (view state, key) → view state. Never moves past either end.
public enum ViewReducer {
  public static func reduce(_ state: ViewState, _ key: Key, timeline: Timeline, pageSize: Int) -> ViewState {
    var s = state
    let n = timeline.steps.count
    let last = max(0, n - 1)
    let cpus = max(1, timeline.program.cpuCount)
    if var input = s.searchInput {
      switch key {
      case .enter:
        s.searchInput = nil
        s.lastSearch = input
        if let hit = find(input, in: timeline, after: s.cursor) {
          s.cursor = hit
          s.message = "found '\(input)' at step \(hit + 1)"
        } else {
          s.message = "'\(input)' not found"
        }
      case .escape: s.searchInput = nil; s.message = ""
      case .backspace: if !input.isEmpty { input.removeLast() }; s.searchInput = input
      case .character(let c): input.append(c); s.searchInput = input
      default: break
      }
      return s
    }
    if s.showHelp, key != .tick, key != .resize {
      s.showHelp = false
      if key != .quit && key != .character("q") { return s }
    }
    s.message = ""
    switch key {
    case .down, .character("j"): s.cursor = min(last, s.cursor + 1)
    case .up, .character("k"): s.cursor = max(0, s.cursor - 1)
    case .pageDown: s.cursor = min(last, s.cursor + max(1, pageSize))
    case .pageUp: s.cursor = max(0, s.cursor - max(1, pageSize))
    case .home, .character("g"): s.cursor = 0
    case .end, .character("G"): s.cursor = last
    case .right, .tab: s.focusCPU = (s.focusCPU + 1) % cpus
    case .left: s.focusCPU = (s.focusCPU + cpus - 1) % cpus
    case .nextEvent, .character("n"):
      if let i = timeline.steps.indices.first(where: { $0 > s.cursor && timeline.steps[$0].cpu == s.focusCPU }) { s.cursor = i } else {
        s.message = "no later event on cpu\(s.focusCPU)"
      }
    case .previousEvent, .character("N"):
      if let i = timeline.steps.indices.last(where: { $0 < s.cursor && timeline.steps[$0].cpu == s.focusCPU }) { s.cursor = i } else {
        s.message = "no earlier event on cpu\(s.focusCPU)"
      }
    case .search, .character("/"): s.searchInput = ""
    case .space, .character(" "):
      s.playing.toggle()
      if s.playing && s.cursor >= last { s.cursor = 0 }
    case .tick:
      if s.playing {
        if s.cursor < last { s.cursor += 1 } else { s.playing = false }
      }
    case .help, .character("?"): s.showHelp = true
    case .quit, .character("q"): s.quit = true
    default: break
    }
    s.cursor = max(0, min(s.cursor, last))
    return s
  }

  /// The first step after `after` (wrapping) whose context, operation, outcome or call chain
  /// mentions `text` (a lock or function name).
  static func find(_ text: String, in t: Timeline, after: Int) -> Int? {
    guard !text.isEmpty, !t.steps.isEmpty else { return nil }
    let n = t.steps.count
    for k in 1...n {
      let i = (after + k) % n
      let hit = t.steps[i].events.contains { e in
        e.operation.contains(text) || e.outcome.contains(text) || e.contextName.contains(text) || e.chain.contains { $0.contains(text) }
      }
      if hit { return i }
    }
    return nil
  }
}
