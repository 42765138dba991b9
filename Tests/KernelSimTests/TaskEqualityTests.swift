import Testing
@testable import KernelSim

/// The encoder skips a task equal to the initial state's (`TaskState.same`, a field-by-field
/// comparison written out by hand for speed). A field it forgot would make two different
/// states encode alike, so: every stored property must be compared, and changing any one of
/// them must count as a difference.
@Suite struct TaskEqualityTests {
  static func base() -> TaskState {
    TaskState(status: .ready(cpu: 0), context: Context(kind: .task(0), frames: [Frame(function: 0, pc: 0, locals: [0], result: -1)], irqsOff: false))
  }

  static func same(_ a: TaskState, _ b: TaskState) -> Bool {
    withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in TaskState.same(pa, pb) } }
  }

  static let changes: [(String, @Sendable (inout TaskState) -> Void)] = [
      ("status", { $0.status = .sleeping }), ("state", { $0.state = 2 }), ("onRQ", { $0.onRQ = false }),
      ("cpu", { $0.cpu = 1 }), ("waitGP", { $0.waitGP = 3 }), ("waitLock", { $0.waitLock = 4 }),
      ("waitFor", { $0.waitFor = 5 }), ("kind", { $0.context.kind = .task(1) }),
      ("frames", { $0.context.frames[0].locals[0] = 7 }), ("pc", { $0.context.frames[0].pc = 3 }),
      ("depth", { $0.context.push(function: 0, locals: [], result: -1) }), ("irqsOff", { $0.context.irqsOff = true }),
      ("preempt", { $0.context.preempt = 1 }), ("bh", { $0.context.bh = 1 }),
      ("spinningOn", { $0.context.spinningOn = 2 }), ("spinMode", { $0.context.spinMode = .read }),
      ("vector", { $0.context.vector = 3 }), ("batch", { $0.context.batch = 1 }),
      ("restarts", { $0.context.restarts = 1 }), ("rcuDepth", { $0.context.rcuDepth = 1 }),
  ]

  @Test func everyFieldIsCompared() {
    // If a property is added, `TaskState.same` must compare it, and this count must change.
    #expect(Mirror(reflecting: Self.base()).children.count == 8)
    // The call stack is three of them: its words, the top frame's offset and the depth; the
    // irq/bh/preempt state, RCU nesting, spinning and softirq fields are packed into two words.
    #expect(Mirror(reflecting: Self.base().context).children.count == 6)
    #expect(Self.same(Self.base(), Self.base()))
    for (name, change) in Self.changes {
      var t = Self.base()
      change(&t)
      #expect(!Self.same(Self.base(), t), "a change of \(name) went unnoticed")
      #expect(Self.same(t, t))
    }
  }

  /// The visited set's task part cache answers with an id only for an equal task: one built
  /// apart (its own call-stack buffer) hits, and a task differing in any one field misses,
  /// whatever slot its hash picks.
  @Test func taskPartCacheHitsOnlyEqualTasks() {
    var cache = VisitedSet.TaskPartCache()
    let a = Self.base()
    cache.remember(a, hash: a.valueHash(), id: 7)
    var b = Self.base()
    b.context.setLocal(0, 0)  // the same words, in a buffer of its own
    #expect(withUnsafePointer(to: b) { cache.id(of: $0, hash: b.valueHash()) } == 7)
    for (name, change) in Self.changes {
      var t = Self.base()
      change(&t)
      // Under the remembered task's hash too: a collision must still miss.
      #expect(withUnsafePointer(to: t) { cache.id(of: $0, hash: a.valueHash()) } == nil, "a task with a different \(name) hit")
      #expect(withUnsafePointer(to: t) { cache.id(of: $0, hash: t.valueHash()) } == nil, "a task with a different \(name) hit")
    }
  }

  /// The visited set's CPU part cache likewise: an equal CPU built apart hits, and a CPU that
  /// differs in any field, or in a stacked context's counts or frames, misses.
  @Test func cpuPartCacheHitsOnlyEqualCPUs() {
    func cpu(_ change: (inout CPUState) -> Void = { _ in }) -> CPUState {
      var c = CPUState()
      c.current = 1
      var ctx = Context(kind: .hardirq(0), frames: [Frame(function: 2, pc: 3, locals: [4, 5], result: -1)], irqsOff: true)
      ctx.preempt = 1
      c.stack = [ctx]
      change(&c)
      return c
    }
    var cache = VisitedSet.CPUPartCache()
    let a = cpu()
    cache.remember(a, hash: a.valueHash(), id: 9)
    let b = cpu()  // equal, with buffers of its own
    #expect(withUnsafePointer(to: b) { cache.id(of: $0, hash: b.valueHash()) } == 9)
    let changes: [(String, (inout CPUState) -> Void)] = [
      ("current", { $0.current = 2 }), ("softirqPending", { $0.softirqPending = 1 }), ("ipiPending", { $0.ipiPending = true }),
      ("rcuCallbacks", { $0.rcuCallbacks = [RCUCallback(head: 1, gp: 1)] }), ("a context", { $0.stack.append(Context(kind: .softirq, frames: [], irqsOff: false)) }),
      ("a context's count", { $0.stack[0].bh = 1 }), ("a context's irq state", { $0.stack[0].irqsOff = false }),
      ("a local", { $0.stack[0].setLocal(1, 6) }), ("a pc", { $0.stack[0].setPC(4) }),
    ]
    for (name, change) in changes {
      let c = cpu(change)
      #expect(withUnsafePointer(to: c) { cache.id(of: $0, hash: a.valueHash()) } == nil, "a CPU with a different \(name) hit")
      #expect(withUnsafePointer(to: c) { cache.id(of: $0, hash: c.valueHash()) } == nil, "a CPU with a different \(name) hit")
    }
  }

  /// The visited set keeps a parent's id for a CPU, for the locks or for the data when they
  /// compare equal (`CPUState.same`, `MachineState.sameLocks`, `sameData`): the same holds for
  /// them, and each field of the rest belongs to exactly one of the two parts.
  @Test func everyCPUAndRestFieldIsCompared() {
    let cpu = CPUState()
    #expect(Mirror(reflecting: cpu).children.count == 5)
    let cpuChanges: [(String, (inout CPUState) -> Void)] = [
      ("current", { $0.current = 1 }), ("stack", { $0.stack = [Context(kind: .softirq, frames: [], irqsOff: false)] }),
      ("softirqPending", { $0.softirqPending = 2 }), ("ipiPending", { $0.ipiPending = true }),
      ("rcuCallbacks", { $0.rcuCallbacks = [RCUCallback(head: 0, gp: 1)] }),
    ]
    func same(_ a: CPUState, _ b: CPUState) -> Bool {
      withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in CPUState.same(pa, pb) } }
    }
    #expect(same(cpu, cpu))
    for (name, change) in cpuChanges {
      var c = cpu
      change(&c)
      #expect(!same(cpu, c), "a change of \(name) went unnoticed")
    }

    let s = MachineState(cpus: [cpu], tasks: [Self.base()], locks: [LockState()], lockQueues: LockQueueTable(count: 1), globals: [0],
                         firesLeft: [1], lists: [[]])
    // cpus and tasks are compared part by part; the other seven are the rest.
    #expect(Mirror(reflecting: s).children.count == 9)
    let restChanges: [(String, (inout MachineState) -> Void)] = [
      ("locks", { $0.locks[0].owner = .task(0) }), ("lockQueues", { $0.lockQueues[0].wakees = [0] }),
      ("globals", { $0.globals[0] = 1 }), ("firesLeft", { $0.firesLeft[0] = 0 }), ("lists", { $0.lists[0] = [3] }),
      ("rcu", { $0.rcu.gpSeq = 1 }), ("preemptionsLeft", { $0.preemptionsLeft = 1 }),
    ]
    #expect(s.sameLocks(as: s) && s.sameData(as: s))
    for (name, change) in restChanges {
      var t = s
      change(&t)
      let inLocks = name == "locks" || name == "lockQueues"
      #expect(t.sameLocks(as: s) != inLocks, "a change of \(name) went unnoticed or reached the locks part")
      #expect(t.sameData(as: s) == inLocks, "a change of \(name) went unnoticed or reached the data part")
    }
  }
}
