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
/// So after a step has been run and keyed, its outcome is recorded here under the four ids
/// (five when the step names another task, below), and the next time the explorer meets the
/// same step it builds the successor's key from the parent's part ids
/// (`VisitedSet.key(substituting:_:_:)`): no interpreting, no copy of the state, no encoding.
/// A successor found stored that way is done with; a new one is the parent with the
/// remembered parts put in (`VisitedSet.state(replacing:_:_:_:)`), to be expanded later.
/// Nothing is approximated: the predicted key is the one keying the stepped state gives, so
/// the search stores the same states, in the same order, with the same ids
/// (`ExploreOptions.verifyStepMemo` runs every remembered step anyway and compares;
/// `StepMemoTests` and the differential check compare searches with and without the memo).
///
/// What makes an outcome a function of the four parts (each checked when it is recorded, or
/// excluded up front):
/// - The choice runs code on one CPU: `run`, `irq` (hardirq entry on the source's CPU), `ipi`,
///   `pick` (the picked task is the step's task: whether a pick is offered depends on the other
///   tasks, what it does only on the one picked) or `preempt` (the running task goes back to
///   its runqueue and a preemption is spent, from the data part).
/// - No grace period started or ended in the step, and one in progress still waits for a
///   CPU's quiescent state after it (the data part tells: `graceStateAllows`). While one is in
///   progress, `Machine.rcuAfterStep` scans every CPU for idleness after every step, and once
///   no CPU owes a quiescent state, every task for blocked readers; a grace period that ends
///   wakes `synchronize_rcu()` waiters. With a CPU still owing one, the task scan never runs,
///   and the CPU scan finds nothing new but the step's own CPU: every other idle CPU's bit was
///   cleared after the step that made it idle or when the grace period started. A step that
///   starts one (`call_rcu`, `synchronize_rcu`) may end it at once, when every CPU is idle:
///   those two primitives are excluded up front.
/// - The step's visible operation does not read another CPU's state (`Access.otherContexts`):
///   a read-side `read_lock()` in process context looks at every CPU for a spinning writer
///   (qrwlock fairness, `Machine.canAcquire`), and `call_rcu()` and `synchronize_rcu()`'s
///   `__wait_rcu_gp()` may start a grace period (above). `task_state()`, `task_on_rq()`,
///   `task_cpu()`, `select_task_rq()` and the two `ttwu_*` wakeup primitives read (and the
///   last two write) the task they are given (`Access.taskArgument`): that task's part is then
///   a fifth part of the key, found from the argument's value in the parent. The rest of a step is
///   invisible local code and the enabling operations fused into it (`fusesIntoStep`), which
///   read the context's own state; a program that makes one of those primitives invisible
///   turns the memo off.
/// - The step changed no other part: every other CPU's and task's part id is its parent's.
///   (Steps that write another task, as a sleeping-lock release granting the lock to a waiter
///   does, write what the locks part already decides, and always change it: the waiter's
///   `waitLock` goes from the lock to the granted marker.)
/// - It found no bug, and neither of its tasks could be taken for the initial state's where
///   the parent's was not exactly that (tasks as in the initial state are left out of keys,
///   which compares values, dead locals included).
struct StepMemo {
  /// What an instruction's operation reads beyond its own CPU and task (see above).
  enum Access: UInt8 {
    case own, taskArgument, otherContexts
  }

  /// Per instruction of every function (from `InstructionTable.start`).
  private let access: [Access]
  private let start: [Int32]
  private let irqCPU: [Int32]
  private let machine: Machine
  /// Task index by task_struct object (-1: none).
  private let taskOfObject: [Int32]
  /// False when the program reads other contexts in an invisible instruction.
  let enabled: Bool

  /// The part ids of a step's scope in one state: its CPU's, its two tasks' (-2: no such
  /// task; -1: the task as in the initial state, left out of keys), the locks' and the data's.
  /// What a step reads (in its key) and what it leaves (in its outcome).
  struct ScopeParts: Equatable {
    var cpu: Int32
    var task: Int32
    var other: Int32
    var locks: Int32
    var data: Int32

    init(cpu: Int32, task: Int32, other: Int32, locks: Int32, data: Int32) {
      (self.cpu, self.task, self.other, self.locks, self.data) = (cpu, task, other, locks, data)
    }

    init(_ parts: borrowing VisitedSet.Parts, _ scope: Scope) {
      self.init(cpu: parts.cpus[scope.cpu], task: scope.task >= 0 ? parts.tasks[scope.task] : -2,
                other: scope.other >= 0 ? parts.tasks[scope.other] : -2, locks: parts.locks, data: parts.data)
    }
  }

  struct Key: Equatable {
    var choice: UInt32
    /// The scope's task indices (-1: none), with the parts they had.
    var task: Int32
    var other: Int32
    var before: ScopeParts
  }

  struct Outcome {
    var after: ScopeParts
    /// After the step, a context of its CPU or tasks waits (`waits(_:_:)`): the successor may
    /// then be on a waits-for cycle whatever the rest of the state is.
    var waits: Bool
  }

  /// Whether a context of `scope`'s CPU or tasks waits in `s` (`Machine.taskWaits`,
  /// `Machine.interruptSpins`).
  func waits(_ s: MachineState, _ scope: Scope) -> Bool {
    (scope.task >= 0 && machine.taskWaits(s, scope.task)) || (scope.other >= 0 && machine.taskWaits(s, scope.other))
      || machine.interruptSpins(s, cpu: scope.cpu)
  }

  /// The CPU and tasks a step's key is made of: the CPU's running (or picked) task, and the
  /// task an `Access.taskArgument` operation names (-1: none for either).
  struct Scope {
    var cpu: Int
    var task: Int
    var other: Int
  }

  /// Outcomes by key, in a table that starts small and doubles up to `maxSlots` (7.5 MB), then
  /// is emptied whenever full and fills again: its memory stays put however long the search
  /// runs (an entry per distinct step kept 130K entries on srcu_rq_lock_irq_work_fix, 70 bytes
  /// per stored state), and breadth-first the steps met again are mostly recent ones. (A
  /// direct-mapped cache of 65,536 slots, overwriting on a collision, lost 8% of
  /// netfs_four_tasks' hits.)
  private var table = ProbingTable<Key, Outcome>(
    slots: 1 << 10, maxSlots: StepMemo.maxSlots,
    placeholder: (Key(choice: 0, task: 0, other: 0, before: StepMemo.noParts), Outcome(after: StepMemo.noParts, waits: false)))
  private static let noParts = ScopeParts(cpu: 0, task: 0, other: 0, locks: 0, data: 0)
  static let maxSlots = 1 << 17

  init(machine: Machine, enabled: Bool = true) {
    let program = machine.program
    var access: [Access] = []
    var invisibleReader = false
    for f in program.functions {
      for instr in f.code {
        let a = StepMemo.access(instr.op)
        access.append(a)
        if a != .own && !instr.visible { invisibleReader = true }
      }
    }
    self.access = access
    self.machine = machine
    start = machine.code.start
    irqCPU = program.irqs.map { Int32($0.cpu) }
    var byObject = Array(repeating: Int32(-1), count: program.objects.count)
    // The first task with the object, as `Machine.task(ofObject:)` finds it.
    for (t, task) in program.tasks.enumerated() where task.object >= 0 && task.object < byObject.count && byObject[task.object] < 0 {
      byObject[task.object] = Int32(t)
    }
    taskOfObject = byObject
    self.enabled = enabled && !invisibleReader
  }

  /// What an operation reads of other contexts.
  static func access(_ op: Instruction.Op) -> Access {
    guard case .primitive(let p, _, _, _, _) = op else { return .own }
    switch p {
    case .sched(let s):
      switch s {
      case .taskState, .taskOnRQ, .taskCPU, .selectTaskRQ, .ttwuSetRunning, .ttwuDoActivate: return .taskArgument
      case .setCurrentState, .setCurrentStateRaw, .deactivate, .contextSwitch, .waitsFor: return .own
      }
    case .acquire(_, let mode, _, _):
      return mode == .read ? .otherContexts : .own
    case .rcu(let r):
      // Both may start a grace period: `rcuStartGP` looks at every CPU for idleness, and one
      // that ends at once (every CPU idle) looks at every task for blocked readers.
      return r == .enqueue || r == .waitGP ? .otherContexts : .own
    default:
      return .own
    }
  }

  /// The CPU and tasks whose parts a memo of `choice` in `s` is keyed by, or nil if the step
  /// may read more than those (see above). `mutating` though it changes nothing, to be passed
  /// the memo by address (see `VisitedSet.parts(_:into:)`): it is asked for every choice.
  mutating func scope(_ s: MachineState, _ choice: Choice) -> Scope? {
    guard enabled else { return nil }
    switch choice {
    case .run(let c, _):
      guard let top = s.top(of: c) else { return nil }
      var other = -1
      if let (function, pc) = s.topFrame(top) {
        switch access[Int(start[Int(function)]) + Int(pc)] {
        case .own: break
        case .otherContexts: return nil
        case .taskArgument:
          // The task named by the first argument, as the primitive will read it.
          let instr = machine.code.at(function: function, pc: pc)
          guard case .primitive(_, let arguments, let count) = machine.code.flat(instr), count > 0,
                case .success(let object) = machine.evaluate(node: machine.code.argument(arguments, 0), in: s, top, cpu: c),
                object >= 0 && object < taskOfObject.count, taskOfObject[object] >= 0 else { return nil }
          other = Int(taskOfObject[object])
        }
      }
      let task = Int(s.cpus[c].current)
      return Scope(cpu: c, task: task, other: other == task ? -1 : other)
    case .irq(let source):
      let c = Int(irqCPU[source])
      return Scope(cpu: c, task: Int(s.cpus[c].current), other: -1)
    case .ipi(let c), .preempt(let c):
      return Scope(cpu: c, task: Int(s.cpus[c].current), other: -1)
    case .pick(let c, let t):
      return Scope(cpu: c, task: t, other: -1)
    }
  }

  /// Whether a step that took RCU from `before` to `after` may be remembered (see above): no
  /// grace period started or ended in it, and one still in progress still waits for some
  /// CPU's quiescent state. Then `rcuMaybeEndGP` never got past its first test during the
  /// step, so no task's blocked-reader state was read; and `rcuReportIdle`'s scan cleared no
  /// other CPU's bit, since an idle CPU's bit is cleared after every step of a grace period
  /// (and only its own steps make a CPU busy again).
  @inline(__always) static func graceStateAllows(before: RCUState, after: RCUState) -> Bool {
    after.gpSeq == before.gpSeq && after.gpActive == before.gpActive && (!after.gpActive || after.qsNeeded != 0)
  }

  /// The memo key of `choice` taken in a state with part ids `parts`, in `scope`.
  static func key(_ choice: Choice, _ parts: borrowing VisitedSet.Parts, _ scope: Scope) -> Key {
    Key(choice: choice.packed, task: Int32(scope.task), other: Int32(scope.other), before: ScopeParts(parts, scope))
  }

  /// Whether `parts` (a parent's, with baseline marks) can key a memo of a step in `scope`:
  /// neither of its tasks is held as a part but equal to the initial state's task (keying the
  /// successor would leave it out where the memo would not).
  static func usable(_ parts: borrowing VisitedSet.Parts, _ scope: Scope) -> Bool {
    guard parts.baselineKnown else { return false }
    if scope.task >= 0 && parts.baselineTasks & (1 << UInt64(scope.task)) != 0 { return false }
    if scope.other >= 0 && parts.baselineTasks & (1 << UInt64(scope.other)) != 0 { return false }
    return true
  }

  /// The outcome recorded for `key`, if any.
  func outcome(_ key: Key) -> Outcome? { table[key] }

  mutating func record(_ key: Key, _ outcome: Outcome) { table.set(key, outcome) }

  /// Entries held.
  var count: Int { table.count }
}

extension StepMemo.Key: ProbingKey {
  var probeHash: UInt64 {
    var h = UInt64(choice) &* 0x9E37_79B9_7F4A_7C15
    @inline(__always) func mix(_ x: Int32) { h = (h ^ UInt64(UInt32(bitPattern: x))) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 29 }
    mix(before.cpu); mix(task); mix(before.task); mix(other); mix(before.other); mix(before.locks); mix(before.data)
    return h
  }
}
