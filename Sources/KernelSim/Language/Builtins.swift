/// The kernel API the scenario language knows natively, and what each call's arguments must be.
///
/// Every entry maps a kernel function name onto a `Primitive`; the checker uses the argument
/// kinds to reject, for example, `spin_lock` on a `raw_spinlock_t` (the kernel would not compile
/// it either) or `read_lock` on a `spinlock_t`.
struct Builtin {
  enum Argument {
    /// A pointer to a lock of this kind: `&x.lock` or a `spinlock_t *` value.
    case lock(LockKind)
    /// An integer lvalue the macro assigns (`flags` in `spin_lock_irqsave(&l, flags)`).
    case outFlags
    /// An integer value (`flags` in `spin_unlock_irqrestore`).
    case value
    /// A softirq vector name declared with `softirq NAME => handler;`.
    case softirqVector
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
    return t
  }()

  /// Functions that only read the running context's own state (no interleaving point).
  static let queries: [String: CExpr.Query] = [
    "smp_processor_id": .smpProcessorId, "raw_smp_processor_id": .smpProcessorId,
    "in_interrupt": .inInterrupt, "in_irq": .inHardirq, "in_hardirq": .inHardirq,
    "in_softirq": .inSoftirq, "in_serving_softirq": .inServingSoftirq, "in_task": .inTask,
    "irqs_disabled": .irqsDisabled, "preemptible": .preemptible,
  ]
}
