/// The kernel API the scenario language knows natively, and what each call's arguments must be.
///
/// Every entry maps a kernel function name onto a `Primitive`; the checker uses the argument
/// kinds to reject, for example, `spin_lock` on a `raw_spinlock_t` (the kernel would not compile
/// it either) or `read_lock` on a `spinlock_t`.
struct Builtin {
  enum Argument: Equatable {
    /// A pointer to a lock of this kind: `&x.lock` or a `spinlock_t *` value.
    case lock(LockKind)
    /// An integer lvalue the macro assigns (`flags` in `spin_lock_irqsave(&l, flags)`).
    case outFlags
    /// An integer value (`flags` in `spin_unlock_irqrestore`).
    case value
    /// A softirq vector name declared with `softirq NAME => handler;`.
    case softirqVector
    /// `&head`: a pointer to a `struct list_head`.
    case list
    /// A pointer to any object (struct instance); NULL allowed.
    case object
    /// `&counter`: a pointer to an int variable or field.
    case intPointer
    /// A task: `struct task_struct *`.
    case task
    /// A pointer to a lock of any kind.
    case anyLock
  }
  var primitive: Primitive
  var arguments: [Argument]
  var returns: ValueType

  static let table: [String: Builtin] = {
    var t: [String: Builtin] = [:]
    // spinlock_t, raw_spinlock_t and rwlock_t families: include/linux/spinlock.h, rwlock.h.
    let families: [(prefix: String, kind: LockKind, mode: LockMode)] = [
      ("spin", .spinlock, .exclusive), ("raw_spin", .rawSpinlock, .exclusive),
      ("read", .rwlock, .read), ("write", .rwlock, .write),
    ]
    for f in families {
      for flavor in [LockFlavor.plain, .bh, .irq, .irqsave] {
        let lockName = "\(f.prefix)_lock\(flavor.rawValue)"
        let unlockName = flavor == .irqsave ? "\(f.prefix)_unlock_irqrestore" : "\(f.prefix)_unlock\(flavor.rawValue)"
        let extra: [Argument] = flavor == .irqsave ? [.outFlags] : []
        t[lockName] = Builtin(primitive: .acquire(f.kind, f.mode, flavor, trylock: false),
                              arguments: [.lock(f.kind)] + extra, returns: .void)
        t[unlockName] = Builtin(primitive: .release(f.kind, f.mode, flavor),
                                arguments: [.lock(f.kind)] + (flavor == .irqsave ? [.value] : []), returns: .void)
        let tryName = "\(f.prefix)_trylock\(flavor.rawValue)"
        t[tryName] = Builtin(primitive: .acquire(f.kind, f.mode, flavor, trylock: true),
                             arguments: [.lock(f.kind)] + extra, returns: .bool)
      }
    }
    // include/linux/irqflags.h
    t["local_irq_disable"] = Builtin(primitive: .localIrqDisable, arguments: [], returns: .void)
    t["local_irq_enable"] = Builtin(primitive: .localIrqEnable, arguments: [], returns: .void)
    t["local_irq_save"] = Builtin(primitive: .localIrqSave, arguments: [.outFlags], returns: .void)
    t["local_irq_restore"] = Builtin(primitive: .localIrqRestore, arguments: [.value], returns: .void)
    // include/linux/bottom_half.h
    t["local_bh_disable"] = Builtin(primitive: .localBhDisable, arguments: [], returns: .void)
    t["local_bh_enable"] = Builtin(primitive: .localBhEnable, arguments: [], returns: .void)
    // include/linux/preempt.h
    t["preempt_disable"] = Builtin(primitive: .preemptDisable, arguments: [], returns: .void)
    t["preempt_enable"] = Builtin(primitive: .preemptEnable, arguments: [], returns: .void)
    // kernel/softirq.c
    t["raise_softirq"] = Builtin(primitive: .raiseSoftirq(irqsOff: false), arguments: [.softirqVector], returns: .void)
    t["raise_softirq_irqoff"] = Builtin(primitive: .raiseSoftirq(irqsOff: true), arguments: [.softirqVector], returns: .void)
    t["BUG_ON"] = Builtin(primitive: .assertion(fatal: true), arguments: [.value], returns: .void)
    t["WARN_ON"] = Builtin(primitive: .assertion(fatal: false), arguments: [.value], returns: .void)
    t["cpu_relax"] = Builtin(primitive: .relax, arguments: [], returns: .void)
    // Atomics (include/linux/atomic.h, bitops): one indivisible step each.
    let voidPtr = ValueType.pointer(.object("*"))
    let atomics: [(AtomicOp, [Argument], ValueType)] = [
      (.testAndSetBit, [.value, .intPointer], .bool), (.testAndClearBit, [.value, .intPointer], .bool),
      (.setBit, [.value, .intPointer], .void), (.clearBit, [.value, .intPointer], .void),
      (.testBit, [.value, .intPointer], .bool), (.inc, [.intPointer], .void), (.dec, [.intPointer], .void),
      (.decAndTest, [.intPointer], .bool), (.read, [.intPointer], .int), (.set, [.intPointer, .value], .void),
      (.incReturn, [.intPointer], .int), (.xchg, [.intPointer, .value], .int),
      (.cmpxchg, [.intPointer, .value, .value], .int),
    ]
    for (op, args, r) in atomics { t[op.rawValue] = Builtin(primitive: .atomic(op), arguments: args, returns: r) }
    // include/linux/list.h, as ksim's native FIFO of object pointers.
    let lists: [(ListOp, [Argument], ValueType)] = [
      (.addTail, [.object, .list], .void), (.addHead, [.object, .list], .void), (.delInit, [.object, .list], .void),
      (.empty, [.list], .bool), (.popFirst, [.list], voidPtr), (.first, [.list], voidPtr),
      (.next, [.object, .list], voidPtr), (.contains, [.object, .list], .bool),
    ]
    for (op, args, r) in lists { t[op.rawValue] = Builtin(primitive: .list(op), arguments: args, returns: r) }
    // kernel/sched/core.c: the native scheduler core the prelude's paths are written on.
    let sched: [(SchedOp, [Argument], ValueType)] = [
      (.setCurrentState, [.value], .void), (.setCurrentStateRaw, [.value], .void), (.taskState, [.task], .int),
      (.taskOnRQ, [.task], .bool), (.taskCPU, [.task], .int), (.selectTaskRQ, [.task], .int),
      (.ttwuDoActivate, [.task, .value], .void), (.ttwuSetRunning, [.task], .void), (.deactivate, [], .void),
      (.contextSwitch, [], .void), (.waitsFor, [.intPointer], .void),
    ]
    for (op, args, r) in sched { t[op.rawValue] = Builtin(primitive: .sched(op), arguments: args, returns: r) }
    // kernel/rcu: read side and the grace-period machine.
    let rcu: [(RCUOp, [Argument], ValueType)] = [
      (.readLock, [], .void), (.readUnlock, [], .void), (.enqueue, [.object], .void), (.schedClockIrq, [], .void),
      (.dequeueReady, [], voidPtr), (.waitGP, [], .void), (.readLockHeld, [], .bool),
    ]
    for (op, args, r) in rcu { t[op.rawValue] = Builtin(primitive: .rcu(op), arguments: args, returns: r) }
    t["arch_irq_work_raise"] = Builtin(primitive: .irqWorkRaise, arguments: [], returns: .void)
    // Sleeping locks' native core; the prelude writes mutex_lock() & co. on top.
    let sleepers: [(SleepLockOp, LockKind, ValueType)] = [
      (.mutexLockOrQueue, .mutex, .bool), (.mutexTrylock, .mutex, .bool), (.mutexUnlock, .mutex, .void),
      (.downReadOrQueue, .rwsem, .bool), (.downWriteOrQueue, .rwsem, .bool), (.downReadTrylock, .rwsem, .bool),
      (.downWriteTrylock, .rwsem, .bool), (.upRead, .rwsem, .void), (.upWrite, .rwsem, .void),
      (.percpuDownReadOrQueue, .percpuRwsem, .bool), (.percpuUpRead, .percpuRwsem, .void),
      (.percpuDownWriteOrQueue, .percpuRwsem, .bool), (.percpuUpWrite, .percpuRwsem, .void),
    ]
    for (op, kind, r) in sleepers { t[op.rawValue] = Builtin(primitive: .sleepLock(op), arguments: [.lock(kind)], returns: r) }
    t["__lock_next_wakee"] = Builtin(primitive: .sleepLock(.nextWakee), arguments: [.anyLock], returns: .pointer(.object("*")))
    t["might_sleep"] = Builtin(primitive: .mightSleep, arguments: [], returns: .void)
    t["__msleep"] = Builtin(primitive: .msleep, arguments: [], returns: .void)
    return t
  }()

  /// Functions that only read the running context's own state (no interleaving point).
  static let queries: [String: CExpr.Query] = [
    "smp_processor_id": .smpProcessorId, "raw_smp_processor_id": .smpProcessorId,
    "in_interrupt": .inInterrupt, "in_irq": .inHardirq, "in_hardirq": .inHardirq,
    "in_softirq": .inSoftirq, "in_serving_softirq": .inServingSoftirq, "in_task": .inTask,
    "irqs_disabled": .irqsDisabled, "preemptible": .preemptible,
    "num_possible_cpus": .numPossibleCPUs, "num_online_cpus": .numPossibleCPUs,
  ]
}
