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
  /// Per shape: empty selections seen (saturating), or `found` once one succeeded. An
  /// open-addressing table keyed by the shape itself (already a hash): a `Dictionary`
  /// hashed every shape again with SipHash, some 100 instructions per expanded state.
  private var keys = [UInt64](repeating: 0, count: 1 << 10)
  private var counts = [UInt8](repeating: 0, count: 1 << 10)
  private var used = [Bool](repeating: false, count: 1 << 10)
  private var stored = 0
  private static let found: UInt8 = .max
  private static let giveUpAfter: UInt8 = 2

  /// The slot holding `shape`, or the empty slot where it would go.
  private func slot(_ shape: UInt64) -> Int {
    let mask = keys.count - 1
    var i = Int(truncatingIfNeeded: shape ^ (shape >> 29)) & mask
    while used[i] && keys[i] != shape { i = (i + 1) & mask }
    return i
  }

  /// Whether to run selection for a state of this shape.
  func shouldSelect(_ shape: UInt64) -> Bool {
    let i = slot(shape)
    guard used[i] else { return true }
    return counts[i] == Self.found || counts[i] < Self.giveUpAfter
  }

  mutating func record(_ shape: UInt64, found: Bool) {
    var i = slot(shape)
    if !used[i] {
      if (stored + 1) * 2 > keys.count {
        grow()
        i = slot(shape)
      }
      used[i] = true
      keys[i] = shape
      counts[i] = 0
      stored += 1
    }
    if found { counts[i] = Self.found; return }
    if counts[i] != Self.found && counts[i] < Self.giveUpAfter { counts[i] += 1 }
  }

  private mutating func grow() {
    let (oldKeys, oldCounts, oldUsed) = (keys, counts, used)
    keys = Array(repeating: 0, count: oldKeys.count * 2)
    counts = Array(repeating: 0, count: oldKeys.count * 2)
    used = Array(repeating: false, count: oldKeys.count * 2)
    for j in oldKeys.indices where oldUsed[j] {
      let i = slot(oldKeys[j])
      used[i] = true
      keys[i] = oldKeys[j]
      counts[i] = oldCounts[j]
    }
  }
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
