/// A checked, resolved scenario: every name is an index, every function is flat instructions.
///
/// This is what the kernel machine executes. It is immutable and shared by every state.

/// The kinds of lock a scenario can declare. Lock *class* and *instance* are distinct: a class is
/// the declaration site (a struct field, a per-CPU variable), an instance is one object.
public enum LockKind: String, Sendable, Hashable {
  case spinlock = "spinlock_t"
  case rawSpinlock = "raw_spinlock_t"
  case rwlock = "rwlock_t"
  /// Sleeping locks: a waiter gives its CPU up.
  case mutex = "struct mutex"
  case rwsem = "struct rw_semaphore"
  case percpuRwsem = "struct percpu_rw_semaphore"

  public var sleeps: Bool { self == .mutex || self == .rwsem || self == .percpuRwsem }
}

/// One lock object.
public struct LockInstance: Sendable, Hashable {
  /// The instance as a C expression a developer recognises: `pci_bus_klist.k_lock`,
  /// `runqueues[1].__lock`.
  public var name: String
  /// Lockdep's view: the declaration it was initialised from (`klist.k_lock`).
  public var className: String
  public var kind: LockKind
}

/// A struct instance: where each of its fields lives.
public struct ObjectInstance: Sendable {
  public var name: String
  public var structName: String
  /// Per field, in declaration order: a lock id, a nested object id, a list id, or a global slot.
  public var fieldSlots: [Int]
  /// For an object nested in another (`kioctx.rcu`): the container and the field index, so
  /// `container_of` can find it. -1 for top-level objects.
  public var parent: Int = -1
  public var parentField: Int = -1
}

/// A scalar global (int, bool or pointer), or a scalar field of an object.
public struct GlobalSlot: Sendable {
  public var name: String
  public var initial: Int
}

/// The static type of a value in the language.
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
  case int, bool, void
  case lock(LockKind)
  case object(String)      // a struct lvalue; "*" is the pointee of `void *`
  /// A function used as a value (work_func_t, rcu_callback_t, ...).
  case function
  /// `struct list_head`: a native FIFO of object pointers.
  case list
  case pointer(ValueType)

  public var description: String {
    switch self {
    case .int: return "int"
    case .bool: return "bool"
    case .void: return "void"
    case .lock(let k): return k.rawValue
    case .object(let s): return s == "*" ? "void" : "struct \(s)"
    case .function: return "function"
    case .list: return "struct list_head"
    case .pointer(let t): return "\(t) *"
    }
  }
  var isScalar: Bool {
    switch self {
    case .int, .bool, .pointer, .function: return true
    default: return false
    }
  }
}

/// A compiled expression. Reading `.global`/`.load` touches shared state (a visible operation).
public indirect enum CExpr: Sendable, Hashable {
  case constant(Int)
  case local(Int)
  case global(Int)
  /// The slot of field `index` of the object `base` evaluates to (a lock id, object id or slot).
  case field(CExpr, Int)
  /// The value held in the global slot `slot` evaluates to.
  case load(CExpr)
  /// `base + cpu`: an element of a per-CPU or array family, bounds-checked against `count`.
  case element(base: Int, count: Int, index: CExpr)
  case unary(UnaryOp, CExpr)
  case binary(BinaryOp, CExpr, CExpr)
  case conditional(CExpr, CExpr, CExpr)
  case query(Query)
  /// `container_of(ptr, struct S, member)`: checked against the object table at run time.
  case containerOf(CExpr, structName: String, field: Int)

  /// Context queries that read only the running CPU's own state.
  public enum Query: String, Sendable, Hashable {
    case smpProcessorId = "smp_processor_id"
    case inInterrupt = "in_interrupt"
    case inHardirq = "in_hardirq"
    case inSoftirq = "in_softirq"
    case inServingSoftirq = "in_serving_softirq"
    case inTask = "in_task"
    case irqsDisabled = "irqs_disabled"
    case preemptible = "preemptible"
    /// `current`: the task_struct of the running task (the interrupted one in interrupt
    /// context), NULL on an idle CPU.
    case current = "current"
    case numPossibleCPUs = "num_possible_cpus"
  }

  /// Whether evaluating this reads shared (global) state.
  var readsShared: Bool {
    switch self {
    case .constant, .local, .query: return false
    case .global, .load: return true
    case .field(let b, _): return b.readsShared
    case .element(_, _, let i): return i.readsShared
    case .unary(_, let a): return a.readsShared
    case .binary(_, let a, let b): return a.readsShared || b.readsShared
    case .conditional(let a, let b, let c): return a.readsShared || b.readsShared || c.readsShared
    case .containerOf(let a, _, _): return a.readsShared
    }
  }
}

/// Where a value is stored.
public enum LValue: Sendable, Hashable {
  case local(Int)
  /// A global slot; the expression computes the slot index.
  case global(CExpr)
}

/// How a lock is taken or released, matching the kernel's API families.
public enum LockFlavor: String, Sendable, Hashable {
  case plain = "", bh = "_bh", irq = "_irq", irqsave = "_irqsave"
}

/// Which side of the lock an operation uses.
public enum LockMode: String, Sendable, Hashable { case exclusive, read, write }

/// A kernel API call the machine implements natively.
public enum Primitive: Sendable, Hashable {
  case acquire(LockKind, LockMode, LockFlavor, trylock: Bool)
  case release(LockKind, LockMode, LockFlavor)
  case localIrqDisable, localIrqEnable, localIrqSave, localIrqRestore
  case localBhDisable, localBhEnable
  case preemptDisable, preemptEnable
  case raiseSoftirq(irqsOff: Bool)
  /// `BUG_ON(cond)` / `WARN_ON(cond)`: a report when the condition holds.
  case assertion(fatal: Bool)
  /// `cpu_relax()` and barriers: a visible no-op (an explicit interleaving point).
  case relax
  /// Atomic read-modify-write on an int slot (one step: nothing interleaves inside it).
  case atomic(AtomicOp)
  /// Native list_head operations (kernel lists hold object pointers).
  case list(ListOp)
  /// The scheduler's native core (kernel/sched): task state, runqueue membership, switching.
  case sched(SchedOp)
  /// The RCU grace-period machine (kernel/rcu/tree.c, abstracted).
  case rcu(RCUOp)
  /// `arch_irq_work_raise()`: a self-IPI delivered once this CPU has interrupts enabled.
  case irqWorkRaise
  /// Sleeping locks (kernel/locking/mutex.c, rwsem.c, percpu-rwsem.c): the native state
  /// changes under the prelude's lock/unlock paths.
  case sleepLock(SleepLockOp)
  /// `might_sleep()`: "sleeping function called from invalid context" when atomic.
  case mightSleep
  /// `msleep()`/`schedule_timeout()`: a voluntary sleep that ends by itself.
  case msleep
}

public enum SleepLockOp: String, Sendable, Hashable {
  case mutexLockOrQueue = "__mutex_lock_or_queue", mutexTrylock = "__mutex_trylock", mutexUnlock = "__mutex_unlock"
  case downReadOrQueue = "__down_read_or_queue", downWriteOrQueue = "__down_write_or_queue"
  case downReadTrylock = "__down_read_trylock", downWriteTrylock = "__down_write_trylock"
  case upRead = "__up_read", upWrite = "__up_write"
  case percpuDownReadOrQueue = "__percpu_down_read_or_queue", percpuUpRead = "__percpu_up_read"
  case percpuDownWriteOrQueue = "__percpu_down_write_or_queue", percpuUpWrite = "__percpu_up_write"
  case nextWakee = "__lock_next_wakee"
}

public enum AtomicOp: String, Sendable, Hashable {
  case testAndSetBit = "test_and_set_bit", testAndClearBit = "test_and_clear_bit", setBit = "set_bit"
  case clearBit = "clear_bit", testBit = "test_bit", inc = "atomic_inc", dec = "atomic_dec"
  case decAndTest = "atomic_dec_and_test", read = "atomic_read", set = "atomic_set"
  case incReturn = "atomic_inc_return", xchg = "xchg", cmpxchg = "cmpxchg"
}

public enum ListOp: String, Sendable, Hashable {
  case addTail = "list_add_tail", addHead = "list_add", delInit = "list_del_init", empty = "list_empty"
  case popFirst = "list_pop_first", first = "list_first", next = "list_next", contains = "list_contains"
}

public enum SchedOp: String, Sendable, Hashable {
  case setCurrentState = "set_current_state", setCurrentStateRaw = "__set_current_state"
  case taskState = "task_state", taskOnRQ = "task_on_rq", taskCPU = "task_cpu"
  case selectTaskRQ = "select_task_rq", ttwuDoActivate = "ttwu_do_activate"
  case ttwuSetRunning = "ttwu_set_running", deactivate = "__schedule_deactivate"
  case contextSwitch = "__context_switch"
  /// `__waits_for(&p)`: until the next wakeup, the current task cannot progress unless the task
  /// whose `struct task_struct *` is stored at `p` acts (the waits-for graph draws the edge).
  case waitsFor = "__waits_for"
}

public enum RCUOp: String, Sendable, Hashable {
  case readLock = "rcu_read_lock", readUnlock = "rcu_read_unlock", enqueue = "__call_rcu_enqueue"
  case schedClockIrq = "rcu_sched_clock_irq", dequeueReady = "rcu_dequeue_ready"
  case waitGP = "__wait_rcu_gp", readLockHeld = "rcu_read_lock_held"
}

public struct Instruction: Sendable {
  public enum Op: Sendable {
    case setLocal(Int, CExpr)
    case store(LValue, CExpr)
    case jump(Int)
    case branchIfFalse(CExpr, Int)
    case call(function: Int, arguments: [CExpr], result: Int?)
    /// A call through a function pointer; the callee's arity is checked when it runs.
    case callIndirect(CExpr, arguments: [CExpr])
    case primitive(Primitive, name: String, arguments: [CExpr], out: LValue?, result: Int?)
    case either([Int])
    case returnValue(CExpr?)
  }
  public var op: Op
  public var location: SourceLocation
  /// Visible instructions are interleaving points; invisible ones are fused into the step
  /// before them (they touch only the context's own locals).
  public var visible: Bool
}

public struct CompiledFunction: Sendable {
  public var name: String
  public var returnType: ValueType
  public var parameterCount: Int
  public var localCount: Int
  public var localNames: [String]
  public var code: [Instruction]
  public var location: SourceLocation
}

public struct TaskInfo: Sendable {
  public var name: String
  public var cpu: Int?
  public var entry: Int
  /// Kernel threads start asleep at the top of their entry and need not finish.
  public var kthread = false
  /// The entry's argument (the CPU of an `on each cpu` kthread).
  public var arguments: [Int] = []
  /// Its `struct task_struct` object (0 when the prelude's task_struct is not loaded).
  public var object: Int = 0
}

public struct IrqSource: Sendable {
  public var name: String
  public var cpu: Int
  public var handler: Int
  /// Firings allowed by the scenario (nil: the explorer's default bound).
  public var fires: Int?
}

public struct SoftirqVector: Sendable {
  public var name: String
  public var handler: Int
}

public struct Expectation: Sendable {
  public var outcome: ExpectDecl.Outcome
  /// Lock instance ids that must all appear in one reported cycle.
  public var locks: [Int]
  public var location: SourceLocation
}

public struct Program: Sendable {
  public var path: String
  public var title: String
  public var cpuCount: Int
  public var locks: [LockInstance]
  public var objects: [ObjectInstance]
  public var globals: [GlobalSlot]
  public var functions: [CompiledFunction]
  public var tasks: [TaskInfo]
  public var irqs: [IrqSource]
  public var softirqs: [SoftirqVector]
  public var expectations: [Expectation]
  /// The first expect line (nil without one); `expectations` has them all.
  public var expectation: Expectation? { expectations.first }
  /// Every expect line: all must hold (several `expect deadlock on ...;` lines each name one
  /// cycle that must be found).
  /// Native list instances (list_head fields and globals), by name.
  public var lists: [String] = []
  /// The hardirq handler of the irq_work self-IPI (`__sysvec_irq_work` in the prelude).
  public var ipiHandler: Int?
  /// The RCU_SOFTIRQ vector, raised by `rcu_sched_clock_irq()` when callbacks are ready.
  public var rcuSoftirq: Int?
  /// Preemptions the explorer may inject per run (at points where a task is preemptible).
  public var preemptions: Int = 0
  /// Functions whose address is taken (used as a value or in an initialiser): the only possible
  /// targets of an indirect call. Partial-order reduction uses it to bound what a call through
  /// a work, timer or RCU callback pointer may touch.
  public var addressTakenFunctions: [Int] = []

  /// The value of a pointer to function `index`: the index plus one, so that 0 is NULL. With
  /// the index itself, a NULL callback (a timer whose function was never set, `call_rcu(h,
  /// NULL)`) called the program's first function, `irq_work_queue` with the prelude, and
  /// `if (f)` took a pointer to it for NULL.
  public static func functionValue(_ index: Int) -> Int { index + 1 }
  /// The function a pointer value names, if any (nil for NULL and for non-function values).
  public func function(atValue v: Int) -> Int? { v >= 1 && v <= functions.count ? v - 1 : nil }

  /// The scenario's short name: its file name without directory and extension.
  public var name: String {
    let last = path.split(separator: "/").last.map(String.init) ?? path
    return last.hasSuffix(".ksim") ? String(last.dropLast(5)) : last
  }
}
