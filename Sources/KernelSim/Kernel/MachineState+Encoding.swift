/// A flat, canonical encoding of a machine state: the explorer's visited-set key.
///
/// Hashing the nested state value field by field with SipHash dominated exploration time;
/// encoding once into 64-bit words and hashing those with a fast multiplicative mix is several
/// times cheaper, and the words compare with one memcmp on collision. Two states are equal
/// exactly when their encodings are (every field is written, with its length where it varies).
public struct StateKey: Hashable, Sendable {
  public let words: [UInt64]
  public let fingerprint: UInt64

  public init(_ s: MachineState) {
    var w: [UInt64] = []
    w.reserveCapacity(256)
    s.encode(into: &w)
    words = w
    // 64-bit multiply-xorshift over the words (wyhash-style mixing; not cryptographic).
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(w.count)
    for x in w {
      h = (h ^ x) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 31
    }
    h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
    fingerprint = h ^ (h >> 32)
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
  public static func == (a: StateKey, b: StateKey) -> Bool { a.fingerprint == b.fingerprint && a.words == b.words }
}

extension MachineState {
  func encode(into w: inout [UInt64]) {
    @inline(__always) func put(_ x: Int) { w.append(UInt64(bitPattern: Int64(x))) }
    put(cpus.count)
    for c in cpus {
      put(Int(c.current)); put(Int(c.softirqPending)); put(c.ipiPending ? 1 : 0)
      put(c.stack.count)
      for ctx in c.stack { ctx.encode(into: &w) }
      put(c.rcuCallbacks.count)
      for cb in c.rcuCallbacks { put(Int(cb.head) << 16 | Int(cb.gp)) }
    }
    put(tasks.count)
    for t in tasks {
      switch t.status {
      case .ready(let c): put(1 << 8 | (c + 1))
      case .running(let c): put(2 << 8 | c)
      case .sleeping: put(3 << 8)
      case .done: put(4 << 8)
      }
      put(Int(t.state)); put(t.onRQ ? 1 : 0); put(Int(t.cpu)); put(Int(t.waitGP)); put(Int(t.waitLock))
      t.context.encode(into: &w)
    }
    put(locks.count)
    for l in locks {
      put(Int(l.owner.raw)); put(Int(l.pendingWriter.raw))
      put(l.readers.count); for r in l.readers { put(Int(r.raw)) }
      put(l.waiters.count); for x in l.waiters { put(Int(x.task) << 4 | x.mode.code) }
      put(l.wakees.count); for x in l.wakees { put(Int(x)) }
    }
    put(globals.count); for g in globals { put(g) }
    put(firesLeft.count); for f in firesLeft { put(Int(f)) }
    put(lists.count)
    for l in lists { put(l.count); for x in l { put(Int(x)) } }
    put(Int(rcu.gpSeq)); put(rcu.gpActive ? 1 : 0); put(Int(rcu.qsNeeded)); put(Int(preemptionsLeft))
  }
}

extension Context {
  func encode(into w: inout [UInt64]) {
    @inline(__always) func put(_ x: Int) { w.append(UInt64(bitPattern: Int64(x))) }
    switch kind {
    case .task(let t): put(1 << 16 | t)
    case .hardirq(let s): put(2 << 16 | s)
    case .softirq: put(3 << 16)
    case .ipi: put(4 << 16)
    }
    put((irqsOff ? 1 : 0) | Int(preempt) << 1 | Int(bh) << 20 | spinMode.code << 40)
    put(Int(spinningOn)); put(Int(vector) << 40 | Int(batch) << 8 | Int(restarts)); put(Int(rcuDepth))
    put(frames.count)
    for f in frames {
      put(Int(f.function) << 32 | Int(f.pc)); put(Int(f.result))
      put(f.locals.count); for x in f.locals { put(x) }
    }
  }
}

extension LockMode {
  var code: Int {
    switch self {
    case .exclusive: return 0
    case .read: return 1
    case .write: return 2
    }
  }
}
