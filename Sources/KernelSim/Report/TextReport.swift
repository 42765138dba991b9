import Foundation

/// Human-readable reports: the verdict line, lockdep-style deadlock accounts, timelines.
public enum TextReport {
  /// One line per scenario for the summary table.
  public static func verdictLine(_ r: ExplorationResult, nameWidth: Int = 28, timing: Bool) -> String {
    let v = Verdict(r)
    let name = r.program.name.padding(toLength: max(nameWidth, r.program.name.count), withPad: " ", startingAt: 0)
    let verdict = v.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
    let n = r.statistics.statesStored
    let count = String(repeating: " ", count: max(0, 9 - String(n).count)) + "\(n) state\(n == 1 ? " " : "s")"
    var line = "\(name)  \(verdict)  \(v.check.padding(toLength: 11, withPad: " ", startingAt: 0))  \(count)  [\(boundsDescription(r.program, r.options))]"
    if v.matches != true, let e = v.expected { line += "  expected \(e)" }
    if !r.statistics.complete { line += "  (\(r.statistics.stopReason ?? "stopped early"))" }
    if timing { line += String(format: "  %.2fs", r.statistics.seconds) }
    return line
  }

  /// The full report of one exploration: verdict, bounds, statistics and every finding.
  public static func exploration(_ r: ExplorationResult, timing: Bool) -> String {
    let v = Verdict(r)
    let p = r.program
    var out = "== \(p.name): \(p.title)\n"
    out += "verdict: \(v.outcome.rawValue)"
    if !r.findings.isEmpty {
      out += " (\(r.deadlocks.count) deadlock\(r.deadlocks.count == 1 ? "" : "s"), \(r.hangs.count) hang\(r.hangs.count == 1 ? "" : "s"), \(r.bugs.count) bug\(r.bugs.count == 1 ? "" : "s"))"
    }
    if let e = v.expected {
      out += "; expected \(e): \(v.matches == true ? "ok" : v.undecided ? "not decided (the run stopped early)" : "MISMATCH")"
    }
    out += "\nbounds: \(boundsDescription(p, r.options))\n"
    let s = r.statistics
    out += "explored: \(s.statesStored) states, \(s.transitions) transitions, depth \(s.maxDepth)"
    if timing { out += String(format: ", %.3fs", s.seconds) }
    out += "\n"
    if !s.complete { out += "INCOMPLETE: \(s.stopReason ?? "stopped early"): not every interleaving was explored\n" }
    if s.stuckAtBounds > 0 {
      out += "note: \(s.stuckAtBounds) end state\(s.stuckAtBounds == 1 ? "" : "s") had work left that more interrupt firings might finish (not a hang within these bounds; raise --irq-bound to look further)\n"
    }
    if r.findings.isEmpty && s.complete {
      out += "no deadlock: every interleaving within these bounds was explored\n"
    }
    let machine = Machine(program: p, options: r.options)
    for (i, f) in r.findings.enumerated() {
      out += "\n" + finding(f, number: i + 1, machine: machine)
    }
    return out
  }

  static func finding(_ f: Finding, number: Int, machine: Machine) -> String {
    let p = machine.program
    guard case .success(let timeline) = TimelineBuilder(machine: machine).build(f.witness.map { ($0, nil) }) else {
      return "[\(f.kind.rawValue) \(number)] witness did not replay: ksim internal bug\n"
    }
    var out = ""
    switch f.kind {
    case .deadlock:
      let lockNames = f.locks.map { p.locks[$0].name }.joined(separator: ", ")
      var final = machine.initialState()
      var nolog: EventLog? = nil
      for c in f.witness { _ = machine.step(&final, c, log: &nolog) }
      let cpuCount = Set(f.cycle.compactMap { final.cpu(of: $0.from) }).count
      let placement = cpuCount == 0 ? "all asleep" : "on \(cpuCount) CPU\(cpuCount == 1 ? "" : "s")"
      out += "[DEADLOCK \(number)] waits-for cycle of \(f.cycle.count) context\(f.cycle.count == 1 ? "" : "s") \(placement), locks: \(lockNames)\n"
      if case .deadlock(let cycle, _) = timeline.end {
        out += cycleAccount(cycle, timeline: timeline, machine: machine)
      }
    case .bug:
      if let b = f.bug {
        out += "[BUG \(number)] \(b.kind.rawValue): \(b.message)\n"
        if let loc = b.location { out += "  at \(loc)" + (b.chain.isEmpty ? "" : " in \(b.chain.joined(separator: " > "))") + "\n" }
      }
    case .hang:
      out += "[HANG \(number)] nothing can run, but work remains: \(timeline.end.summary.dropFirst(6))\n"
    }
    out += "  witness (\(timeline.steps.count) step\(timeline.steps.count == 1 ? "" : "s")):\n"
    let width = timeline.steps.map { $0.choiceText.count }.max() ?? 0
    for step in timeline.steps {
      out += String(format: "  %4d  ", step.index) + step.choiceText.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + step.summary + "\n"
    }
    return out
  }

  /// Every participant of the cycle: what it waits for, who holds it, and how each held lock
  /// was taken (call chain and position), with the irq/bh/preempt state.
  static func cycleAccount(_ cycle: [WaitEdge], timeline: Timeline, machine: Machine) -> String {
    let p = machine.program
    guard let snap = timeline.steps.last?.snapshot else { return "" }
    // Rebuild the final state to name contexts exactly as the machine does.
    var s = machine.initialState()
    var nolog: EventLog? = nil
    for step in timeline.steps { _ = machine.step(&s, step.choice, log: &nolog) }
    var out = ""
    for e in cycle {
      let cpu = s.cpu(of: e.from)
      let name = machine.contextName(s, e.from)
      let ctxSnap = cpu.map { c in snap.cpus[c].contexts.first { $0.name == name } } ?? snap.asleep.first { $0.name == name }
      out += "  \(cpu.map { "cpu\($0)" } ?? "asleep") \(name)  [\(ctxSnap?.stateText ?? "")]\n"
      switch e.reason {
      case .spinsOn(let lock, let mode):
        let l = p.locks[lock]
        let at = machine.location(s[e.from]).map { " at \($0)" } ?? ""
        out += "    spins on \(l.name)\(mode == .exclusive ? "" : " (\(mode.rawValue))") (class \(l.className))\(at)\n"
        out += "      in \(machine.chainNames(s[e.from]).joined(separator: " > "))\n"
        out += "    \(s.locks[lock].owner == e.to ? "held by" : (s.lockQueues[lock].readers.contains(e.to) ? "read-held by" : "queued behind writer")) \(machine.describe(s, e.to))\n"
      case .interruptedBy:
        out += "    cannot run: interrupted by \(machine.describe(s, e.to))\n"
      case .gracePeriod:
        out += "    sleeps in synchronize_rcu(): the grace period waits for \(machine.describe(s, e.to))\n"
      case .completion(let slot):
        out += "    sleeps in \(machine.chainNames(s[e.from]).joined(separator: " > "))\n"
        out += "    until \(machine.describe(s, e.to)) finishes (\(p.globals[slot].name))\n"
      case .sleepsOn(let lock, let mode):
        let l = p.locks[lock]
        let st = s.locks[lock]
        let q = s.lockQueues[lock]
        let relation = st.owner == e.to ? "held by" : q.readers.contains(e.to) ? "read-held by" : st.pendingWriter == e.to ? "blocked by the pending writer" : "queued behind"
        out += "    sleeps on \(l.name)\(mode == .exclusive ? "" : " (\(mode.rawValue))") (class \(l.className)) in \(machine.chainNames(s[e.from]).joined(separator: " > "))\n"
        out += "    \(relation) \(machine.describe(s, e.to))\n"
      }
      for h in ctxSnap?.holds ?? [] {
        out += "    holds \(h.lock)\(h.mode == .exclusive ? "" : " (\(h.mode.rawValue))"): \(h.operation)"
        if let loc = h.location { out += " at \(loc)" }
        out += "\n      in \(h.chain.joined(separator: " > "))\n"
      }
    }
    return out
  }

  /// The step-by-step text timeline `ksim replay` prints.
  public static func timeline(_ t: Timeline) -> String {
    var out = "== \(t.program.name): \(t.program.title)\n"
    out += "step  cpu   context                  operation → outcome   [call chain]\n"
    for step in t.steps {
      var first = true
      for e in step.events {
        let num = first ? String(format: "%4d", step.index) : "    "
        first = false
        let indent = String(repeating: "  ", count: e.depth)
        let ctx = (indent + e.contextName).padding(toLength: 24, withPad: " ", startingAt: 0)
        var line = "\(num)  cpu\(e.cpu)  \(ctx) \(e.operation)"
        if !e.outcome.isEmpty { line += " → \(e.outcome)" }
        if !e.chain.isEmpty { line += "   [\(e.chain.joined(separator: " > "))" + (e.location.map { " \($0.line):\($0.column)" } ?? "") + "]" }
        out += line + "\n"
      }
      if step.events.isEmpty { out += String(format: "%4d", step.index) + "  cpu\(step.cpu)  \(step.choiceText)\n" }
    }
    out += "end: \(t.end.summary)\n"
    if case .deadlock(let cycle, _) = t.end {
      // cycleAccount only re-steps the recorded choices; bounds play no part there.
      out += cycleAccount(cycle, timeline: t, machine: Machine(program: t.program))
    }
    return out
  }
}
