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
  public init(program: Program, irqBound: Int? = nil) {
    self.program = program
    self.fires = program.irqs.map { irqBound ?? $0.fires ?? 1 }
  }

  public func initialState() -> MachineState {
    let tasks = program.tasks.map { t in
      TaskState(status: .ready, context: Context(kind: .task(0), frames: [], irqsOff: false))
    }
    var s = MachineState(cpus: Array(repeating: CPUState(), count: program.cpuCount), tasks: tasks,
                         locks: Array(repeating: LockState(), count: program.locks.count),
                         globals: program.globals.map(\.initial), firesLeft: fires.map { Int16($0) })
    for i in s.tasks.indices { s.tasks[i].context.kind = .task(i) }
    return s
  }

  /// Every choice that can be taken in `s`, in a fixed order (CPUs, then interrupt sources).
  public func enabledChoices(_ s: MachineState) -> [Choice] {
    var choices: [Choice] = []
    for cpu in 0..<program.cpuCount {
      if let top = s.top(of: cpu) {
        let ctx = s[top]
        if ctx.spinningOn >= 0 {
          if canAcquire(s, lock: Int(ctx.spinningOn), mode: ctx.spinMode, by: top) {
            choices.append(.run(cpu: cpu, branch: 0))
          }
        } else if let f = ctx.frames.last, case .either(let arms) = program.functions[Int(f.function)].code[Int(f.pc)].op {
          for b in arms.indices { choices.append(.run(cpu: cpu, branch: b)) }
        } else {
          choices.append(.run(cpu: cpu, branch: 0))
        }
      } else {
        for (t, task) in s.tasks.enumerated() where task.status == .ready {
          if program.tasks[t].cpu == nil || program.tasks[t].cpu == cpu { choices.append(.pick(cpu: cpu, task: t)) }
        }
      }
    }
    for (i, src) in program.irqs.enumerated() where s.firesLeft[i] > 0 && irqCanArrive(s, source: i, cpu: src.cpu) {
      choices.append(.irq(source: i))
    }
    return choices
  }

  /// Takes `choice` in `s`. Returns a bug when the step commits one (the state is then the
  /// state at the bug and should not be explored further).
  public func step(_ s: inout MachineState, _ choice: Choice, log: inout EventLog?) -> Bug? {
    switch choice {
    case .run(let cpu, let branch):
      guard let top = s.top(of: cpu) else { return nil }
      return run(&s, top, cpu: cpu, branch: branch, log: &log)
    case .irq(let source):
      return hardirqEnter(&s, source: source, log: &log)
    case .pick(let cpu, let task):
      return startTask(&s, task: task, cpu: cpu, log: &log)
    }
  }

  /// True when every task has finished and no interrupt context is left on any CPU.
  public func isFinished(_ s: MachineState) -> Bool {
    s.tasks.allSatisfy { $0.status == .done } && s.cpus.allSatisfy { $0.stack.isEmpty }
  }
}
