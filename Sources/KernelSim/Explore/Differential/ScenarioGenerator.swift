/// Generates small random scenarios from a seed, for checking partial-order reduction against
/// the plain search (`DifferentialCheck`).
///
/// The shapes are the ones reduction must get right: CPUs taking two or three of a few locks in
/// random orders and flavours (plain, `_irq`, `_irqsave`, `_bh`, trylocks, rwlocks), interrupt
/// handlers and a softirq action taking them too, shared variables read and written, local irq
/// and bh sections, `either` branches, free tasks that any CPU may pick, loops that come back
/// to a state already seen until another CPU writes the shared variable (cycles in the state
/// graph, for the cycle proviso), and now and then a mistake (an unlock of a lock not held) so
/// that bug reports are compared as well.
public struct ScenarioGenerator {
  /// SplitMix64: small, fast, and the same sequence on every platform.
  struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
  }

  public init() {}

  /// The scenario text for `seed` (deterministic).
  public func scenario(seed: UInt64) -> String {
    var r = Random(state: seed)
    let cpus = 2 + r.below(2)
    let spinlocks = 2 + r.below(3)
    let rwlock = r.chance(30)
    let useSoftirq = r.chance(35)
    var out = ["scenario \"generated \(seed)\";", "cpus \(cpus);", "spinlock_t l[\(spinlocks)];", "int shared;"]
    if rwlock { out.append("rwlock_t rw;") }
    if useSoftirq { out.append("softirq NET_RX => net_rx_action;") }
    out.append("void oops_unlock(spinlock_t *lock) { spin_unlock(lock); }")

    // A critical section over one or two locks, in the given flavour.
    func section(_ r: inout Random, inHandler: Bool, depth: Int = 0) -> [String] {
      var lines: [String] = []
      let a = r.below(spinlocks)
      var b = r.below(spinlocks)
      if b == a { b = (a + 1) % spinlocks }
      let flavours = inHandler ? [""] : ["", "", "_irq", "_irqsave", "_bh"]
      let f = r.pick(flavours)
      func lock(_ i: Int, _ fl: String) -> String {
        fl == "_irqsave" ? "spin_lock_irqsave(&l[\(i)], flags);" : "spin_lock\(fl)(&l[\(i)]);"
      }
      func unlock(_ i: Int, _ fl: String) -> String {
        fl == "_irqsave" ? "spin_unlock_irqrestore(&l[\(i)], flags);" : "spin_unlock\(fl)(&l[\(i)]);"
      }
      if !inHandler && r.chance(15) {
        lines.append("if (spin_trylock(&l[\(a)])) { shared = shared + 1; spin_unlock(&l[\(a)]); }")
        return lines
      }
      if rwlock && r.chance(25) {
        let side = r.chance(50) ? "read" : "write"
        lines.append("\(side)_lock(&rw);")
        if r.chance(50) { lines += [lock(a, ""), unlock(a, "")] }
        lines.append("\(side)_unlock(&rw);")
        return lines
      }
      lines.append(lock(a, f))
      if r.chance(40) { lines.append("shared = shared + 1;") }
      if r.chance(60) {
        lines.append(lock(b, ""))
        if r.chance(30) { lines.append("if (shared > 1) { shared = 0; }") }
        lines.append(unlock(b, ""))
      }
      if !inHandler && useSoftirq && r.chance(20) { lines.append("raise_softirq(NET_RX);") }
      // A mistake: `b` is not held here. Through a helper, as in real code: the checker rejects
      // a double unlock it can see inside one function.
      if r.chance(3) { lines.append("oops_unlock(&l[\(b)]);") }
      lines.append(unlock(a, f))
      return lines
    }

    let handlerBody = section(&r, inHandler: true)
    out.append("void handler(void) { " + handlerBody.joined(separator: " ") + (useSoftirq && r.chance(50) ? " raise_softirq(NET_RX);" : "") + " }")
    if useSoftirq {
      out.append("void net_rx_action(void) { " + section(&r, inHandler: true).joined(separator: " ") + " }")
    }
    // Kept small (a few thousand states at most) so hundreds of cases run in the test suite.
    let tasks = cpus + (r.chance(20) ? 1 : 0)
    for t in 0..<tasks {
      var body = ["unsigned long flags;"]
      for _ in 0..<(tasks == 2 ? 1 + r.below(2) : 1) {
        if r.chance(15) {
          body.append("either { " + section(&r, inHandler: false).joined(separator: " ") + " } or { shared = 2; }")
        } else if r.chance(10) {
          body += ["local_irq_disable();"] + section(&r, inHandler: true) + ["local_irq_enable();"]
        } else {
          body += section(&r, inHandler: false)
        }
      }
      if r.chance(12) {
        // A polling loop: the same states again and again until `shared` changes.
        let l = r.below(spinlocks)
        body.append("while (shared == 0) { spin_lock(&l[\(l)]); spin_unlock(&l[\(l)]); }")
      }
      let placement = t < cpus ? " on cpu\(t)" : ""
      out.append("task t\(t)\(placement) { " + body.joined(separator: " ") + " }")
    }
    let sources = tasks > 3 ? r.below(2) : r.below(3)
    for i in 0..<sources {
      out.append("irq dev\(i) on cpu\(r.below(cpus)) => handler;")
    }
    return out.joined(separator: "\n") + "\n"
  }
}
