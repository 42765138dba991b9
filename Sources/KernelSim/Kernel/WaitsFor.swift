/// The waits-for relation between contexts (DESIGN §5): who cannot progress until whom.
///
/// Every edge means "X can make no progress until Y acts", and a blocked context needs *all* of
/// its targets to act, so any cycle can never resolve: that is an actual deadlock.
public struct WaitEdge: Hashable, Sendable {
  public enum Reason: Hashable, Sendable {
    /// X spins on `lock`, which Y holds (or, for a queued reader, Y is a writer queued first).
    case spinsOn(lock: Int, mode: LockMode)
    /// X is below Y on the same CPU: Y must finish before X runs again.
    case interruptedBy
    /// X sleeps in synchronize_rcu(): the grace period needs Y (a task blocked inside
    /// rcu_read_lock(), or the running context of a CPU that has not passed a quiescent state).
    case gracePeriod
    /// X sleeps on sleeping lock `lock`: Y holds it, is a writer queued ahead of X, or (a
    /// pending percpu-rwsem writer) has blocked new readers.
    case sleepsOn(lock: Int, mode: LockMode)
    /// X sleeps until task Y, whose task_struct pointer is in global `slot`, finishes what it is
    /// running (flush_work(): the worker executing the work item, lockdep's work map).
    case completion(slot: Int)
  }
  public var from: ContextRef
  public var to: ContextRef
  public var reason: Reason
}

extension Machine {
  /// Outgoing waits-for edges of `ref` in `s`, in a fixed order.
  public func waitEdges(_ s: MachineState, from ref: ContextRef) -> [WaitEdge] {
    var edges: [WaitEdge] = []
    appendWaitEdges(s, from: ref, to: &edges)
    return edges
  }

  /// `waitEdges(_:from:)` appended to `edges`: the cycle search keeps one buffer for every
  /// context it visits (an array of edges and of targets per blocked context, in every new
  /// state with a waiter, was most of its cost).
  func appendWaitEdges(_ s: MachineState, from ref: ContextRef, to edges: inout [WaitEdge]) {
    // Each target of a group once, first occurrence first (a handful: a linear scan).
    func add(_ t: ContextRef, _ reason: WaitEdge.Reason, groupStart: Int) {
      for k in groupStart..<edges.count where edges[k].to == t { return }
      edges.append(WaitEdge(from: ref, to: t, reason: reason))
    }
    let spin = s.spinning(ref)
    if spin.lock >= 0 {
      let lock = Int(spin.lock)
      let l = s.locks[lock]
      let q = s.lockQueues[lock]
      let reason = WaitEdge.Reason.spinsOn(lock: lock, mode: spin.mode)
      let group = edges.count
      if !l.owner.isNone { add(l.owner, reason, groupStart: group) }
      if spin.mode != .read { for r in q.readers { add(r, reason, groupStart: group) } }
      if spin.mode == .read, l.owner.isNone, let cpu = s.cpu(of: ref), !inInterrupt(s, cpu: cpu) {
        for w in waitingWriters(s, lock: lock) { add(w, reason, groupStart: group) }
      }
    }
    if let up = s.above(ref) { edges.append(WaitEdge(from: ref, to: up, reason: .interruptedBy)) }
    // A queued task still on its CPU is on its way into schedule() and can still release the
    // spinlocks it holds there (the rq lock): only once it is off the CPU can it not progress.
    if ref.isTask, s.tasks[ref.taskIndex].waitLock >= 0, s.cpu(of: ref) == nil {
      let lock = Int(s.tasks[ref.taskIndex].waitLock)
      let l = s.locks[lock]
      let q = s.lockQueues[lock]
      let me = Int32(ref.taskIndex)
      let mine = q.waiters.firstIndex { $0.task == me }
      let mode = mine.map { q.waiters[$0].mode } ?? .write
      let reason = WaitEdge.Reason.sleepsOn(lock: lock, mode: mode)
      let group = edges.count
      if !l.owner.isNone { add(l.owner, reason, groupStart: group) }
      switch program.locks[lock].kind {
      case .mutex:
        break
      case .rwsem:
        if mode == .write {
          for r in q.readers { add(r, reason, groupStart: group) }
          if let i = mine { for w in q.waiters[..<i] { add(.task(Int(w.task)), reason, groupStart: group) } }
        } else if let head = q.waiters.first, head.mode == .write, head.task != me {
          add(.task(Int(head.task)), reason, groupStart: group)
        }
      case .percpuRwsem:
        if l.pendingWriter == ref {
          for r in q.readers { add(r, reason, groupStart: group) }
        } else {
          if !l.pendingWriter.isNone { add(l.pendingWriter, reason, groupStart: group) }
          if mode == .write, let i = mine { for w in q.waiters[..<i] { add(.task(Int(w.task)), reason, groupStart: group) } }
        }
      default:
        break
      }
    }
    // Only while asleep: a task that was woken (or never slept) waits for nobody.
    if ref.isTask, s.tasks[ref.taskIndex].waitFor > 0, s.tasks[ref.taskIndex].status == .sleeping {
      let slot = Int(s.tasks[ref.taskIndex].waitFor)
      // A worker flushing its own running work waits for itself: a cycle of one.
      if let t = task(ofObject: s.globals[slot]) {
        edges.append(WaitEdge(from: ref, to: .task(t), reason: .completion(slot: slot)))
      }
    }
    if ref.isTask, s.tasks[ref.taskIndex].waitGP >= 0 {
      for t in rcuBlockedReaders(s) { edges.append(WaitEdge(from: ref, to: .task(t), reason: .gracePeriod)) }
      for cpu in s.cpus.indices where s.rcu.qsNeeded & (1 << UInt16(cpu)) != 0 {
        if let top = s.top(of: cpu) { edges.append(WaitEdge(from: ref, to: top, reason: .gracePeriod)) }
      }
    }
  }

  /// Every task (on a CPU or not) that waits for something, plus interrupt contexts, appended
  /// to `refs`.
  func graphNodes(_ s: MachineState, into refs: inout [ContextRef]) {
    for cpu in s.cpus.indices { s.forEachContext(of: cpu) { r, _ in refs.append(r) } }
    for t in s.tasks.indices where s.tasks[t].waitGP >= 0 && s.cpu(of: .task(t)) == nil { refs.append(.task(t)) }
    for t in rcuBlockedReaders(s) where s.cpu(of: .task(t)) == nil && !refs.contains(.task(t)) { refs.append(.task(t)) }
    for t in s.tasks.indices where (s.tasks[t].waitLock >= 0 || s.tasks[t].waitFor > 0) && s.cpu(of: .task(t)) == nil
      && !refs.contains(.task(t)) {
      refs.append(.task(t))
    }
  }

  /// Every context that exists in `s` (tasks on a CPU, then interrupt contexts).
  public func liveContexts(_ s: MachineState) -> [ContextRef] {
    var refs: [ContextRef] = []
    refs.reserveCapacity(2 * s.cpus.count)
    for cpu in s.cpus.indices { s.forEachContext(of: cpu) { r, _ in refs.append(r) } }
    return refs
  }

  /// Whether task `t` waits: asleep on a lock, a grace period or a task, or spinning (with
  /// `interruptSpins`, every context `anyoneBlocked` looks at, per part of a state).
  @inline(__always) func taskWaits(_ s: MachineState, _ t: Int) -> Bool {
    let task = s.tasks[t]
    return task.waitGP >= 0 || task.waitLock >= 0 || task.waitFor > 0 || task.context.spinningOn >= 0
  }

  /// Whether one of the interrupt contexts stacked on `cpu` spins.
  @inline(__always) func interruptSpins(_ s: MachineState, cpu: Int) -> Bool {
    s.cpus[cpu].stack.contains { $0.spinningOn >= 0 }
  }

  /// Whether any context waits (spins, or sleeps on a lock, a grace period or a task): the
  /// cheapest exit before `mayHaveCycle`, which would find no blocked context either but
  /// scans more slowly (leaving this out cost 0.3% of netfs_four_tasks' search).
  func anyoneBlocked(_ s: MachineState) -> Bool {
    if s.tasks.contains(where: { $0.waitGP >= 0 || $0.waitLock >= 0 || $0.waitFor > 0 }) { return true }
    var spinning = false
    for cpu in s.cpus.indices where !spinning {
      s.forEachContext(of: cpu) { _, ctx in spinning = spinning || ctx.spinningOn >= 0 }
    }
    return spinning
  }

  /// The first waits-for cycle in `s` (searching from contexts in a fixed order), as the list of
  /// edges around it, starting at its smallest context. Nil when there is none.
  public func findCycle(_ s: MachineState) -> [WaitEdge]? {
    var scratch = CycleScratch()
    return findCycle(s, scratch: &scratch)
  }

  /// Working arrays for `findCycle`, kept by the explorer from state to state: the search
  /// runs for every new state with a waiter, and allocating its node, path and edge arrays
  /// each time was most of its cost.
  struct CycleScratch {
    var nodes: [ContextRef] = []
    var path: [WaitEdge] = []
    var pending: [WaitEdge] = []
  }

  /// Whether `s` can have a waits-for cycle, by a necessary condition cheaper than the search:
  /// a cycle holds a blocked context (one waiting on a lock, a grace period or a task), since
  /// `interruptedBy` edges only go up a CPU's stack; the next context on the cycle has an edge
  /// of its own. So if every target of every blocked context has no outgoing edge (a running
  /// holder, on top of its CPU), there is no cycle. On netfs_four_tasks most new states with
  /// a waiter are such: a task asleep on a lock the running task holds.
  func mayHaveCycle(_ s: MachineState, scratch x: inout CycleScratch) -> Bool {
    func targetsMayContinue(_ ref: ContextRef) -> Bool {
      x.pending.clear()
      appendWaitEdges(s, from: ref, to: &x.pending)
      var k = 0
      while k < x.pending.count {
        let e = x.pending[k]
        // Only the blocked context's own waits: its `interruptedBy` edge leads up its stack,
        // where the contexts are either blocked (checked in their turn) or running free.
        if case .interruptedBy = e.reason { k += 1; continue }
        if e.to == ref { return true }
        let first = x.pending.count
        appendWaitEdges(s, from: e.to, to: &x.pending)
        if x.pending.count > first { return true }
        k += 1
      }
      return false
    }
    for t in s.tasks.indices where s.tasks[t].waitGP >= 0 || s.tasks[t].waitLock >= 0 || s.tasks[t].waitFor > 0 {
      if targetsMayContinue(.task(t)) { return true }
    }
    var may = false
    for cpu in s.cpus.indices where !may {
      s.forEachContext(of: cpu) { r, ctx in
        if !may && ctx.spinningOn >= 0 && targetsMayContinue(r) { may = true }
      }
    }
    return may
  }

  /// `findCycle(_:)` with the caller's working arrays.
  func findCycle(_ s: MachineState, scratch x: inout CycleScratch) -> [WaitEdge]? {
    guard anyoneBlocked(s), mayHaveCycle(s, scratch: &x) else { return nil }
    return searchCycle(s, scratch: &x)
  }

  /// The search itself, without the pre-checks (`CycleSearchTests` checks that they never
  /// skip a state where it finds a cycle).
  func searchCycle(_ s: MachineState, scratch x: inout CycleScratch) -> [WaitEdge]? {
    x.nodes.clear()
    graphNodes(s, into: &x.nodes)
    x.nodes.sort()
    // Colours in an array over every possible context (tasks, then each CPU's interrupt
    // levels): a dictionary here was hashed and allocated for every new state with a waiter.
    let taskCount = s.tasks.count
    func slot(_ r: ContextRef) -> Int { r.isTask ? r.taskIndex : taskCount + Int(-1 - r.raw) }
    // On the stack where small enough (`withUnsafeTemporaryAllocation`): allocating a heap
    // array of colours cost some 550 instructions per searched state.
    let slots = taskCount + s.cpus.count * Int(ContextRef.maxInterruptDepth)
    x.path.clear()
    x.pending.clear()
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: slots) { colors in
      colors.initialize(repeating: 0)
      return findCycle(s, nodes: x.nodes, path: &x.path, pending: &x.pending, colors: colors, slot: slot)
    }
  }

  /// The depth-first search from each of `nodes` in turn, over `colors` (per `slot`: 0 not
  /// reached, 1 on the current path, 2 done).
  /// `path`: the edges to the context being searched; `pending`: the edges of every context on
  /// the search path, each context's after its caller's (both empty at the start).
  private func findCycle(_ s: MachineState, nodes: [ContextRef], path: inout [WaitEdge], pending: inout [WaitEdge],
                         colors: UnsafeMutableBufferPointer<UInt8>, slot: (ContextRef) -> Int) -> [WaitEdge]? {
    func dfs(_ n: ContextRef) -> [WaitEdge]? {
      colors[slot(n)] = 1
      let first = pending.count
      appendWaitEdges(s, from: n, to: &pending)
      let end = pending.count
      for k in first..<end {
        let e = pending[k]
        if colors[slot(e.to)] == 1 {
          // Cycle: the edges from e.to around to n, then e.
          let start = path.firstIndex { $0.from == e.to } ?? path.count
          return Array(path[start...]) + [e]
        }
        if colors[slot(e.to)] == 0 {
          path.append(e)
          if let c = dfs(e.to) { return c }
          path.removeLast()
        }
      }
      pending.removeLast(pending.count - first)
      colors[slot(n)] = 2
      return nil
    }
    for n in nodes where colors[slot(n)] == 0 {
      if let cycle = dfs(n) {
        // Rotate so the cycle starts at its smallest context: the same cycle always reads the same.
        let i = cycle.indices.min { cycle[$0].from < cycle[$1].from }!
        return Array(cycle[i...] + cycle[..<i])
      }
    }
    return nil
  }
}
