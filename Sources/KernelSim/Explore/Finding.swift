import Foundation

/// Something the explorer found, with the shortest schedule that reaches it.
public struct Finding: Sendable {
  public enum Kind: String, Sendable { case deadlock = "DEADLOCK", hang = "HANG", bug = "BUG" }
  public var kind: Kind
  /// Identifies the finding across interleavings: the same cycle reached by different
  /// schedules is one finding.
  public var signature: String
  /// The schedule from the initial state.
  public var witness: [Choice]
  /// Deadlocks: the cycle in the final state.
  public var cycle: [WaitEdge] = []
  /// Bugs: what went wrong.
  public var bug: Bug?
  /// Hangs: the contexts left waiting.
  public var stuck: [ContextRef] = []
  /// The locks in the cycle (deadlocks), sorted.
  public var locks: [Int] = []
}

/// Counters of one exploration.
public struct ExploreStatistics: Sendable {
  public var statesStored = 0
  /// Successors computed and followed. A state the cycle proviso expands again in full counts
  /// the steps it had already kept a second time.
  public var transitions = 0
  public var maxDepth = 0
  /// Stuck states not reported as hangs because an exhausted interrupt source might have
  /// unblocked them (more firings would be needed to tell).
  public var stuckAtBounds = 0
  /// States expanded through a persistent subset of their choices (partial-order reduction).
  public var reducedExpansions = 0
  /// States expanded through a subset and later again in full, to break a cycle of such
  /// states (the cycle proviso, `ReducedCycles`).
  public var provisoExpansions = 0
  /// Transitions taken from the step memo without stepping (`StepMemo`).
  public var memoizedSteps = 0
  /// With `ExploreOptions.verifyStepMemo`: remembered steps run anyway, and those whose
  /// successor was not the one remembered (a ksim bug).
  var memoChecks = 0
  var memoMismatches = 0
  /// An order-sensitive hash of the keys of the states stored, in the order stored: two runs
  /// that store the same states with the same ids have the same digest (`StepMemoTests`).
  var storedDigest: UInt64 = 0xCBF2_9CE4_8422_2325
  /// False when a limit stopped the search before every interleaving was tried.
  public var complete = true
  public var stopReason: String?
  public var seconds: Double = 0
  /// Peak resident memory of the process (bytes), read at the end of the run.
  public var peakMemory = 0
  /// Resident memory when the run started (the program, the runtime, earlier runs' leftovers):
  /// what the run itself used is `peakMemory - baselineMemory`.
  public var baselineMemory = 0
  /// Total bytes of the stored states' encodings: their vectors of part ids and the distinct
  /// parts (`VisitedSet`).
  public var encodedBytes = 0
  /// Bytes the search keeps for its stored states: the visited set (encodings, offsets, hash
  /// tables at their size) and each state's parent and choice, and the cycle proviso's edges.
  /// Arrays are counted at their length: capacity beyond it is never written, so never resident.
  /// Not counted: the frontier (queue entries, and up to `Explorer.heldStates` states held as
  /// values) and the caches of decoded parts, which are bounded or transient; the resident
  /// memory's growth (`bytesPerState`) includes them.
  public var storedBytes = 0

  /// Memory the run grew by, per stored state (bytes).
  public var bytesPerState: Int { statesStored > 0 ? max(0, peakMemory - baselineMemory) / statesStored : 0 }
  /// `storedBytes` per stored state.
  public var storedBytesPerState: Int { statesStored > 0 ? storedBytes / statesStored : 0 }

  public init() {}

  /// Stored states per second.
  public var statesPerSecond: Double { seconds > 0 ? Double(statesStored) / seconds : 0 }
}

/// Asks a running exploration to stop (Ctrl-C); checked between states.
public final class StopFlag: @unchecked Sendable {
  private var raised = false
  public init() {}
  public func raise() { raised = true }
  public var isRaised: Bool { raised }
}

/// Process memory, from /proc (Linux).
public enum MemoryUsage {
  /// Resident set size now, in bytes.
  public static var resident: Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * 4096 : 0
  }
  /// Resets the peak (VmHWM) to the current size, so the next reading is this run's peak.
  public static func resetPeak() {
    if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
      h.write(Data("5".utf8))
      try? h.close()
    }
  }

  /// Peak resident set size (VmHWM), in bytes.
  public static var peak: Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return resident }
    let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kb * 1024
  }
}

public struct ExplorationResult: Sendable {
  public var program: Program
  public var options: ExploreOptions
  public var findings: [Finding]
  public var statistics: ExploreStatistics

  public var deadlocks: [Finding] { findings.filter { $0.kind == .deadlock } }
  public var hangs: [Finding] { findings.filter { $0.kind == .hang } }
  public var bugs: [Finding] { findings.filter { $0.kind == .bug } }
}
