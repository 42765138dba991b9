import Foundation

/// Exhaustive, deterministic breadth-first search over machine states.
///
/// Breadth-first, so the first schedule reaching a finding is a shortest one among the
/// schedules the reduction keeps (one found only after the cycle proviso sent a state back to
/// be expanded in full, see `ReducedCycles`, may be longer). States are stored as compact
/// encodings in a visited set; parents and choices are kept per stored state to rebuild witnesses. A deadlocked, buggy or
/// finished state is not expanded further. With `options.reduction`, each state is expanded
/// through a persistent subset of its choices where one exists (`PersistentSets`).
public struct Explorer {
  public let program: Program
  public let options: ExploreOptions
  let machine: Machine

  public init(program: Program, options: ExploreOptions = ExploreOptions()) {
    self.program = program
    self.options = options
    self.machine = Machine(program: program, options: options)
  }

  /// Runs the search. `progress` is called about twice a second with the statistics so far;
  /// `stop` ends the run early (the result is then incomplete).
  public func run(progress: ((ExploreStatistics) -> Void)? = nil, stop: StopFlag? = nil) -> ExplorationResult {
    MemoryUsage.resetPeak()
    let start = DispatchTime.now().uptimeNanoseconds
    var stats = ExploreStatistics()
    stats.baselineMemory = MemoryUsage.resident
    var findings: [Finding] = []
    var signatures = Set<String>()
    let initial = machine.initialState()
    // Per stored state, how it was reached: its parent's id and the choice taken there
    // (packed into 32 bits: `Choice` itself takes 24 bytes in an array).
    var parent = ChunkedArray<Int32>()
    var via = ChunkedArray<UInt32>()
    // The frontier holds ids, with their depths (only the frontier needs one); a state is
    // decoded from its stored encoding when expanded, unless it is still held as a value (see
    // `Explorer.heldStates`): those are in `held`, in queue order, and marked in `isHeld`
    // (an optional state per queue entry took 80 bytes each).
    var queue: [Int32] = []
    var queueDepth: [Int32] = []
    var isHeld: [Bool] = []
    // Optional so that a held state is moved out when its turn comes (`take()`), not copied
    // out and its slot overwritten: a retain and a release of each of its arrays.
    var held: [MachineState?] = []
    var heldHead = 0
    var head = 0
    var lastProgress = start

    func witness(_ i: Int32, then last: Choice? = nil) -> [Choice] {
      var path: [Choice] = []
      var k = i
      while k > 0 { path.append(Choice(packed: via[Int(k)])); k = parent[Int(k)] }
      path.reverse()
      if let last { path.append(last) }
      return path
    }

    let live = options.deadLocals ? LocalLiveness(program: program) : nil
    var visited = VisitedSet(baseline: initial, live: live)
    _ = visited.insert(visited.key(initial))
    parent.append(-1)
    via.append(Choice.run(cpu: 0, branch: 0).packed)
    queue.append(0)
    queueDepth.append(0)
    isHeld.append(false)
    // Built even without reduction: binding an optional one (`if let`) copied the whole
    // struct, with the program inside it, on every expanded state.
    let reducer = PersistentSets(machine: machine)
    var memo = SelectionMemo()
    var selectionScratch = PersistentSets.Scratch()
    // The choices of the set being tried (reused: an array per set tried was an allocation).
    var subset: [Int] = []
    // The cycle proviso's graph, and the states it sent back to be expanded in full.
    var cycles = ReducedCycles()
    var expandInFull = Set<Int32>()
    // Deadlocked states stored so far: they are not expanded, so a kept step leading to one
    // would end that path of the reduced graph with the postponed CPUs never run.
    var deadlocked = Set<Int32>()
    // Per expanded state: the successor of each choice, computed at most once, and the part
    // ids of the state (`VisitedSet.key(_:from:)`).
    var computed: [Successor?] = []
    // The enabled choices, refilled for each state (see `Machine.enabledChoices(_:into:)`).
    var choiceBuffer: [Choice] = []
    var isComputed: [Bool] = []
    var parts = VisitedSet.Parts()
    var cycleScratch = Machine.CycleScratch()
    // Steps remembered by the parts they read (`StepMemo`), and the part ids of a successor
    // being recorded.
    var stepMemo = StepMemo(machine: machine, enabled: options.stepMemo)
    var successorParts = VisitedSet.Parts()
    func successor(_ state: MachineState, _ parts: VisitedSet.Parts, _ choice: Choice) -> Successor {
      var next = state
      var nolog: EventLog? = nil
      let scope = stepMemo.scope(state, choice)
      let bug = machine.step(&next, choice, log: &nolog)
      // `consume`: the successor takes `next` over; passing it as is copied the state (a retain
      // of each of its arrays) and then destroyed `next` (their release), for every transition.
      if bug != nil { return Successor(choice: choice, state: consume next, bug: bug, key: nil, seen: nil, cycle: nil) }
      let key = visited.key(next, from: state, parts: parts)
      if let scope, StepMemo.graceStateAllows(before: state.rcu, after: next.rcu) { remember(choice, parts, scope, key, next) }
      // Most successors are states seen before: look for a waits-for cycle only in new ones.
      if let seen = visited.id(of: key) { return Successor(choice: choice, state: consume next, bug: nil, key: key, seen: seen, cycle: nil) }
      let cycle = machine.findCycle(next, scratch: &cycleScratch)
      return Successor(choice: choice, state: consume next, bug: nil, key: key, seen: nil, cycle: cycle)
    }

    // `successor`, from the step memo (built, not stepped), if it remembers the step.
    func rememberedSuccessor(_ state: MachineState, _ parts: VisitedSet.Parts, _ choice: Choice) -> Successor? {
      guard let scope = stepMemo.scope(state, choice), StepMemo.usable(parts, scope),
            let o = stepMemo.outcome(StepMemo.key(choice, parts, scope)) else { return nil }
      let key = visited.key(substituting: parts, scope, o)
      let next = visited.state(replacing: state, parts, scope, o)
      if let seen = visited.id(of: key) { return Successor(choice: choice, state: next, bug: nil, key: key, seen: seen, cycle: nil, memoized: true) }
      let cycle = machine.findCycle(next, scratch: &cycleScratch)
      return Successor(choice: choice, state: next, bug: nil, key: key, seen: nil, cycle: cycle, memoized: true)
    }

    // Records the outcome of a step in `scope` that led to `key`, if it changed nothing but
    // the scope's CPU and tasks, the locks and the data (see `StepMemo`).
    func remember(_ choice: Choice, _ parts: VisitedSet.Parts, _ scope: StepMemo.Scope, _ key: StateKey, _ next: MachineState) {
      guard StepMemo.usable(parts, scope) else { return }
      let memoKey = StepMemo.key(choice, parts, scope)
      if stepMemo.outcome(memoKey) != nil { return }
      visited.parts(ofKey: key, into: &successorParts)
      for c in parts.cpus.indices where c != scope.cpu && successorParts.cpus[c] != parts.cpus[c] { return }
      for t in parts.tasks.indices where t != scope.task && t != scope.other && successorParts.tasks[t] != parts.tasks[t] { return }
      // A scoped task must not come out as a part that could be taken for the initial state's
      // task: decoded, with its dead locals zeroed, it could equal that task where the stepped
      // one did not. Left out before and after, it is exactly the initial state's both ways.
      func safe(_ t: Int) -> Bool {
        guard t >= 0 else { return true }
        let after = successorParts.tasks[t]
        if after < 0 && parts.tasks[t] < 0 { return true }
        return after >= 0 && visited.baselineTaskPart(t) != after
      }
      guard safe(scope.task) && safe(scope.other) else { return }
      stepMemo.record(memoKey, StepMemo.Outcome(after: StepMemo.ScopeParts(successorParts, scope), waits: stepMemo.waits(next, scope)))
    }

    // Which tasks of `state`, the state being expanded, wait, and on which CPUs an interrupt context
    // spins (`Machine.taskWaits`, `Machine.interruptSpins`), worked out when first asked.
    // A remembered step changes no other CPU or task, so its successor has a context that
    // waits only if the step's own do (`StepMemo.Outcome.waits`) or one outside it does.
    var waitingTasks: UInt64 = 0
    var spinningCPUs: UInt64 = 0
    var waitersKnown = false
    func waitsOutside(_ state: MachineState, _ scope: StepMemo.Scope) -> Bool {
      if !waitersKnown {
        waitersKnown = true
        waitingTasks = 0
        spinningCPUs = 0
        // (Keys of memo steps need at most 64 tasks: `StepMemo.usable`.)
        for t in state.tasks.indices where machine.taskWaits(state, t) { waitingTasks |= 1 << UInt64(t) }
        for c in state.cpus.indices where machine.interruptSpins(state, cpu: c) { spinningCPUs |= 1 << UInt64(c) }
      }
      var mine: UInt64 = 0
      if scope.task >= 0 { mine |= 1 << UInt64(scope.task) }
      if scope.other >= 0 { mine |= 1 << UInt64(scope.other) }
      return waitingTasks & ~mine != 0 || spinningCPUs & ~(1 << UInt64(scope.cpu)) != 0
    }

    // Stores a new state reached from `id` by `choice`: its id, or nil at --max-states.
    func store(_ key: StateKey, from id: Int32, depth: Int32, by choice: Choice) -> Int32? {
      if visited.count >= options.maxStates {
        stats.complete = false
        stats.stopReason = "stopped at --max-states \(options.maxStates)"
        return nil
      }
      let nid = visited.insert(key).id
      stats.storedDigest = (stats.storedDigest ^ key.fingerprint) &* 0x0000_0100_0000_01B3
      parent.append(id)
      via.append(choice.packed)
      stats.maxDepth = max(stats.maxDepth, Int(depth) + 1)
      return nid
    }

    // When the queue runs dry, the cycle proviso may send states back to be expanded in full;
    // their new successors are then searched like any others.
    func expandCyclesInFull() -> Bool {
      guard options.reduction && stats.complete else { return false }
      let full = cycles.statesToExpand()
      stats.provisoExpansions += full.count
      for x in full {
        expandInFull.insert(x)
        queue.append(x)
        queueDepth.append(Int32(witness(x).count))
        isHeld.append(false)
      }
      return !full.isEmpty
    }

    search: while head < queue.count || expandCyclesInFull() {
      let id = queue[head]
      let depth = queueDepth[head]
      visited.parts(id, into: &parts)
      let state: MachineState
      if isHeld[head] {
        state = held[heldHead].take()!
        heldHead += 1
      } else {
        state = visited.state(parts)
      }
      visited.markBaselineTasks(state, in: &parts)
      waitersKnown = false
      head += 1
      if head & 0x3FF == 0 {
        let now = DispatchTime.now().uptimeNanoseconds
        if let stop, stop.isRaised {
          stats.complete = false
          stats.stopReason = "interrupted"
          break search
        }
        if let limit = options.maxMemory, MemoryUsage.resident > limit {
          stats.complete = false
          stats.stopReason = "stopped at --max-memory \(limit / (1 << 20)) MiB"
          break search
        }
        if let progress, now - lastProgress > 500_000_000 {
          lastProgress = now
          stats.statesStored = visited.count
          stats.seconds = Double(now - start) / 1e9
          progress(stats)
        }
      }
      if head > 4096 && head * 2 > queue.count {
        queue.removeFirst(head); queueDepth.removeFirst(head); isHeld.removeFirst(head); head = 0
        held.removeFirst(heldHead); heldHead = 0
      }
      machine.enabledChoices(state, into: &choiceBuffer)
      let choices = choiceBuffer
      if choices.isEmpty {
        if !machine.isFinished(state) && !machine.exhaustedSources(state).isEmpty { stats.stuckAtBounds += 1 }
        if !machine.isFinished(state) && machine.exhaustedSources(state).isEmpty {
          let stuck = machine.stuckContexts(state)
          let sig = "hang:" + machine.stuckDescription(state).joined(separator: ",")
          if signatures.insert(sig).inserted {
            findings.append(Finding(kind: .hang, signature: sig, witness: witness(id), stuck: stuck))
          }
        }
        continue
      }
      // Successors: of the first persistent subset whose successors pass the visibility
      // proviso, or of every choice. Each choice's successor is computed at most once.
      // Successors stay in `computed` and are read in place or moved out (`take()`): copying
      // one retained every array of its state.
      // Reused from state to state (see `VisitedSet.parts(_:into:)`).
      // Which slots hold a successor is kept apart (`isComputed`): testing a slot against nil,
      // and storing nil into every slot, each went through Optional's generic destroy. Only
      // slots still holding one (computed for a proviso, not taken) are emptied.
      while computed.count < choices.count { computed.append(nil); isComputed.append(false) }
      for i in isComputed.indices where isComputed[i] {
        computed[i] = nil
        isComputed[i] = false
      }
      // The task a choice of `cpu` runs: the one picked, else the CPU's current task.
      func ownTask(_ choice: Choice, cpu: Int) -> Int32 {
        if case .pick(_, let t) = choice { return Int32(t) }
        return state.cpus[cpu].current
      }
      // A successor for the provisos: from the step memo where it remembers the step (the
      // provisos need the state itself, for `stayedWithin` and a new state's cycle, so it is
      // built), else stepped; the step memo was bypassed for every kept choice before. With
      // `verifyStepMemo`, both, compared on what the provisos and the search read.
      func compute(_ i: Int) {
        if !isComputed[i] {
          if options.verifyStepMemo {
            let remembered = rememberedSuccessor(state, parts, choices[i])
            let stepped = successor(state, parts, choices[i])
            if let r = remembered {
              let cpu = reducer.owner(choices[i])
              let fp = selectionScratch.footprint(of: cpu), own = ownTask(choices[i], cpu: cpu)
              stats.memoChecks += 1
              if r.key != stepped.key || r.seen != stepped.seen || (stepped.seen == nil && r.cycle != stepped.cycle)
                || machine.stayedWithin(state, r.state, cpu: cpu, ownTask: own, fp) != machine.stayedWithin(state, stepped.state, cpu: cpu, ownTask: own, fp) {
                stats.memoMismatches += 1
              }
            }
            computed[i] = stepped
          } else {
            computed[i] = rememberedSuccessor(state, parts, choices[i]) ?? successor(state, parts, choices[i])
          }
          isComputed[i] = true
        }
      }
      var expanded: [Int]? = nil
      if options.reduction && (expandInFull.isEmpty || expandInFull.remove(id) == nil) {
        // Where selection keeps finding nothing for this shape of state, skip it (sound: the
        // state is then expanded in full; see `SelectionMemo`).
        let shape = reducer.shape(state)
        var sets: [PersistentSets.Selection] = []
        if memo.shouldSelect(shape) {
          sets = reducer.select(state, choices, scratch: &selectionScratch)
          memo.record(shape, found: !sets.isEmpty)
        }
        candidates: for sel in sets {
          subset.clear()
          for k in choices.indices where sel.contains(reducer.owner(choices[k])) { subset.append(k) }
          for i in subset {
            compute(i)
            let cpu = reducer.owner(choices[i])
            // Visibility: a finding is never reached only through a postponed step, and no kept
            // step leads to a deadlocked state, new or stored before (it is not expanded: the
            // postponed CPUs would never run on that path). The cycle proviso is checked on
            // the graph once the queue runs dry (`ReducedCycles`).
            if computed[i]!.bug != nil || computed[i]!.cycle != nil || computed[i]!.seen.map({ deadlocked.contains($0) }) ?? false
              || !machine.stayedWithin(state, computed[i]!.state, cpu: cpu, ownTask: ownTask(choices[i], cpu: cpu), selectionScratch.footprint(of: cpu)) {
              continue candidates
            }
          }
          expanded = subset
          stats.reducedExpansions += 1
          break
        }
      }
      // A state expanded before through a subset, now in full (the cycle proviso).
      let again = options.reduction && expanded == nil && cycles.isReduced(id)
      if again { stats.reducedExpansions -= 1 }
      if options.reduction { cycles.setReduced(id, expanded != nil) }
      // By position, so that a full expansion builds no array of its indices.
      for n in 0..<(expanded?.count ?? choices.count) {
        let i = expanded?[n] ?? n
        // A step remembered (`StepMemo`): its successor's key from the parts. A stored state
        // is done with; a new one is the parent with the remembered parts put in. Nothing is
        // stepped either way (with `verifyStepMemo`, the step runs and both must agree).
        // A successor not computed for a proviso is made here and used at once: through
        // `computed`, every one was moved in and out of the array (two copies of some 200 bytes).
        let succ: Successor
        if isComputed[i] {
          guard let taken = computed[i].take() else { continue }
          isComputed[i] = false  // taken: nothing left to empty
          succ = taken
        } else if let scope = stepMemo.scope(state, choices[i]), StepMemo.usable(parts, scope),
                  let o = stepMemo.outcome(StepMemo.key(choices[i], parts, scope)) {
          let key = visited.key(substituting: parts, scope, o)
          func built() -> MachineState { visited.state(replacing: state, parts, scope, o) }
          if options.verifyStepMemo {
            let next = built()
            let cycle = machine.findCycle(next, scratch: &cycleScratch)
            succ = successor(state, parts, choices[i])
            stats.memoChecks += 1
            // (The stepped successor looks for a cycle only when it is new.)
            if succ.key != key || visited.key(next, from: state, parts: parts) != key || (succ.seen == nil && succ.cycle != cycle)
                || (!o.waits && !waitsOutside(state, scope) && machine.anyoneBlocked(next)) {
              stats.memoMismatches += 1
            }
          } else if let seen = visited.id(of: key) {
            stats.transitions += 1
            stats.memoizedSteps += 1
            if expanded != nil { cycles.addEdge(from: id, to: seen) }
            continue
          } else if held.count - heldHead >= options.heldStates && !o.waits && !waitsOutside(state, scope) {
            // New, beyond the states held, and no context of it waits: no cycle to look for,
            // so nothing to build (it is decoded when its turn comes).
            stats.transitions += 1
            stats.memoizedSteps += 1
            guard let nid = store(key, from: id, depth: depth, by: choices[i]) else { break search }
            if expanded != nil { cycles.addEdge(from: id, to: nid) }
            queue.append(nid)
            queueDepth.append(depth + 1)
            isHeld.append(false)
            continue
          } else {
            let next = built()
            let cycle = machine.findCycle(next, scratch: &cycleScratch)
            succ = Successor(choice: choices[i], state: next, bug: nil, key: key, seen: nil, cycle: cycle, memoized: true)
          }
        } else {
          succ = successor(state, parts, choices[i])
        }
        let choice = succ.choice
        stats.transitions += 1
        if succ.memoized { stats.memoizedSteps += 1 }
        if let bug = succ.bug {
          // One bug per kind, context and place: the message's details (who holds what right
          // now) vary between interleavings of the same mistake.
          let who = bug.context.isTask ? "task \(program.tasks[bug.context.taskIndex].name)" : "cpu\(bug.cpu ?? -1) interrupt"
          let sig = "bug:\(bug.kind.rawValue):\(who):\(bug.location.map { "\($0)" } ?? bug.chain.joined(separator: ">"))"
          if signatures.insert(sig).inserted {
            findings.append(Finding(kind: .bug, signature: sig, witness: witness(id, then: choice), bug: bug))
          }
          continue
        }
        guard let key = succ.key else { continue }
        if let seen = succ.seen ?? visited.id(of: key) {
          if expanded != nil { cycles.addEdge(from: id, to: seen) }
          continue
        }
        guard let nid = store(key, from: id, depth: depth, by: choice) else { break search }
        if let cycle = succ.cycle {
          deadlocked.insert(nid)
          let next = succ.state
          // Tasks are named without the CPU they happen to be on: the same cycle reached with a
          // task on another CPU is the same deadlock. Interrupt contexts keep their CPU.
          let sig = "deadlock:" + cycle.map { e in
            "\(machine.describe(next, e.from, withCPU: !e.from.isTask)) \(edgeLabel(e))"
          }.joined(separator: " -> ")
          if signatures.insert(sig).inserted {
            let locks = Set(cycle.compactMap { e -> Int? in
              switch e.reason {
              case .spinsOn(let l, _), .sleepsOn(let l, _): return l
              default: return nil
              }
            }).sorted()
            findings.append(Finding(kind: .deadlock, signature: sig, witness: witness(nid), cycle: cycle, locks: locks))
          }
          continue
        }
        if expanded != nil { cycles.addEdge(from: id, to: nid) }
        queue.append(nid)
        queueDepth.append(depth + 1)
        let hold = held.count - heldHead < options.heldStates
        if hold { held.append(succ.state) }
        isHeld.append(hold)
      }
    }
    stats.statesStored = visited.count
    stats.encodedBytes = visited.encodedBytes
    stats.storedBytes = visited.storedBytes + parent.storedBytes + via.storedBytes + cycles.storedBytes
    stats.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    stats.peakMemory = MemoryUsage.peak
    return ExplorationResult(program: program, options: options, findings: findings, statistics: stats)
  }

  /// Frontier states kept as values instead of decoded again when their turn comes: a new
  /// state is already built when it is stored. Bounded, so memory still grows with stored
  /// states; beyond the bound, states are decoded from the visited set. A held state keeps
  /// 1-2 KB of its own (the arrays its step copied), so at 65,536 they were most of the
  /// resident memory of runs under a million states (rcu_ring_5_fixed grew 204 bytes per state
  /// against 49 stored); decoding, with its caches of decoded parts (`VisitedSet.state`),
  /// costs about 1,800 instructions, against some 50,000 to expand a state.
  static let heldStates = 1 << 12

  /// One expanded choice: the state it leads to, and what the provisos and the search need
  /// to know about it (computed once).
  struct Successor {
    var choice: Choice
    var state: MachineState
    var bug: Bug?
    var key: StateKey?
    /// The id it was already stored under when it was computed (its cycle was then not
    /// looked for), or nil if it was new.
    var seen: Int32?
    var cycle: [WaitEdge]?
    /// Made from the step memo, not stepped (counted in `memoizedSteps`).
    var memoized = false
  }

  func edgeLabel(_ e: WaitEdge) -> String {
    switch e.reason {
    case .spinsOn(let l, let mode): return "spins on \(program.locks[l].name)\(mode == .exclusive ? "" : " (\(mode.rawValue))")"
    case .interruptedBy: return "interrupted"
    case .gracePeriod: return "waits for a grace period"
    case .completion(let slot): return "waits for it to finish \(program.globals[slot].name)"
    case .sleepsOn(let l, let mode): return "sleeps on \(program.locks[l].name)\(mode == .exclusive ? "" : " (\(mode.rawValue))")"
    }
  }
}
