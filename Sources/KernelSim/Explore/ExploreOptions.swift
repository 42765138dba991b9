/// The bounds and limits of one exploration. Every bound is printed with the verdict.
public struct ExploreOptions: Sendable, Hashable {
  /// Firings per interrupt source; nil means each source's own `fires N` (default 1).
  public var irqBound: Int?
  /// Stop (with partial statistics, verdict incomplete) after storing this many states.
  public var maxStates: Int
  /// Preemptions the explorer may inject; nil means the scenario's `preemptions N;` (default 0).
  public var preemptions: Int?
  /// Stop (with partial statistics) once the process's resident memory exceeds this many bytes.
  public var maxMemory: Int?
  /// Partial-order reduction (persistent sets with visibility and cycle provisos). Off
  /// (`--no-reduction`) gives the plain exhaustive search, the reference it is checked against.
  public var reduction: Bool
  /// Stored states forget locals that no path reads again (`LocalLiveness`). Off only to check
  /// that the analysis changes no finding.
  public var deadLocals: Bool
  /// Enabling CPU-local operations run inside the step before them (`Machine.fusesIntoStep`).
  /// Off only to check that fusing them changes no finding.
  var fuseEnables = true
  /// Steps taken before are not run again where their outcome is known (`StepMemo`). Off
  /// only to check that the memo changes nothing.
  var stepMemo = true
  /// Every remembered step is run anyway and its successor checked against the memo's.
  var verifyStepMemo = false
  /// New states kept as values until expanded (`Explorer.heldStates`); fewer only to test the
  /// paths taken beyond them.
  var heldStates = Explorer.heldStates

  public init(irqBound: Int? = nil, maxStates: Int = 5_000_000, preemptions: Int? = nil, reduction: Bool = true,
              deadLocals: Bool = true) {
    self.irqBound = irqBound
    self.maxStates = maxStates
    self.preemptions = preemptions
    self.reduction = reduction
    self.deadLocals = deadLocals
  }
}

extension Machine {
  /// The machine an exploration with `options` ran: use it to replay its witnesses, so reports,
  /// trace files and replays apply the same bounds.
  public init(program: Program, options: ExploreOptions) {
    self.init(program: program, irqBound: options.irqBound, preemptions: options.preemptions,
              fusesEnables: options.fuseEnables)
  }
}

/// Human-readable bounds: what "no deadlock" was proven over.
public func boundsDescription(_ program: Program, _ options: ExploreOptions) -> String {
  let machine = Machine(program: program, options: options)
  let tasks = program.tasks.filter { !$0.kthread }.count
  var parts = ["all interleavings of \(tasks) task\(tasks == 1 ? "" : "s") on \(program.cpuCount) CPU\(program.cpuCount == 1 ? "" : "s")"]
  if program.irqs.isEmpty {
    parts.append("no interrupt sources")
  } else if Set(machine.fires).count == 1 {
    parts.append("\(machine.fires[0]) interrupt\(machine.fires[0] == 1 ? "" : "s") per source")
  } else {
    parts.append(zip(program.irqs, machine.fires).map { "\($0.name) ≤\($1)" }.joined(separator: ", ") + " interrupts")
  }
  parts.append(machine.preemptions == 0 ? "no preemption" : "\(machine.preemptions) preemption\(machine.preemptions == 1 ? "" : "s")")
  return parts.joined(separator: ", ")
}
