/// Partial-order reduction: at each state, expand only the enabled choices of a set of CPUs
/// that forms a *persistent set* (Godefroid, "Partial-Order Methods for the Verification of
/// Concurrent Systems", 1996, ch. 4), checked by the explorer against the visibility and cycle
/// provisos.
///
/// Why a set T of CPUs is persistent here: a choice belongs to one CPU (`run`, `preempt`,
/// `pick`, `ipi` on it; `irq` of a source pinned to it). Persistence requires that along any
/// sequence of choices made outside T from this state, none is dependent with a choice of T
/// that is enabled now, and none enables a choice of T that is disabled now. We guarantee it by:
///
/// 1. Independence through footprints. The step each T-CPU would take now touches
///    `Footprint` (exact, from the concrete state). Everything that can run outside T
///    before it (the code of every context on other CPUs from where each of its frames is,
///    the handlers of their interrupt sources with firings left, softirq actions and the
///    irq_work handler, and every task that may be picked there) is summarised by static
///    footprints (over-approximations). Two steps with disjoint footprints commute and
///    neither enables nor disables the other: machine state is partitioned into per-CPU
///    parts (context stacks, irq/bh/preempt state and RCU read-side nesting,
///    softirq-pending mask, IPI flag, RCU callback queue: only that CPU's own steps touch
///    them, since `raise_softirq`, `call_rcu` and `irq_work` act on the running CPU; a
///    task's nesting is read by grace periods only once it is off its CPU, and only steps
///    with scheduler effects take it off), locks, global slots, lists, and scheduler/RCU
///    bookkeeping; a step's effect and enabledness depend only on the parts in its
///    footprint. A CPU whose outside future conflicts is pulled into T.
/// 2. Interrupt arrivals on a T-CPU touch only that CPU's part (and its source's firing count,
///    which only that source's arrivals change); whether one can arrive depends only on that
///    CPU's irq state, which only its own steps change. So they are independent of every step
///    outside T and no outside step enables one.
/// 3. A T-CPU spinning on a lock it cannot take: the steps that could let it in (releases by
///    the holders, or the waiting writer a task-context reader queues behind) are steps of the
///    holders' CPUs, which join T; a holder that is not on a CPU makes the set unusable.
/// 4. A T-CPU whose task could be preempted while preemptions are left: another CPU's wakeup
///    could make `preempt` enabled, and preemptions share one budget: unusable. An idle T-CPU
///    with a task that could be woken onto it, or a free task another CPU could also pick:
///    unusable (an outside wakeup enables a pick; two picks of one task conflict).
/// 5. Steps that cannot be bounded (scheduler operations, RCU operations but the read
///    side's, sleeping locks, `msleep`, a context with no frame left) make their CPU
///    unusable as part of T. A step whose fused tail may return from a task's last frame
///    finishes the task: its footprint includes scheduler state (`FrameExits`). Any other
///    step that runs further than its instruction (a softirq ending onto a finished task, a
///    grace period ending) is caught after the fact: the explorer checks that every kept
///    step changed nothing outside its footprint (`stayedWithin`) and expands the state in
///    full if one did.
///
/// The explorer adds the two provisos. Visibility, trying the sets smallest first: a set is
/// kept only if none of its successors is a new deadlock, a deadlocked state or a bug
/// (findings are never hidden behind a postponed step, and no kept step ends in a state that
/// is not expanded); if no set qualifies, the state is expanded in full. Cycle: every
/// cycle of the reduced graph must contain a fully expanded state, checked on the graph once
/// the queue runs dry (`ReducedCycles`).
struct PersistentSets: Sendable {
  let machine: Machine
  /// Footprints a future is made of: the closure of every function (indexed by function),
  /// then the union of the softirq actions (any of them may run on a CPU where one is raised),
  /// then what a frame of each function may still touch from each pc (`remainingEntry`).
  let table: [Footprint]
  let softirqEntry: Int32
  /// Where function `f`'s per-pc entries start in `table`.
  let remainingBase: [Int32]
  let codeCount: [Int32]
  /// The irq_work IPI handler's function, if the program has one.
  let ipiEntry: Int32?
  let exits: FrameExits
  /// `table`'s flags, copied out (reading a flag of a table entry in place retained the
  /// entry's bit sets), one byte per entry: `Flag`s. A future keeps the union of its entries'
  /// flags as they are added, so that what it may raise or wake is known without scanning it.
  let flags: [UInt8]
  /// `table`'s entries folded to 64 bits a set (`Summary`).
  let summaries: [Summary]

  /// A footprint's sets folded into one word each (bit `id & 63`; every bit for "everything"):
  /// two footprints whose folded sets do not meet, neither unbounded nor both touching the
  /// scheduler, do not conflict (`Footprint.conflicts`, `StepFootprint.conflicts`); where
  /// they meet, the sets themselves decide.
  struct Summary {
    var locks: UInt64 = 0, reads: UInt64 = 0, writes: UInt64 = 0, lists: UInt64 = 0
    var scheduler = false, unbounded = false

    init(_ f: Footprint) {
      func fold(_ b: BitSet) -> UInt64 { b.isEverything ? ~0 : b.words.reduce(0, |) }
      locks = fold(f.locks); reads = fold(f.reads); writes = fold(f.writes); lists = fold(f.lists)
      scheduler = f.scheduler; unbounded = f.unbounded
    }

    init(_ f: StepFootprint) {
      locks = f.locks.folded; reads = f.reads.folded; writes = f.writes.folded; lists = f.lists.folded
      scheduler = f.scheduler; unbounded = f.unbounded
    }

    /// False only where the two footprints cannot conflict.
    @inline(__always) func mayConflict(with o: Summary) -> Bool {
      unbounded || o.unbounded || locks & o.locks != 0 || lists & o.lists != 0
        || writes & (o.writes | o.reads) != 0 || reads & o.writes != 0 || (scheduler && o.scheduler)
    }
  }
  enum Flag {
    static let raisesSoftirq: UInt8 = 1, raisesIPI: UInt8 = 2
    /// The entry is the softirq actions' union, or the irq_work handler.
    static let isSoftirq: UInt8 = 4, isIPI: UInt8 = 8
    static let scheduler: UInt8 = 16
  }

  init(machine: Machine) {
    self.machine = machine
    let program = machine.program
    let fps = StaticFootprints(program: program)
    var any = Footprint()
    for v in program.softirqs { any.formUnion(fps.closure[v.handler]) }
    var base: [Int32] = []
    var next = fps.closure.count + 1
    for r in fps.remaining { base.append(Int32(next)); next += r.count }
    table = fps.closure + [any] + fps.remaining.flatMap { $0 }
    softirqEntry = Int32(fps.closure.count)
    remainingBase = base
    codeCount = program.functions.map { Int32($0.code.count) }
    ipiEntry = program.ipiHandler.map { Int32($0) }
    exits = FrameExits(program: program)
    var flags = table.map { f -> UInt8 in
      (f.raisesSoftirq ? Flag.raisesSoftirq : 0) | (f.raisesIPI ? Flag.raisesIPI : 0) | (f.scheduler ? Flag.scheduler : 0)
    }
    flags[Int(softirqEntry)] |= Flag.isSoftirq
    if let h = ipiEntry { flags[Int(h)] |= Flag.isIPI }
    self.flags = flags
    summaries = table.map(Summary.init)
  }

  /// The entry of `table` for a frame of `function` about to execute `pc` (a caller's frame
  /// resumes at its saved pc): what it may still touch before it returns. A pc past the end is
  /// counted as the whole function.
  @inline(__always) func remainingEntry(function: Int32, pc: Int32) -> Int32 {
    let f = Int(function)
    guard pc >= 0 && pc < codeCount[f] else { return function }
    return remainingBase[f] + pc
  }

  /// The CPU a choice belongs to.
  func owner(_ c: Choice) -> Int {
    switch c {
    case .run(let cpu, _), .pick(let cpu, _), .ipi(let cpu), .preempt(let cpu): return cpu
    case .irq(let source): return machine.program.irqs[source].cpu
    }
  }

  /// The result of a selection: which CPUs' choices to expand, as a mask (bit `c`: CPU `c`).
  /// The footprint each CPU's steps were assumed to stay within is the scratch's
  /// (`Scratch.footprint(of:)`): an array of flags per set and of footprints per state were
  /// allocations, some 600 instructions each.
  struct Selection: Equatable {
    var cpus: UInt32
    func contains(_ cpu: Int) -> Bool { cpus & (1 << UInt32(cpu)) != 0 }
  }

  /// Working storage for `select`, kept by the caller from state to state: selection used to
  /// allocate some thirty arrays per state (about 600 instructions each, most of it the
  /// runtime's metadata lookup), a third of its cost.
  struct Scratch {
    var enabledOn: [Int] = []
    var runEnabled: [Bool] = []
    /// Each CPU's next step's footprint, valid where its bit in `hasStep` is set (an optional
    /// per CPU was a copy of some 150 bytes to empty it, per state).
    var step: [StepFootprint] = []
    var hasStep: UInt32 = 0
    var needs: [EntryList] = []
    var future: [EntryList] = []
    var floating = EntryList()
    /// The union of the `Flag`s of each future's entries, and of `floating`'s.
    var futureFlags: [UInt8] = []
    var floatingFlags: UInt8 = 0
    /// Sleeping tasks, where their entries are in `sleeperEntries`, and their flags.
    var sleepers: [(task: Int, from: Int, to: Int, flags: UInt8)] = []
    var sleeperEntries = EntryList()
    var wakeable: [Bool] = []
    var rows: [UInt32] = []
    var work: [Int] = []
    /// The sets found, each with its number of choices, and then in the order returned.
    var candidates: [(count: Int, cpus: UInt32)] = []
    var selections: [Selection] = []

    /// The footprint CPU `cpu`'s steps were assumed to stay within by the last selection.
    func footprint(of cpu: Int) -> StepFootprint { hasStep & (1 << UInt32(cpu)) != 0 ? step[cpu] : .everything }

    init() {}

    /// Empties every array, keeping its storage; `n` CPUs.
    mutating func reset(cpus n: Int) {
      if enabledOn.count != n {
        enabledOn = Array(repeating: 0, count: n)
        runEnabled = Array(repeating: false, count: n)
        step = Array(repeating: StepFootprint(), count: n)
        wakeable = Array(repeating: false, count: n)
      }
      hasStep = 0
      for i in 0..<n {
        enabledOn[i] = 0
        runEnabled[i] = false
        wakeable[i] = false
      }
      if needs.count != n { needs = Array(repeating: EntryList(), count: n) }
      for i in needs.indices { needs[i].clear() }
      if future.count != n { future = Array(repeating: EntryList(), count: n) }
      for i in future.indices { future[i].clear() }
      if futureFlags.count != n { futureFlags = Array(repeating: 0, count: n) }
      for i in futureFlags.indices { futureFlags[i] = 0 }
      floating.clear()
      floatingFlags = 0
      sleepers.clear()
      sleeperEntries.clear()
    }
  }

  /// The persistent sets of CPUs found at `s`, smallest first (the lowest starting CPU first
  /// among equals); empty when only the full set is known to be persistent. The explorer takes
  /// the first whose successors pass its provisos.
  func select(_ s: MachineState, _ choices: [Choice]) -> [Selection] {
    var scratch = Scratch()
    return select(s, choices, scratch: &scratch)
  }

  func select(_ s: MachineState, _ choices: [Choice], scratch x: inout Scratch) -> [Selection] {
    let program = machine.program
    let n = program.cpuCount
    guard n > 1 else { return [] }
    precondition(n <= 32, "CPU sets are 32-bit masks; the checker allows at most 16 CPUs")
    x.reset(cpus: n)
    for ch in choices {
      x.enabledOn[owner(ch)] += 1
      if case .run(let c, _) = ch { x.runEnabled[c] = true }
    }
    var busy = 0
    for c in 0..<n where x.enabledOn[c] > 0 { busy += 1 }
    if busy < 2 { return [] }

    // Each CPU's next steps, and the CPUs that must come with it.
    for c in 0..<n {
      // Footprints are built in place in the scratch (`Machine.runFootprint(_:cpu:into:)`).
      if let top = s.top(of: c) {
        if x.runEnabled[c] {
          guard machine.runFootprint(s, cpu: c, into: &x.step[c]) else { continue }
          // A step that may run off the end of its task changes the task's scheduler state.
          if top.isTask && exits.stepMayFinish(program, s[top]) { x.step[c].scheduler = true }
        } else {
          let ctx = s[top]
          guard ctx.spinningOn >= 0, let holders = holderCPUs(s, lock: Int(ctx.spinningOn), except: top) else { continue }
          for h in holders { x.needs[c].append(Int32(h)) }
          x.step[c].clear()
        }
        if s.preemptionsLeft > 0 && preemptible(s, cpu: c) { continue }
        x.hasStep |= 1 << UInt32(c)
      } else {
        // Idle: picks change a task's scheduler state; an outside wakeup could add a pick
        // (checked below, once the futures are known).
        if s.tasks.indices.contains(where: { machine.isPickable(s, task: $0, cpu: c) && program.tasks[$0].cpu == nil
          && s.tasks[$0].status == .ready(cpu: -1) }) { continue }
        x.step[c].clear()
        x.step[c].scheduler = true
        x.hasStep |= 1 << UInt32(c)
      }
    }

    // Cheap exit before the futures: no CPU with a choice can start a persistent set.
    guard (0..<n).contains(where: { x.enabledOn[$0] > 0 && x.hasStep & (1 << UInt32($0)) != 0 }) else { return [] }

    // What may still run on each CPU (from outside T's point of view), and what may run on a
    // CPU not known yet (free tasks).
    // Futures are lists of entries of `table` (function closures, the softirq actions, what a
    // frame may still touch from its pc), checked entry by entry: unioning footprints allocated
    // their word arrays on every state.
    // A context may still run the rest of every frame on its stack: the top frame from its
    // pending instruction, each caller from where it resumes.
    func remaining(_ c: borrowing Context, into f: inout EntryList, flags m: inout UInt8) {
      flags.withUnsafeBufferPointer { flags in
        c.forEachFunctionPC { function, pc in
          let e = remainingEntry(function: function, pc: pc)
          f.append(e)
          m |= flags[Int(e)]
        }
      }
    }
    for d in 0..<n {
      s.forEachContext(of: d) { _, ctx in remaining(ctx, into: &x.future[d], flags: &x.futureFlags[d]) }
    }
    for (i, src) in program.irqs.enumerated() where s.firesLeft[i] > 0 {
      x.future[src.cpu].append(Int32(src.handler))
      x.futureFlags[src.cpu] |= flags[src.handler]
    }
    // Tasks not on a CPU: ready ones may run wherever they can be picked; sleeping ones only
    // after a wakeup, which takes a step with scheduler effects (a `try_to_wake_up`, a lock
    // hand-off) or the end of a grace period some task waits for. If nothing that may run can
    // wake anyone, sleeping tasks (idle kworkers, parked kthreads) stay asleep and are left out.
    s.tasks.withUnsafeBufferPointer { tasks in
      for t in tasks.indices {
        let status = tasks[t].status
        switch status {
        case .done, .running: continue
        default: break
        }
        // Straight into the future the task belongs to (collecting its entries apart and
        // copying them over emptied and appended an array per task per state).
        func add(into f: inout EntryList, flags m: inout UInt8) {
          let before = f.count
          remaining(tasks[t].context, into: &f, flags: &m)
          if f.count == before {
            f.append(Int32(program.tasks[t].entry))
            m |= flags[program.tasks[t].entry]
          }
        }
        switch status {
        case .ready(let c) where c >= 0:
          add(into: &x.future[c], flags: &x.futureFlags[c])
        case .ready:
          if let p = program.tasks[t].cpu {
            add(into: &x.future[p], flags: &x.futureFlags[p])
          } else {
            add(into: &x.floating, flags: &x.floatingFlags)
          }
        default:
          let from = x.sleeperEntries.count
          var m: UInt8 = 0
          add(into: &x.sleeperEntries, flags: &m)
          x.sleepers.append((t, from, x.sleeperEntries.count, m))
        }
      }
    }
    func addRaised() {
      // Softirq actions and the irq_work handler run on a CPU only once raised there (by code
      // that may run there, or already pending, or mid-batch in a running __do_softirq). A
      // free task raises them on whichever CPU picks it: they are part of `floating` too.
      // From the future's flags, kept as its entries were added (scanning every future for
      // them, once or twice per state, was a tenth of the selection on the RCU rings).
      func raise(_ f: inout EntryList, _ m: inout UInt8, pending: Bool, ipi: Bool) {
        let h = ipiEntry ?? -1
        var wantSoftirq = pending || m & Flag.raisesSoftirq != 0, wantIPI = ipi || m & Flag.raisesIPI != 0
        for _ in 0..<2 {  // the IPI handler may raise a softirq and a softirq action the IPI
          if wantSoftirq && m & Flag.isSoftirq == 0 {
            f.append(softirqEntry)
            m |= flags[Int(softirqEntry)]
            if m & Flag.raisesIPI != 0 { wantIPI = true }
          }
          if h >= 0 && wantIPI && m & Flag.isIPI == 0 {
            f.append(h)
            m |= flags[Int(h)]
            if m & Flag.raisesSoftirq != 0 { wantSoftirq = true }
          }
        }
      }
      for d in 0..<n {
        let midBatch = s.cpus[d].stack.contains { $0.kind == .softirq && $0.batch != 0 }
        raise(&x.future[d], &x.futureFlags[d], pending: s.cpus[d].softirqPending != 0 || midBatch, ipi: s.cpus[d].ipiPending)
      }
      raise(&x.floating, &x.floatingFlags, pending: false, ipi: false)
    }
    addRaised()
    var anyFreeWakeable = false
    let canWake = (x.futureFlags.reduce(x.floatingFlags, |) & Flag.scheduler) != 0 || s.tasks.contains { $0.waitGP >= 0 }
    if canWake && !x.sleepers.isEmpty {
      for (t, from, to, m) in x.sleepers {
        if let p = program.tasks[t].cpu {
          x.future[p].append(x.sleeperEntries, from..<to)
          x.futureFlags[p] |= m
          x.wakeable[p] = true
        } else {
          x.floating.append(x.sleeperEntries, from..<to)
          x.floatingFlags |= m
          anyFreeWakeable = true
        }
      }
      addRaised()
    }
    // Entries are read in place through a buffer pointer: subscripting `table` copied each
    // Footprint out (a retain and a release of its four word arrays).
    // Each entry first against its summary (`Summary`): only where the folded sets meet is
    // the exact test run (most entries share nothing with a step).
    func conflicts(_ fp: StepFootprint, _ folded: Summary, _ entries: EntryList) -> Bool {
      table.withUnsafeBufferPointer { t in
        summaries.withUnsafeBufferPointer { sums in
          entries.contains { e in sums[Int(e)].mayConflict(with: folded) && fp.conflicts(with: t[Int(e)]) }
        }
      }
    }

    for c in 0..<n where s.top(of: c) == nil && (x.wakeable[c] || anyFreeWakeable) { x.hasStep &= ~(1 << UInt32(c)) }

    // Sets of CPUs as bit masks (at most 16 CPUs). Which CPUs' futures a CPU's step conflicts
    // with is worked out once per CPU, the first time a candidate reaches it: the candidates
    // share it, where checking it anew for each cost n^3 footprint comparisons per state.
    var rowKnown: UInt32 = 0
    var unusableCPUs: UInt32 = 0
    x.rows.clear()
    x.rows.append(contentsOf: repeatElement(0, count: n))
    func row(_ d: Int) -> UInt32 {
      if rowKnown & (1 << UInt32(d)) != 0 { return x.rows[d] }
      rowKnown |= 1 << UInt32(d)
      var mask: UInt32 = 0
      let fp = x.step[d]
      let folded = Summary(fp)
      if x.hasStep & (1 << UInt32(d)) != 0 && !conflicts(fp, folded, x.floating) {
        for e in 0..<n where e != d && conflicts(fp, folded, x.future[e]) { mask |= 1 << UInt32(e) }
        for k in 0..<x.needs[d].count { mask |= 1 << UInt32(x.needs[d][k]) }
      } else {
        unusableCPUs |= 1 << UInt32(d)
      }
      x.rows[d] = mask
      return mask
    }
    x.candidates.clear()
    for c in 0..<n where x.enabledOn[c] > 0 && x.hasStep & (1 << UInt32(c)) != 0 {
      var inT: UInt32 = 1 << UInt32(c)
      x.work.clear()
      x.work.append(c)
      var usable = true
      while let d = x.work.popLast() {
        let add = row(d) & ~inT
        guard unusableCPUs & (1 << UInt32(d)) == 0 else { usable = false; break }
        inT |= add
        var bits = add
        while bits != 0 {
          x.work.append(bits.trailingZeroBitCount)
          bits &= bits - 1
        }
      }
      guard usable else { continue }
      var count = 0
      for e in 0..<n where inT & (1 << UInt32(e)) != 0 { count += x.enabledOn[e] }
      if count > 0 && count < choices.count && !x.candidates.contains(where: { $0.cpus == inT }) {
        x.candidates.append((count, inT))
      }
    }
    x.selections.clear()
    if x.candidates.isEmpty { return [] }
    // Smallest first; among equals, in the order found (the lowest starting CPU first): a
    // stable insertion sort of a handful.
    for k in x.candidates.indices.dropFirst() {
      let item = x.candidates[k]
      var j = k
      while j > 0 && x.candidates[j - 1].count > item.count {
        x.candidates[j] = x.candidates[j - 1]
        j -= 1
      }
      x.candidates[j] = item
    }
    for c in x.candidates { x.selections.append(Selection(cpus: c.cpus)) }
    return x.selections
  }

  /// The CPUs of every context that keeps `lock` from its spinner: holders, readers, and (for a
  /// task-context reader) waiting writers. Nil if one of them is not on a CPU.
  func holderCPUs(_ s: MachineState, lock: Int, except spinner: ContextRef) -> [Int]? {
    let l = s.locks[lock]
    let q = s.lockQueues[lock]
    var refs = q.readers
    if !l.owner.isNone { refs.append(l.owner) }
    refs += machine.waitingWriters(s, lock: lock).filter { $0 != spinner }
    var cpus: [Int] = []
    for r in refs {
      guard let c = s.cpu(of: r) else { return nil }
      cpus.append(c)
    }
    return cpus
  }

  /// The running task of `cpu` is at a point where `preempt` could become enabled.
  func preemptible(_ s: MachineState, cpu: Int) -> Bool {
    guard s.cpus[cpu].stack.isEmpty, s.cpus[cpu].current >= 0 else { return false }
    let c = s.tasks[Int(s.cpus[cpu].current)].context
    return c.preempt == 0 && c.bh == 0 && !c.irqsOff && c.spinningOn < 0 && !c.hasNoFrame
  }
}
