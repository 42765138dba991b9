/// A run as a sequence of steps with what happened and a snapshot after each: the one model that
/// `ksim replay` prints and `ksim watch` draws, so the two can never disagree.
public struct Timeline: Sendable {
  public var program: Program
  public var steps: [TimelineStep]
  public var end: End

  public init(program: Program, steps: [TimelineStep], end: End) {
    self.program = program
    self.steps = steps
    self.end = end
  }

  /// How the run ends.
  public enum End: Sendable {
    case deadlock([WaitEdge], description: [String])
    case bug(Bug)
    case hang(description: [String])
    case finished
    /// The schedule stops with work left and choices enabled (a prefix).
    case open

    public var summary: String {
      switch self {
      case .deadlock(_, let d): return "DEADLOCK: " + d.joined(separator: " → ")
      case .bug(let b): return "BUG: \(b.message)"
      case .hang(let d): return "HANG: " + d.joined(separator: "; ")
      case .finished: return "all tasks finished"
      case .open: return "schedule ends with work left"
      }
    }
  }
}

public struct TimelineStep: Sendable {
  /// 1-based step number.
  public var index: Int
  public var choice: Choice
  public var choiceText: String
  public var cpu: Int
  public var events: [Event]
  /// The machine after this step.
  public var snapshot: Snapshot
  /// The trace line this step came from, when replaying a file.
  public var traceLine: Int?

  /// One line: the context and what it did.
  public var summary: String {
    guard let first = events.first else { return choiceText }
    let main = events.first { [.acquired, .spins, .released, .trylockFailed].contains($0.kind) } ?? first
    var text = "\(main.contextName): \(main.operation)"
    if !main.outcome.isEmpty { text += " \(main.outcome)" }
    let extra = events.filter { $0 != main && [.irqExit, .softirqEnter, .taskExit, .irqEnter].contains($0.kind) }
    for e in extra { text += "; \(e.outcome)" }
    return text
  }
}

/// The machine at one instant, described for people.
public struct Snapshot: Sendable, Hashable {
  public var cpus: [CPUSnapshot]
  /// Tasks not on any CPU: ready or finished.
  public var offCPU: [String]
  /// Sleeping tasks that hold locks or wait on one, described like CPU contexts.
  public var asleep: [ContextSnapshot] = []
}

public struct CPUSnapshot: Sendable, Hashable {
  public var cpu: Int
  /// Bottom (task or idle) first.
  public var contexts: [ContextSnapshot]
  public var pendingSoftirqs: [String]
}

public struct ContextSnapshot: Sendable, Hashable {
  public enum State: String, Sendable { case running, spinning, interrupted, idle, sleeping }
  public var name: String
  public var state: State
  public var irqsOff: Bool
  public var bhCount: Int
  public var preemptCount: Int
  public var chain: [String]
  public var location: SourceLocation?
  /// "spins on X (held by Y)".
  public var waiting: String?
  public var holds: [HeldLock]

  /// `[irqs off, bh on, preempt 1]`
  public var stateText: String {
    "irqs \(irqsOff ? "off" : "on"), bh \(bhCount > 0 ? "off" : "on"), preempt \(preemptCount)"
  }
}

public struct HeldLock: Sendable, Hashable {
  public var lock: String
  public var lockClass: String
  public var mode: LockMode
  /// How it was taken: `spin_lock(&x)` at file:line:col in chain.
  public var operation: String
  public var chain: [String]
  public var location: SourceLocation?
}
