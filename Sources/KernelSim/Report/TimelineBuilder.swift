import Foundation

/// Replays a schedule with event recording on, producing a `Timeline`.
///
/// It tracks which call chain took each held lock (history the state does not keep), so every
/// snapshot can say "holds X, taken by spin_lock at file:line in a > b > c".
public struct TimelineBuilder {
  public let machine: Machine

  public init(machine: Machine) { self.machine = machine }

  /// A choice in the schedule that is not enabled where it is used.
  public struct NotEnabled: Error, Sendable {
    public var stepIndex: Int
    public var line: Int?
    public var choice: String
    public var enabled: [String]
  }

  private struct HoldKey: Hashable { var lock: Int; var holder: ContextRef }

  public func build(_ schedule: [(choice: Choice, line: Int?)]) -> Result<Timeline, NotEnabled> {
    let program = machine.program
    var s = machine.initialState()
    var holds: [HoldKey: [HeldLock]] = [:]
    var steps: [TimelineStep] = []
    var end: Timeline.End = .open
    for (i, item) in schedule.enumerated() {
      let enabled = machine.enabledChoices(s)
      guard enabled.contains(item.choice) else {
        return .failure(NotEnabled(stepIndex: i + 1, line: item.line, choice: TraceText.format(item.choice, program),
                                   enabled: enabled.map { TraceText.format($0, program) }))
      }
      var log: EventLog? = EventLog()
      let bug = machine.step(&s, item.choice, log: &log)
      let events = log?.events ?? []
      for e in events where e.lock >= 0 {
        let key = HoldKey(lock: e.lock, holder: e.context)
        let l = program.locks[e.lock]
        switch e.kind {
        case .acquired:
          let op = e.operation
          let mode: LockMode = (op.hasPrefix("read_") || op.contains("down_read") || op.contains("percpu_down_read") || e.outcome.contains("for read")) ? .read
            : ((op.hasPrefix("write_") || op.contains("down_write")) ? .write : .exclusive)
          holds[key, default: []].append(HeldLock(lock: l.name, lockClass: l.className, mode: mode, operation: e.operation,
                                                  chain: e.chain, location: e.location))
        case .released:
          if holds[key]?.isEmpty == false { holds[key]!.removeLast() }
          if holds[key]?.isEmpty == true { holds[key] = nil }
        default: break
        }
      }
      let cpu: Int
      switch item.choice {
      case .run(let c, _), .pick(let c, _), .ipi(let c), .preempt(let c): cpu = c
      case .irq(let src): cpu = program.irqs[src].cpu
      }
      steps.append(TimelineStep(index: i + 1, choice: item.choice, choiceText: TraceText.format(item.choice, program),
                                cpu: cpu, events: events, snapshot: snapshot(s, holds: holds), traceLine: item.line))
      if let bug {
        end = .bug(bug)
        return .success(Timeline(program: program, steps: steps, end: end))
      }
    }
    if let cycle = machine.findCycle(s) {
      end = .deadlock(cycle, description: cycle.map { machine.describe(s, $0.from) })
    } else if machine.enabledChoices(s).isEmpty {
      if machine.isFinished(s) { end = .finished } else if !machine.exhaustedSources(s).isEmpty {
        end = .open
      } else {
        end = .hang(description: machine.stuckDescription(s))
      }
    }
    return .success(Timeline(program: program, steps: steps, end: end))
  }

  private func snapshot(_ s: MachineState, holds: [HoldKey: [HeldLock]]) -> Snapshot {
    let program = machine.program
    var cpus: [CPUSnapshot] = []
    for cpu in s.cpus.indices {
      var contexts: [ContextSnapshot] = []
      let chain = s.chain(of: cpu)
      if s.cpus[cpu].current < 0 {
        contexts.append(ContextSnapshot(name: "idle", state: chain.isEmpty ? .idle : .interrupted, irqsOff: false, bhCount: 0,
                                        preemptCount: 0, chain: [], location: nil, waiting: nil, holds: []))
      }
      for (i, r) in chain.enumerated() {
        let c = s[r]
        let state: ContextSnapshot.State = i < chain.count - 1 ? .interrupted : (c.spinningOn >= 0 ? .spinning : .running)
        var waiting: String?
        if c.spinningOn >= 0 {
          waiting = "spins on \(program.locks[Int(c.spinningOn)].name) (\(machine.holderText(s, lock: Int(c.spinningOn))))"
        }
        var held: [HeldLock] = []
        for l in s.locks.indices where s.locks[l].owner == r || s.lockQueues[l].readers.contains(r) {
          held += holds[HoldKey(lock: l, holder: r)] ?? [HeldLock(lock: program.locks[l].name, lockClass: program.locks[l].className,
                                                                   mode: .exclusive, operation: "?", chain: [], location: nil)]
        }
        contexts.append(ContextSnapshot(name: machine.contextName(s, r), state: state, irqsOff: c.irqsOff, bhCount: Int(c.bh) + (c.kind == .softirq ? 1 : 0),
                                        preemptCount: Int(c.preempt), chain: machine.chainNames(c), location: machine.location(c),
                                        waiting: waiting, holds: held))
      }
      let pending = machine.vectorNames(s.cpus[cpu].softirqPending)
      cpus.append(CPUSnapshot(cpu: cpu, contexts: contexts, pendingSoftirqs: pending.isEmpty ? [] : pending.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
    }
    var off: [String] = []
    for (t, task) in s.tasks.enumerated() {
      let name = program.tasks[t].name
      switch task.status {
      case .ready(let c): off.append("task \(name): runnable\(c >= 0 ? " on cpu\(c)" : "")")
      case .sleeping:
        if program.tasks[t].kthread && task.waitGP < 0 && task.context.frames.first?.pc == 0 && task.context.frames.count == 1 { continue }
        off.append("task \(name): sleeping" + (task.waitGP >= 0 ? " (synchronize_rcu, grace period \(task.waitGP))" : "") + (machine.chainNames(task.context).last.map { " in \($0)" } ?? ""))
      case .done: off.append("task \(name): finished")
      case .running: break
      }
    }
    var asleep: [ContextSnapshot] = []
    for t in s.tasks.indices where s.cpu(of: .task(t)) == nil && s.tasks[t].status != .done {
      let r = ContextRef.task(t)
      let held = s.locks.indices.filter { s.locks[$0].owner == r || s.lockQueues[$0].readers.contains(r) }
      guard !held.isEmpty || s.tasks[t].waitLock >= 0 || s.tasks[t].waitGP >= 0 || s.tasks[t].waitFor > 0 else { continue }
      var holdsList: [HeldLock] = []
      for l in held {
        holdsList += holds[HoldKey(lock: l, holder: r)] ?? [HeldLock(lock: program.locks[l].name, lockClass: program.locks[l].className,
                                                                     mode: .exclusive, operation: "?", chain: [], location: nil)]
      }
      let c = s.tasks[t].context
      var waiting: String?
      if s.tasks[t].waitLock >= 0 { waiting = "sleeps on \(program.locks[Int(s.tasks[t].waitLock)].name) (\(machine.holderText(s, lock: Int(s.tasks[t].waitLock))))" }
      if s.tasks[t].waitGP >= 0 { waiting = "sleeps in synchronize_rcu() (grace period \(s.tasks[t].waitGP))" }
      if s.tasks[t].waitFor > 0 {
        let slot = Int(s.tasks[t].waitFor)
        let who = machine.task(ofObject: s.globals[slot]).map { "task \(program.tasks[$0].name)" } ?? "nobody yet"
        waiting = "sleeps until \(who) finishes (\(program.globals[slot].name))"
      }
      asleep.append(ContextSnapshot(name: machine.contextName(s, r), state: .sleeping, irqsOff: c.irqsOff, bhCount: Int(c.bh),
                                    preemptCount: Int(c.preempt), chain: machine.chainNames(c), location: machine.location(c),
                                    waiting: waiting, holds: holdsList))
    }
    var snapshot = Snapshot(cpus: cpus, offCPU: off)
    snapshot.asleep = asleep
    return snapshot
  }
}
