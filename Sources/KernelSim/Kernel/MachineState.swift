/// The whole simulated machine at one instant, as a value.
///
/// Everything that decides the future is in here and nothing else is: two equal states have the
/// same futures, which is what lets the explorer store and compare them. History (which call
/// chain took a lock) is deliberately absent; reports recover it by replaying the witness.

/// What kind of execution a context is, in the kernel's terms.
public enum ContextKind: Hashable, Sendable {
  /// A kernel task (process context): scenario task `index`.
  case task(Int)
  /// A hardirq handler for interrupt source `source`.
  case hardirq(Int)
  /// The irq_work self-IPI handler (a hardirq).
  case ipi
  /// `__do_softirq` running on a CPU.
  case softirq
}

public enum TaskStatus: Hashable, Sendable {
  /// On a runqueue, waiting for its CPU to pick it (-1: not yet placed; any allowed CPU may).
  case ready(cpu: Int)
  /// The bottom context of this CPU.
  case running(cpu: Int)
  /// Off every runqueue until something wakes it.
  case sleeping
  case done
}

public struct TaskState: Hashable, Sendable {
  public var status: TaskStatus
  public var context: Context
  /// `p->__state`: TASK_RUNNING (0), TASK_INTERRUPTIBLE (1), TASK_UNINTERRUPTIBLE (2).
  public var state: Int32 = 0
  /// `p->on_rq`: queued on (or running from) a runqueue.
  public var onRQ: Bool = true
  /// `task_cpu(p)`: the CPU it last ran on or was woken to.
  public var cpu: Int8 = 0
  /// Sleeping in `synchronize_rcu()` until grace period number `waitGP` has completed (-1: not).
  public var waitGP: Int16 = -1
  /// Queued on this sleeping lock (-1: none).
  public var waitLock: Int32 = -1
  /// Asleep until the task whose `struct task_struct *` is in global slot `waitFor` acts
  /// (`__waits_for`: flush_work() waiting for the worker running the work); -1: none. Ends
  /// with the next wakeup.
  public var waitFor: Int32 = -1
}

public struct CPUState: Hashable, Sendable {
  /// The task at the bottom of the context stack, or -1 for the idle loop.
  public var current: Int32 = -1
  /// Interrupt contexts above the task, bottom first (softirq, hardirq, ...).
  public var stack: [Context] = []
  /// `local_softirq_pending()`: one bit per declared vector.
  public var softirqPending: UInt32 = 0
  /// The irq_work self-IPI is raised and not yet delivered.
  public var ipiPending = false
  /// RCU callbacks queued on this CPU: the rcu_head object and the grace period it needs.
  public var rcuCallbacks: [RCUCallback] = []
}

public struct RCUCallback: Hashable, Sendable {
  public var head: Int32
  /// The callback may run once `gpSeq` reaches this.
  public var gp: Int16
}

/// The RCU grace-period machine, abstracted from kernel/rcu/tree.c: grace periods are numbered,
/// one is in progress at a time, and it ends once every CPU has reported a quiescent state and
/// no task preempted or blocked inside an `rcu_read_lock()` section remains.
public struct RCUState: Hashable, Sendable {
  /// Completed grace periods.
  public var gpSeq: Int16 = 0
  public var gpActive = false
  /// CPUs that have not yet reported a quiescent state for the grace period in progress.
  public var qsNeeded: UInt16 = 0
}

/// Who holds a lock. Plain values only, so that copying a state's array of locks (on the first
/// lock operation of every successor) is a copy of bytes: with the queues inside, each copy
/// retained and later released three arrays per lock, about 8% of the instructions of a
/// prelude scenario. The queues are in `LockQueues`.
public struct LockState: Hashable, Sendable {
  /// The exclusive (spinlock or write-side) holder.
  public var owner: ContextRef = .none
  /// percpu-rwsem: the writer that has set `sem->block` and waits for readers to drain.
  public var pendingWriter: ContextRef = .none
}

/// A lock's read-side holders and queues (`MachineState.lockQueues`, by lock index).
public struct LockQueues: Hashable, Sendable {
  /// Read-side holders of an rwlock, sorted; a context appears once per hold.
  public var readers: [ContextRef] = []
  /// Sleeping locks: tasks queued in arrival order (FIFO), with the side they want.
  public var waiters: [LockWaiter] = []
  /// Tasks granted the lock (or to be woken to retry) that the releaser still has to wake.
  public var wakees: [Int32] = []

  public var isEmpty: Bool { readers.isEmpty && waiters.isEmpty && wakees.isEmpty }
}

public struct LockWaiter: Hashable, Sendable {
  public var task: Int32
  public var mode: LockMode
}

public struct MachineState: Hashable, Sendable {
  public var cpus: [CPUState]
  public var tasks: [TaskState]
  public var locks: [LockState]
  /// Per lock, its readers and queues (kept apart from `locks`, see `LockState`; stored only
  /// where not empty, see `LockQueueTable`).
  public var lockQueues: LockQueueTable
  public var globals: [Int]
  /// Remaining firings per interrupt source.
  public var firesLeft: [Int16]
  /// Native list_head contents (object ids, FIFO order).
  public var lists: [[Int32]] = []
  public var rcu = RCUState()
  /// Preemptions the explorer may still inject.
  public var preemptionsLeft: Int8 = 0

  /// Nobody holds `lock`, exclusively or for reading.
  public func isFree(_ lock: Int) -> Bool { locks[lock].owner.isNone && lockQueues[lock].readers.isEmpty }

  /// The context `ref` names; it must exist.
  public subscript(ref: ContextRef) -> Context {
    get { ref.isTask ? tasks[ref.taskIndex].context : cpus[ref.cpu].stack[ref.level] }
    _modify {
      if ref.isTask { yield &tasks[ref.taskIndex].context } else { yield &cpus[ref.cpu].stack[ref.level] }
    }
  }

  /// The function and pc of `ref`'s top frame, nil when it has none. Through stored
  /// properties: reading them through `self[ref]` copied the whole context out (a retain and
  /// a release of its frames) for every instruction the interpreter ran.
  @inline(__always) func topFrame(_ ref: ContextRef) -> (function: Int32, pc: Int32)? {
    ref.isTask ? tasks[ref.taskIndex].context.topFunctionPC : cpus[ref.cpu].stack[ref.level].topFunctionPC
  }

  /// Top-frame accessors for the interpreter, through stored properties: `self[ref]`'s
  /// getter copied the context just to read it, and its `_modify` ran as a coroutine on every
  /// local written and every pc advanced.
  @inline(__always) func frameCount(_ ref: ContextRef) -> Int {
    ref.isTask ? tasks[ref.taskIndex].context.frameCount : cpus[ref.cpu].stack[ref.level].frameCount
  }

  /// Whether `ref` runs with interrupts disabled.
  @inline(__always) func irqsOff(_ ref: ContextRef) -> Bool {
    ref.isTask ? tasks[ref.taskIndex].context.irqsOff : cpus[ref.cpu].stack[ref.level].irqsOff
  }

  /// The lock `ref` spins on (-1: none) and the side it wants.
  @inline(__always) func spinning(_ ref: ContextRef) -> (lock: Int32, mode: LockMode) {
    if ref.isTask {
      let t = ref.taskIndex
      return (tasks[t].context.spinningOn, tasks[t].context.spinMode)
    }
    return (cpus[ref.cpu].stack[ref.level].spinningOn, cpus[ref.cpu].stack[ref.level].spinMode)
  }

  /// Local `slot` of `ref`'s top frame.
  @inline(__always) func local(_ ref: ContextRef, _ slot: Int) -> Int {
    ref.isTask ? tasks[ref.taskIndex].context.local(slot) : cpus[ref.cpu].stack[ref.level].local(slot)
  }

  @inline(__always) mutating func setLocal(_ ref: ContextRef, _ slot: Int, _ value: Int) {
    if ref.isTask { tasks[ref.taskIndex].context.setLocal(slot, value) } else { cpus[ref.cpu].stack[ref.level].setLocal(slot, value) }
  }

  /// Sets the pc of `ref`'s top frame.
  @inline(__always) mutating func setPC(_ ref: ContextRef, _ pc: Int32) {
    if ref.isTask { tasks[ref.taskIndex].context.setPC(pc) } else { cpus[ref.cpu].stack[ref.level].setPC(pc) }
  }

  /// Calls `function` in `ref`: a new top frame with `count` zero locals but for the first
  /// ones, `arguments`.
  mutating func pushFrame(_ ref: ContextRef, function: Int, count: Int, arguments: ArgValues, result: Int32) {
    if ref.isTask {
      tasks[ref.taskIndex].context.push(function: Int32(function), count: count, arguments: arguments, result: result)
    } else {
      cpus[ref.cpu].stack[ref.level].push(function: Int32(function), count: count, arguments: arguments, result: result)
    }
  }

  /// `Context.reserveRoomForCalls` for `ref`'s context.
  mutating func reserveRoomForCalls(_ ref: ContextRef) {
    if ref.isTask { tasks[ref.taskIndex].context.reserveRoomForCalls() } else { cpus[ref.cpu].stack[ref.level].reserveRoomForCalls() }
  }

  /// Returns from `ref`'s top frame (it must have one); gives the caller's result slot.
  mutating func popFrame(_ ref: ContextRef) -> Int32 {
    ref.isTask ? tasks[ref.taskIndex].context.pop() : cpus[ref.cpu].stack[ref.level].pop()
  }

  /// Moves `ref`'s top frame to its next instruction.
  @inline(__always) mutating func advancePC(_ ref: ContextRef) {
    if ref.isTask { tasks[ref.taskIndex].context.advancePC() } else { cpus[ref.cpu].stack[ref.level].advancePC() }
  }

  /// The running (top) context of `cpu`, or nil when the CPU is in its idle loop.
  public func top(of cpu: Int) -> ContextRef? {
    let c = cpus[cpu]
    if !c.stack.isEmpty { return .interrupt(cpu: cpu, level: c.stack.count - 1) }
    return c.current >= 0 ? .task(Int(c.current)) : nil
  }

  /// The contexts of `cpu`, bottom (task) first.
  public func chain(of cpu: Int) -> [ContextRef] {
    var refs: [ContextRef] = []
    forEachContext(of: cpu) { r, _ in refs.append(r) }
    return refs
  }

  /// Calls `body` with each context of `cpu`, bottom (task) first: `chain(of:)` without the
  /// array (an allocation costs some 600 instructions; the explorer asked for 2 chains per
  /// state).
  @inline(__always) func forEachContext(of cpu: Int, _ body: (ContextRef, borrowing Context) -> Void) {
    let current = cpus[cpu].current
    if current >= 0 { body(.task(Int(current)), tasks[Int(current)].context) }
    cpus[cpu].stack.withUnsafeBufferPointer { stack in
      for l in stack.indices { body(.interrupt(cpu: cpu, level: l), stack[l]) }
    }
  }

  /// The CPU a context is on, if it is on one.
  public func cpu(of ref: ContextRef) -> Int? {
    if !ref.isTask { return ref.cpu }
    if case .running(let c) = tasks[ref.taskIndex].status { return c }
    return nil
  }

  /// The context directly above `ref` on its CPU, if it has been interrupted.
  public func above(_ ref: ContextRef) -> ContextRef? {
    guard let c = cpu(of: ref) else { return nil }
    let next = ref.isTask ? 0 : ref.level + 1
    return next < cpus[c].stack.count ? .interrupt(cpu: c, level: next) : nil
  }
}
