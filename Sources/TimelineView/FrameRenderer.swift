import KernelSim

/// The pure frame function: (model, view state, size) → grid.
///
/// Layout, top to bottom: a header (scenario, verdict, step k of n, bounds); lane headers, one
/// lane per CPU; one row per step showing which context ran on which CPU (indented by its depth
/// in the CPU's context stack) and the operation with its outcome; a detail pane for the
/// selected step (each CPU's context stack with irq/bh/preempt state, locks held with the call
/// chain that took them, who waits on what, the waits-for cycle at the end); a status line.
public enum FrameRenderer {
  public static func render(_ model: WatchModel, _ state: ViewState, rows: Int, columns: Int) -> Grid {
    var g = Grid(rows: rows, columns: columns)
    guard rows > 0 && columns > 0 else { return g }
    let t = model.timeline
    let n = t.steps.count
    let cursor = max(0, min(state.cursor, n - 1))

    // Header.
    let header = " ksim watch │ \(t.program.name) │ \(model.verdict) │ step \(n == 0 ? 0 : cursor + 1) of \(n) │ \(model.bounds)"
    g.put(String(repeating: " ", count: columns), row: 0, column: 0, style: .header)
    g.put(header, row: 0, column: 0, style: .header)
    if rows == 1 { return g }

    // Status line.
    let statusRow = rows - 1
    var status: String
    if let input = state.searchInput { status = "/" + input + "_   (Enter: find, Esc: cancel)" }
    else if !state.message.isEmpty { status = state.message }
    else { status = "\(state.playing ? "▶ playing │ " : "")\(model.source) │ j/k step  ←/→ cpu  n/N event  / find  space play  ? help  q quit" }
    if statusRow > 0 { g.put(status, row: statusRow, column: 0, style: .dim) }

    // Detail pane height: a third of the screen, or whatever the steps do not need.
    let available = rows - 3
    let detailHeight = rows >= 16 ? max(min(12, max(6, rows / 3)), min(available - 4, available - n - 1)) : 0
    let laneTop = 1
    let firstStepRow = laneTop + 1
    let lastStepRow = rows - 2 - detailHeight
    let visible = max(0, lastStepRow - firstStepRow + 1)

    // Lanes.
    let cpus = max(1, t.program.cpuCount)
    let stepWidth = 5
    let laneWidth = max(1, (columns - stepWidth) / cpus)
    func laneColumn(_ cpu: Int) -> Int { stepWidth + cpu * laneWidth }
    if laneTop < statusRow {
      g.put("step", row: laneTop, column: 0, style: .laneHeader)
      for c in 0..<cpus {
        let label = "│cpu\(c)" + (c == state.focusCPU ? " ◀" : "")
        g.put(label, row: laneTop, column: laneColumn(c), style: c == state.focusCPU ? .focus : .laneHeader, width: laneWidth)
      }
    }

    // Steps, scrolled so the cursor stays in view (centred when possible).
    if visible > 0 && n > 0 {
      let top = max(0, min(cursor - visible / 2, n - visible))
      for row in 0..<visible {
        let i = top + row
        guard i < n else { break }
        let y = firstStepRow + row
        let step = t.steps[i]
        g.put(String(format: "%4d", i + 1), row: y, column: 0, style: .dim)
        for c in 0..<cpus {
          g.put("│", row: y, column: laneColumn(c), style: .dim)
          if c != step.cpu, let top = step.snapshot.cpus[c].contexts.last, top.state == .spinning {
            g.put(" ~ \(top.name) spins", row: y, column: laneColumn(c) + 1, style: .spinning, width: laneWidth - 1)
          }
        }
        let (text, style) = laneText(step)
        g.put(text, row: y, column: laneColumn(step.cpu) + 1, style: style, width: laneWidth - 1)
        if i == cursor { g.style(row: y, from: 0, to: columns, .selected) }
      }
    }

    // Detail pane.
    if detailHeight > 0 && n > 0 {
      let top = rows - 1 - detailHeight
      let lines = wrap(detailLines(model, cursor: cursor, focus: state.focusCPU), width: columns - 1)
      g.put(String(repeating: "─", count: columns), row: top, column: 0, style: .dim)
      g.put("─ step \(cursor + 1): \(t.steps[cursor].choiceText) ", row: top, column: 1, style: .laneHeader)
      for (k, line) in lines.prefix(detailHeight - 1).enumerated() {
        g.put(line.text, row: top + 1 + k, column: 1, style: line.style, width: columns - 1)
      }
    }

    if state.showHelp { drawHelp(&g) }
    return g
  }

  /// The text and colour of the acting lane for a step.
  static func laneText(_ step: TimelineStep) -> (String, Style) {
    guard let main = step.events.first(where: { [.acquired, .spins, .released, .trylockFailed, .sleeps].contains($0.kind) })
            ?? step.events.first else {
      return (step.choiceText, .plain)
    }
    let indent = String(repeating: " ", count: main.depth)
    let who = main.contextName.replacingOccurrences(of: "task ", with: "")
    var text = "\(indent)\(who): \(main.operation)"
    if !main.outcome.isEmpty { text += " → \(main.outcome)" }
    let style: Style
    switch main.kind {
    case .spins: style = main.outcome.contains("sleeps") ? .sleeping : .spinning
    case .sleeps: style = .sleeping
    case .irqEnter, .softirqEnter, .actionStart: style = .interrupted
    default: style = .running
    }
    return (text, style)
  }

  struct Line { var text: String; var style: Style }

  /// Wraps long lines at `width`, continuing with the original indentation plus two spaces.
  static func wrap(_ lines: [Line], width: Int) -> [Line] {
    guard width > 8 else { return lines }
    var out: [Line] = []
    for line in lines {
      var rest = Substring(line.text)
      let indent = String(repeating: " ", count: line.text.prefix { $0 == " " }.count + 2)
      var first = true
      while !rest.isEmpty {
        let room = first ? width : width - indent.count
        var cut = rest.index(rest.startIndex, offsetBy: min(room, rest.count))
        if cut < rest.endIndex, let space = rest[..<cut].lastIndex(of: " "), rest.distance(from: rest.startIndex, to: space) > room / 2 {
          cut = space
        }
        out.append(Line(text: (first ? "" : indent) + rest[..<cut], style: line.style))
        rest = rest[cut...].drop { $0 == " " }
        first = false
      }
    }
    return out
  }

  /// The detail pane: the waits-for cycle at the end, the focused CPU first, then the others,
  /// then sleeping tasks and tasks off the CPUs.
  static func detailLines(_ model: WatchModel, cursor: Int, focus: Int) -> [Line] {
    let t = model.timeline
    let step = t.steps[cursor]
    var out: [Line] = []
    if cursor == t.steps.count - 1 {
      switch t.end {
      case .deadlock(_, let names):
        out.append(Line(text: "DEADLOCK cycle: " + (names + [names.first ?? ""]).joined(separator: " → "), style: .cycle))
      case .bug(let b): out.append(Line(text: "BUG: \(b.message)", style: .cycle))
      case .hang(let d): out.append(Line(text: "HANG: " + d.joined(separator: "; "), style: .cycle))
      case .finished: out.append(Line(text: "all tasks finished", style: .running))
      case .open: break
      }
    }
    let order = [focus] + step.snapshot.cpus.indices.filter { $0 != focus }
    for c in order where c < step.snapshot.cpus.count {
      let cpu = step.snapshot.cpus[c]
      out.append(Line(text: "cpu\(c)" + (cpu.pendingSoftirqs.isEmpty ? "" : "  (softirq pending: \(cpu.pendingSoftirqs.joined(separator: ", ")))"),
                      style: c == focus ? .focus : .laneHeader))
      for (depth, ctx) in cpu.contexts.enumerated() {
        let style: Style
        switch ctx.state {
        case .running: style = .running
        case .spinning: style = .spinning
        case .sleeping: style = .sleeping
        case .interrupted: style = .interrupted
        case .idle: style = .dim
        }
        let indent = String(repeating: "  ", count: depth + 1)
        out.append(Line(text: "\(indent)\(ctx.name) [\(ctx.stateText)] \(ctx.state.rawValue)" + (ctx.chain.isEmpty ? "" : " in \(ctx.chain.joined(separator: " > "))"), style: style))
        if let w = ctx.waiting { out.append(Line(text: "\(indent)  \(w)", style: .spinning)) }
        for h in ctx.holds {
          out.append(Line(text: "\(indent)  holds \(h.lock): \(h.operation)" + (h.location.map { " at \($0.line):\($0.column)" } ?? "") + " in \(h.chain.joined(separator: " > "))", style: .plain))
        }
      }
    }
    for ctx in step.snapshot.asleep {
      out.append(Line(text: "asleep: \(ctx.name)" + (ctx.waiting.map { " — \($0)" } ?? ""), style: .sleeping))
      for h in ctx.holds { out.append(Line(text: "    holds \(h.lock): \(h.operation) in \(h.chain.joined(separator: " > "))", style: .plain)) }
    }
    return out
  }

  static let helpText = [
    "ksim watch - keys",
    "",
    "j / ↓      next step          k / ↑     previous step",
    "PgDn       page down          PgUp      page up",
    "G / End    last step          g / Home  first step",
    "→ / Tab    focus next CPU     ←         focus previous CPU",
    "n          next event on the focused CPU",
    "N          previous event on the focused CPU",
    "/          find a lock or function (Enter)",
    "space      play / pause       ?         this help",
    "q          quit",
    "",
    "any key closes this help",
  ]

  static func drawHelp(_ g: inout Grid) {
    let w = min(g.columns - 2, (helpText.map(\.count).max() ?? 0) + 4)
    let h = min(g.rows - 2, helpText.count + 2)
    guard w > 4 && h > 2 else { return }
    let top = max(1, (g.rows - h) / 2)
    let left = max(1, (g.columns - w) / 2)
    for r in 0..<h {
      g.put(String(repeating: " ", count: w), row: top + r, column: left, style: .help)
    }
    for (k, line) in helpText.prefix(h - 2).enumerated() {
      g.put(line, row: top + 1 + k, column: left + 2, style: .help, width: w - 3)
    }
  }
}
