/// The simulated kernel: builds the initial state, lists enabled choices, and steps.
///
/// The explorer sees only this surface: `initialState()`, `enabledChoices(_:)` and
/// `step(_:_:log:)`. The mechanisms live in extensions, one file each.
public struct Machine: Sendable {
  public let program: Program
  /// Firings per interrupt source in this run.
  public let fires: [Int]

  /// The IF bit of EFLAGS: what `local_irq_save` stores for "interrupts were enabled".
  public static let eflagsIF = 0x200
  /// `MAX_SOFTIRQ_RESTART` in kernel/softirq.c.
  static let maxSoftirqRestart: Int8 = 10
  /// Invisible instructions one step may execute before it is reported as a runaway loop.
  static let maxInvisibleRun = 100_000

  /// - Parameter irqBound: when set, every interrupt source fires at most this often (overriding
  ///   per-source `fires N`); otherwise each source's own bound, default 1.
  /// Preemptions the explorer may inject per run.
  public let preemptions: Int
  /// Run enabling CPU-local operations inside the step before them (`fusesIntoStep`). Off only
  /// to check that doing so changes no finding.
  let fusesEnables: Bool

  public init(program: Program, irqBound: Int? = nil, preemptions: Int? = nil) {
    self.init(program: program, irqBound: irqBound, preemptions: preemptions, fusesEnables: true)
  }

  init(program: Program, irqBound: Int?, preemptions: Int?, fusesEnables: Bool) {
    self.program = program
    self.fires = program.irqs.map { irqBound ?? $0.fires ?? 1 }
    self.preemptions = preemptions ?? program.preemptions
    self.fusesEnables = fusesEnables
    code = InstructionTable(program: program)
    var arms: [Int16] = []
    for f in program.functions {
      for instr in f.code {
        if case .either(let a) = instr.op { arms.append(Int16(clamping: a.count)) } else { arms.append(0) }
      }
    }
    armsAt = arms
  }

  /// The code, read in place by the interpreter (`InstructionTable`).
  let code: InstructionTable
  /// Per instruction of every function (from `code.start[function]`): the arms of an
  /// `either`, 0 for any other instruction. Read for each CPU of each state; matching the
  /// instruction itself copied it.
  private let armsAt: [Int16]

  /// How many arms the `either` at `pc` of `function` has (0: not an `either`).
  @inline(__always) func eitherArms(function: Int, pc: Int) -> Int {
    Int(armsAt[Int(code.start[function]) + pc])
  }

  public func initialState() -> MachineState {
    let tasks = program.tasks.enumerated().map { (i, t) -> TaskState in
      var ts = TaskState(status: .ready(cpu: t.cpu ?? -1), context: Context(kind: .task(i), frames: [], irqsOff: false))
      ts.cpu = Int8(t.cpu ?? 0)
      if t.kthread {
        // A kthread has already run into its idle wait: asleep, to start its entry when woken.
        var locals = Array(repeating: 0, count: program.functions[t.entry].localCount)
        for (k, v) in t.arguments.enumerated() { locals[k] = v }
        ts.context.frames = [Frame(function: Int32(t.entry), pc: 0, locals: locals, result: -1)]
        ts.status = .sleeping
        ts.state = 2
        ts.onRQ = false
      }
      return ts
    }
    var s = MachineState(cpus: Array(repeating: CPUState(), count: program.cpuCount), tasks: tasks,
                         locks: Array(repeating: LockState(), count: program.locks.count),
                         lockQueues: LockQueueTable(count: program.locks.count),
                         globals: program.globals.map(\.initial), firesLeft: fires.map { Int16($0) })
    s.lists = Array(repeating: [], count: program.lists.count)
    s.preemptionsLeft = Int8(clamping: preemptions)
    return s
  }

  /// Every choice that can be taken in `s`, in a fixed order (CPUs, then interrupt sources).
  public func enabledChoices(_ s: MachineState) -> [Choice] {
    var choices: [Choice] = []
    enabledChoices(s, into: &choices)
    return choices
  }

  /// `enabledChoices(_:)` into `choices` (emptied first), whose storage the explorer reuses
  /// from state to state: an array per state cost an allocation and its free.
  func enabledChoices(_ s: MachineState, into choices: inout [Choice]) {
    choices.clear()
    choices.reserveCapacity(2 * program.cpuCount + program.irqs.count)
    for cpu in 0..<program.cpuCount {
      if let top = s.top(of: cpu) {
        // Fields and the pending instruction's arm count read in place: copying the context
        // and the instruction (to match `either`) retained their arrays for every CPU of
        // every state.
        let spin = s.spinning(top)
        if spin.lock >= 0 {
          if canAcquire(s, lock: Int(spin.lock), mode: spin.mode, by: top) {
            choices.append(.run(cpu: cpu, branch: 0))
          }
        } else if let (function, pc) = s.topFrame(top), case let arms = eitherArms(function: Int(function), pc: Int(pc)), arms > 0 {
          for b in 0..<arms { choices.append(.run(cpu: cpu, branch: b)) }
        } else {
          choices.append(.run(cpu: cpu, branch: 0))
        }
        if canPreempt(s, cpu: cpu) { choices.append(.preempt(cpu: cpu)) }
      } else {
        for t in s.tasks.indices where isPickable(s, task: t, cpu: cpu) { choices.append(.pick(cpu: cpu, task: t)) }
      }
    }
    for (i, src) in program.irqs.enumerated() where s.firesLeft[i] > 0 && irqCanArrive(s, source: i, cpu: src.cpu) {
      choices.append(.irq(source: i))
    }
    for cpu in 0..<program.cpuCount where ipiCanArrive(s, cpu: cpu) { choices.append(.ipi(cpu: cpu)) }
  }

  /// Takes `choice` in `s`. Returns a bug when the step commits one (the state is then the
  /// state at the bug and should not be explored further).
  public func step(_ s: inout MachineState, _ choice: Choice, log: inout EventLog?) -> Bug? {
    let bug: Bug?
    switch choice {
    case .run(let cpu, let branch):
      guard let top = s.top(of: cpu) else { return nil }
      bug = run(&s, top, cpu: cpu, branch: branch, log: &log)
    case .irq(let source):
      bug = hardirqEnter(&s, source: source, log: &log)
    case .pick(let cpu, let task):
      bug = startTask(&s, task: task, cpu: cpu, log: &log)
    case .ipi(let cpu):
      bug = ipiEnter(&s, cpu: cpu, log: &log)
    case .preempt(let cpu):
      bug = preempt(&s, cpu: cpu, log: &log)
    }
    rcuAfterStep(&s)
    return bug
  }

  /// A kernel thread asleep in its idle wait: asleep, and not on a lock, a grace period or
  /// another task's work (a kworker asleep on a mutex has not finished anything).
  func isParked(_ s: MachineState, task t: Int) -> Bool {
    let x = s.tasks[t]
    return program.tasks[t].kthread && x.status == .sleeping && x.waitGP < 0 && x.waitLock < 0 && x.waitFor <= 0
  }

  /// True when every task has finished (kthreads: parked asleep) and no interrupt context is
  /// left on any CPU.
  public func isFinished(_ s: MachineState) -> Bool {
    s.tasks.indices.allSatisfy { t in
      program.tasks[t].kthread ? isParked(s, task: t) : s.tasks[t].status == .done
    } && s.cpus.allSatisfy { $0.stack.isEmpty }
  }
}
