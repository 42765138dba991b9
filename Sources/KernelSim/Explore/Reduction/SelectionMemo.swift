/// Where persistent-set selection keeps finding nothing, stop paying for it.
///
/// On the seed scenarios almost every CPU's future touches the prelude's scheduler, workqueue
/// and SRCU paths, so `PersistentSets.select` finds no set in most states: the search ran about
/// 30% more instructions than `--no-reduction` for a 1.01-1.03x reduction. This memo records,
/// per *shape* of a state (what each CPU is about to execute), whether selection ever found a
/// set there; after two empty selections and no success for a shape, the explorer expands
/// states of that shape in full without asking. A finer shape (every frame of every context
/// and task) hardly ever repeated and skipped under 5% of selections.
///
/// Sound by construction: a full expansion is always allowed, so skipping selection can only
/// cost reduction, never hide a state. Deterministic: it depends only on the states expanded
/// before, in the search's fixed order. Shapes are hashed to 64 bits; a collision only mixes
/// the statistics of two shapes.
struct SelectionMemo {
  /// Per shape: empty selections seen (saturating), or `found` once one succeeded. Keyed by the
  /// shape itself (already a hash).
  private var counts = ProbingTable<UInt64, UInt8>(slots: 1 << 10, placeholder: (0, 0))
  private static let found: UInt8 = .max
  private static let giveUpAfter: UInt8 = 2

  /// Whether to run selection for a state of this shape.
  func shouldSelect(_ shape: UInt64) -> Bool {
    guard let c = counts[shape] else { return true }
    return c == Self.found || c < Self.giveUpAfter
  }

  mutating func record(_ shape: UInt64, found: Bool) {
    let c = counts[shape] ?? 0
    if found { counts.set(shape, Self.found); return }
    if c != Self.found && c < Self.giveUpAfter { counts.set(shape, c + 1) }
  }
}

extension UInt64: ProbingKey {
  /// Shapes are hashes already; the high bits are folded in for tables smaller than 2^29.
  var probeHash: UInt64 { self ^ (self >> 29) }
}

extension PersistentSets {
  /// What each CPU is about to execute, hashed: its running task, how many interrupt contexts
  /// are stacked on it, and its top context's depth, function and pc (whether it spins).
  func shape(_ s: MachineState) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always) func mix(_ x: Int) {
      h = (h ^ UInt64(bitPattern: Int64(x))) &* 0x0000_0100_0000_01B3
      h ^= h >> 29
    }
    func context(_ c: Context) {
      mix(c.frameCount)
      mix(Int(c.topFunctionPC?.function ?? -1))
      mix(Int(c.topFunctionPC?.pc ?? -1))
      mix(c.spinningOn >= 0 ? 1 : 0)
    }
    for cpu in s.cpus {
      mix(Int(cpu.current)); mix(cpu.stack.count)
      if let c = cpu.stack.last { context(c) } else if cpu.current >= 0 { context(s.tasks[Int(cpu.current)].context) }
    }
    return h
  }
}
