/// One scheduling decision: the only thing the explorer chooses.
public enum Choice: Hashable, Sendable {
  /// The top context of `cpu` executes its next visible operation; `branch` picks the arm of an
  /// `either` (0 otherwise).
  case run(cpu: Int, branch: Int)
  /// Interrupt source `source` fires on its CPU.
  case irq(source: Int)
  /// Idle `cpu` picks ready task `task`.
  case pick(cpu: Int, task: Int)
  /// The pending irq_work self-IPI is delivered on `cpu`.
  case ipi(cpu: Int)
  /// The running task of `cpu` is preempted (at a point where it is preemptible).
  case preempt(cpu: Int)
}

/// A kernel-level error the scenario's code commits: what lockdep or a WARN would print.
/// These are findings, not crashes: the explorer reports them with a witness.
///
/// A class, immutable: every step and every expression evaluation returns an optional bug
/// (`Bug?`, `Result<Int, Bug>`), almost always nil, and as a struct of some 90 bytes each of
/// those was returned through memory and destroyed through an outlined function; as a
/// reference it is one word.
public final class Bug: Hashable, Sendable {
  public enum Kind: String, Sendable, Hashable {
    case unlockNotHeld = "bad unlock balance"
    case exitHoldingLock = "context exited holding a lock"
    case unbalancedState = "unbalanced irq/bh/preempt state"
    case assertion = "assertion"
    case invalidContext = "invalid context"
    case outOfBounds = "index out of bounds"
    /// A field read or a call through NULL or a value that is no object or function.
    case badPointer = "bad pointer dereference"
    case runaway = "no visible operation"
    case sleepInAtomic = "scheduling while atomic"
  }
  public let kind: Kind
  public let message: String
  public let context: ContextRef
  public let cpu: Int?
  public let chain: [String]
  public let location: SourceLocation?

  public init(kind: Kind, message: String, context: ContextRef, cpu: Int?, chain: [String], location: SourceLocation?) {
    self.kind = kind
    self.message = message
    self.context = context
    self.cpu = cpu
    self.chain = chain
    self.location = location
  }

  public static func == (a: Bug, b: Bug) -> Bool {
    a.kind == b.kind && a.message == b.message && a.context == b.context && a.cpu == b.cpu && a.chain == b.chain
      && a.location == b.location
  }

  public func hash(into h: inout Hasher) {
    h.combine(kind); h.combine(message); h.combine(context); h.combine(cpu); h.combine(chain); h.combine(location)
  }
}

/// What happened in a step, for timelines and reports. Only recorded when asked for.
public struct Event: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable {
    case acquired, spins, released, trylockFailed, irqEnter, irqExit, softirqEnter, softirqExit
    case actionStart, actionEnd, taskStart, taskExit, irqState, softirqRaised, branch, store, other
    case sleeps, wakeup, callback, rcu, preempted
  }
  public var kind: Kind
  public var cpu: Int
  public var context: ContextRef
  /// "task hotplug", "hardirq dmar", "softirq RCU_SOFTIRQ".
  public var contextName: String
  /// 0 for the task (or idle) level, 1.. for interrupt contexts stacked above it.
  public var depth: Int
  /// Function names from the context's entry to the current function.
  public var chain: [String]
  public var location: SourceLocation?
  /// The operation as code: `spin_lock(&pci_bus_klist.k_lock)`.
  public var operation: String
  /// What came of it: `acquired`, `spins (held by task hotplug on cpu0)`.
  public var outcome: String
  /// The lock involved, if any.
  public var lock: Int = -1
}

/// Collects events while stepping (reports and timelines only; the explorer passes nil).
public struct EventLog: Sendable {
  public var events: [Event] = []
  public init() {}
}

extension Choice {
  /// The choice in 32 bits, for the explorer's per-state record of how each state was reached
  /// (an enum with two `Int` payloads takes 24 bytes in an array): the case in the top 3 bits,
  /// then a 14-bit field (CPU or source) and a 15-bit one (branch or task). The checker keeps
  /// scenarios within these (`Checker.maxInterruptSources` and the like; at most 16 CPUs).
  var packed: UInt32 {
    func pack(_ kind: UInt32, _ a: Int, _ b: Int = 0) -> UInt32 {
      precondition(a >= 0 && a < 1 << 14 && b >= 0 && b < 1 << 15, "choice index out of range")
      return kind << 29 | UInt32(a) << 15 | UInt32(b)
    }
    switch self {
    case .run(let cpu, let branch): return pack(0, cpu, branch)
    case .irq(let source): return pack(1, source)
    case .pick(let cpu, let task): return pack(2, cpu, task)
    case .ipi(let cpu): return pack(3, cpu)
    case .preempt(let cpu): return pack(4, cpu)
    }
  }

  init(packed p: UInt32) {
    let a = Int((p >> 15) & 0x3FFF), b = Int(p & 0x7FFF)
    switch p >> 29 {
    case 0: self = .run(cpu: a, branch: b)
    case 1: self = .irq(source: a)
    case 2: self = .pick(cpu: a, task: b)
    case 3: self = .ipi(cpu: a)
    default: self = .preempt(cpu: a)
    }
  }
}
