/// Steps remembered by what they read: the explorer's shortcut past stepping and keying.
///
/// Most steps read and write only their own CPU (its interrupt contexts, pending softirqs, IPI
/// flag, RCU callbacks), the task running there, the locks and the data (globals, lists, RCU
/// and interrupt/preemption budgets). Those are four of a stored state's parts
/// (`VisitedSet`), each with an id. Such a step's outcome is then a function of the choice and
/// the four ids: the same step from another state with the same four parts (the other CPU's
/// task elsewhere, say) gives the same four new parts, and the rest of the state untouched.
/// On netfs_four_tasks nine in ten of the steps taken repeat such an earlier one.
///
/// So after a step has been run and keyed, its outcome is recorded here under the four ids,
/// and the next time the explorer meets the same step it builds the successor's key from the
/// parent's part ids (`VisitedSet.key(substituting:...)`): no interpreting, no copy of the
/// state, no encoding. A successor found stored that way is done with; a new one is still
/// stepped for real, to be expanded later, and its key must be the one predicted (checked).
/// Nothing is approximated: the predicted key is the one keying the stepped state gives, so
/// the search stores the same states, in the same order, with the same ids.
///
/// What makes an outcome a function of the four parts (each checked when it is recorded, or
/// excluded up front):
/// - The choice runs code on one CPU: `run`, `irq` (hardirq entry on the source's CPU) or
///   `ipi`. `pick` and `preempt` read every task's runqueue state.
/// - No grace period is in progress before or after, and none ended in between (the data part
///   tells). While one is, `Machine.rcuAfterStep` scans every CPU for idleness and every task
///   for blocked readers after every step, and a grace period that ends wakes
///   `synchronize_rcu()` waiters. A step that starts one (`call_rcu`, `synchronize_rcu`) may
///   end it at once, when every CPU is idle: those two primitives are excluded up front.
/// - The step's visible operation is not one of the primitives that read another task's or
///   CPU's state without necessarily writing it (`readsOtherContexts`): `task_state()`,
///   `task_on_rq()`, `task_cpu()`, `select_task_rq()` and the two `ttwu_*` wakeup primitives
///   read the task they are given; a read-side `read_lock()` in process context looks at every
///   CPU for a spinning writer (qrwlock fairness, `Machine.canAcquire`); `call_rcu()` and
///   `synchronize_rcu()`'s `__wait_rcu_gp()` may start a grace period (above). The rest of a step is
///   invisible local code and the enabling operations fused into it (`fusesIntoStep`), which
///   read the context's own state; a program that makes one of those primitives invisible
///   turns the memo off.
/// - The step changed no other part: every other CPU's and task's part id is its parent's.
///   (Steps that write another task, as a sleeping-lock release granting the lock to a waiter
///   does, write what the locks part already decides, and always change it: the waiter's
///   `waitLock` goes from the lock to the granted marker.)
/// - It found no bug, and its task is not one that could be taken for the initial state's
///   (left out of keys as unchanged, which compares values, dead locals included).
struct StepMemo {
  /// Per instruction of every function (from `InstructionTable.start`): its visible operation
  /// reads another context's state (see above).
  private let readsOthers: [Bool]
  private let start: [Int32]
  let irqCPU: [Int32]
  /// False when the program has such a primitive among its invisible instructions.
  let enabled: Bool

  struct Key: Equatable {
    var choice: UInt32
    var cpuPart: Int32
    var task: Int32
    var taskPart: Int32
    var locks: Int32
    var data: Int32
  }

  struct Outcome {
    var cpuPart: Int32
    var taskPart: Int32
    var locks: Int32
    var data: Int32
  }

  private var keys: [Key]
  private var outcomes: [Outcome]
  private var used: [Bool]
  private var stored = 0

  init(machine: Machine, enabled: Bool = true) {
    let program = machine.program
    var reads: [Bool] = []
    var invisibleReader = false
    for f in program.functions {
      for instr in f.code {
        let r = StepMemo.readsOtherContexts(instr.op)
        reads.append(r)
        if r && !instr.visible { invisibleReader = true }
      }
    }
    readsOthers = reads
    start = machine.code.start
    irqCPU = program.irqs.map { Int32($0.cpu) }
    self.enabled = enabled && !invisibleReader
    let size = 1 << 12
    keys = Array(repeating: Key(choice: 0, cpuPart: 0, task: 0, taskPart: 0, locks: 0, data: 0), count: size)
    outcomes = Array(repeating: Outcome(cpuPart: 0, taskPart: 0, locks: 0, data: 0), count: size)
    used = Array(repeating: false, count: size)
  }

  /// Whether an operation reads the state of a task or CPU other than its own.
  static func readsOtherContexts(_ op: Instruction.Op) -> Bool {
    guard case .primitive(let p, _, _, _, _) = op else { return false }
    switch p {
    case .sched(let s):
      switch s {
      case .taskState, .taskOnRQ, .taskCPU, .selectTaskRQ, .ttwuSetRunning, .ttwuDoActivate: return true
      case .setCurrentState, .setCurrentStateRaw, .deactivate, .contextSwitch, .waitsFor: return false
      }
    case .acquire(_, let mode, _, _):
      return mode == .read
    case .rcu(let r):
      // Both may start a grace period: `rcuStartGP` looks at every CPU for idleness, and one
      // that ends at once (every CPU idle) looks at every task for blocked readers.
      return r == .enqueue || r == .waitGP
    default:
      return false
    }
  }

  /// The CPU and task (-1: none) whose parts a memo of `choice` in `s` is keyed by, or nil if
  /// the step may read more than its own parts (see above).
  func scope(_ s: MachineState, _ choice: Choice) -> (cpu: Int, task: Int)? {
    guard enabled, !s.rcu.gpActive else { return nil }
    let cpu: Int
    switch choice {
    case .run(let c, _):
      guard let top = s.top(of: c) else { return nil }
      if let (function, pc) = s.topFrame(top), readsOthers[Int(start[Int(function)]) + Int(pc)] { return nil }
      cpu = c
    case .irq(let source): cpu = Int(irqCPU[source])
    case .ipi(let c): cpu = c
    case .pick, .preempt: return nil
    }
    return (cpu, Int(s.cpus[cpu].current))
  }

  /// The memo key of `choice` taken in a state with part ids `parts`, in `scope`.
  static func key(_ choice: Choice, _ parts: borrowing VisitedSet.Parts, cpu: Int, task: Int) -> Key {
    Key(choice: choice.packed, cpuPart: parts.cpus[cpu], task: Int32(task), taskPart: task >= 0 ? parts.tasks[task] : -2,
        locks: parts.locks, data: parts.data)
  }

  private func slot(_ k: Key) -> Int {
    var h = UInt64(k.choice) &* 0x9E37_79B9_7F4A_7C15
    @inline(__always) func mix(_ x: Int32) { h = (h ^ UInt64(UInt32(bitPattern: x))) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 29 }
    mix(k.cpuPart); mix(k.task); mix(k.taskPart); mix(k.locks); mix(k.data)
    let mask = keys.count - 1
    var i = Int(truncatingIfNeeded: h) & mask
    while used[i] && keys[i] != k { i = (i + 1) & mask }
    return i
  }

  /// The outcome recorded for `key`, if any.
  func outcome(_ key: Key) -> Outcome? {
    let i = slot(key)
    return used[i] ? outcomes[i] : nil
  }

  mutating func record(_ key: Key, _ outcome: Outcome) {
    var i = slot(key)
    if used[i] { return }
    if (stored + 1) * 2 > keys.count {
      grow()
      i = slot(key)
    }
    used[i] = true
    keys[i] = key
    outcomes[i] = outcome
    stored += 1
  }

  /// Entries recorded.
  var count: Int { stored }

  private mutating func grow() {
    let (oldKeys, oldOutcomes, oldUsed) = (keys, outcomes, used)
    keys = Array(repeating: oldKeys[0], count: oldKeys.count * 2)
    outcomes = Array(repeating: oldOutcomes[0], count: oldKeys.count * 2)
    used = Array(repeating: false, count: oldKeys.count * 2)
    for j in oldKeys.indices where oldUsed[j] {
      let i = slot(oldKeys[j])
      used[i] = true
      keys[i] = oldKeys[j]
      outcomes[i] = oldOutcomes[j]
    }
  }
}
