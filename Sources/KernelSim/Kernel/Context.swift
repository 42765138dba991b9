import Foundation

/// One activation record: a function, where it is, and its locals. A view: a context keeps
/// its frames as words (`Context.words`); this is how they are built and read outside the
/// interpreter's hot path.
public struct Frame: Hashable, Sendable {
  public var function: Int32
  public var pc: Int32
  public var locals: [Int]
  /// The caller's local that receives the return value (-1: discarded).
  public var result: Int32
}

/// An execution context: its code position and the irq/bh/preempt state it runs with.
///
/// On a real CPU these counts live in `preempt_count` and EFLAGS and are saved and restored by
/// interrupt entry and exit; keeping them per context gives exactly that behaviour.
///
/// The call stack is one array of plain words, bottom frame first, each frame a header of
/// `Context.header` words (function, pc, result slot, the previous frame's offset, the number
/// of locals) followed by its locals. A step changes the top frame's pc and often a local: with an array of
/// frames each holding an array of locals, that copied the frames array (retaining every
/// frame's locals) and then the locals, and dropping the successor released them all; now it
/// copies one array of integers.
public struct Context: Hashable, Sendable {
  public var kind: ContextKind
  /// The frames as words (see above). Canonical: equal stacks have equal words.
  private(set) var words: [Int] = []
  /// Where the top frame's header starts in `words` (-1: no frame).
  private(set) var top: Int32 = -1
  /// How many frames there are.
  private(set) var depth: Int16 = 0
  /// The irq/bh/preempt state, RCU nesting and softirq bookkeeping below, packed into two
  /// words: a context is copied with every task and CPU a step copies, and the copy moved
  /// each of nine small fields on its own.
  /// Bits 0-15 preempt, 16-31 bh, 32-39 vector, 40-47 restarts, 48-55 rcuDepth, 56 irqsOff,
  /// 57-58 spinMode.
  private var small: UInt64 = 0xFF << 32
  /// Bits 0-31 spinningOn, 32-63 batch.
  private var wide: UInt64 = 0xFFFF_FFFF

  @inline(__always) private func field(_ shift: UInt64, _ mask: UInt64) -> UInt64 { (small >> shift) & mask }
  @inline(__always) private mutating func setField(_ shift: UInt64, _ mask: UInt64, _ v: UInt64) {
    small = (small & ~(mask << shift)) | ((v & mask) << shift)
  }
  /// Signed fields of `small`, sign-extended when read.
  @inline(__always) private func int16(_ shift: UInt64) -> Int16 { Int16(truncatingIfNeeded: small >> shift) }
  @inline(__always) private mutating func setInt16(_ shift: UInt64, _ v: Int16) { setField(shift, 0xFFFF, UInt64(UInt16(bitPattern: v))) }
  @inline(__always) private func int8(_ shift: UInt64) -> Int8 { Int8(truncatingIfNeeded: small >> shift) }
  @inline(__always) private mutating func setInt8(_ shift: UInt64, _ v: Int8) { setField(shift, 0xFF, UInt64(UInt8(bitPattern: v))) }

  /// Interrupts disabled (EFLAGS.IF clear) while this context runs.
  public var irqsOff: Bool { get { field(56, 1) != 0 } set { setField(56, 1, newValue ? 1 : 0) } }
  /// `preempt_disable()` depth, including the one every spinlock hold takes.
  public var preempt: Int16 { get { int16(0) } set { setInt16(0, newValue) } }
  /// `local_bh_disable()` depth (the SOFTIRQ_DISABLE part of preempt_count).
  public var bh: Int16 { get { int16(16) } set { setInt16(16, newValue) } }
  /// Softirq contexts: the vector whose action is running (-1 between actions).
  public var vector: Int8 { get { int8(32) } set { setInt8(32, newValue) } }
  /// Softirq contexts: how many times `__do_softirq` re-read the pending mask.
  public var restarts: Int8 { get { int8(40) } set { setInt8(40, newValue) } }
  /// `rcu_read_lock()` nesting (PREEMPT_RCU: a task may be preempted or block inside).
  public var rcuDepth: Int8 { get { int8(48) } set { setInt8(48, newValue) } }
  /// The side of the lock this context spins for (`spinningOn`).
  public var spinMode: LockMode {
    get {
      switch field(57, 3) {
      case 1: return .read
      case 2: return .write
      default: return .exclusive
      }
    }
    set { setField(57, 3, newValue == .read ? 1 : newValue == .write ? 2 : 0) }
  }
  /// The lock this context spins on, or -1.
  public var spinningOn: Int32 {
    get { Int32(truncatingIfNeeded: wide) }
    set { wide = (wide & ~0xFFFF_FFFF) | UInt64(UInt32(bitPattern: newValue)) }
  }
  /// Softirq contexts: vectors taken from the pending mask but not yet run (`__do_softirq`'s
  /// local `pending`).
  public var batch: UInt32 {
    get { UInt32(truncatingIfNeeded: wide >> 32) }
    set { wide = (wide & 0xFFFF_FFFF) | (UInt64(newValue) << 32) }
  }

  /// Header words per frame: function, pc, result slot, previous frame's offset, locals.
  static let header = 5

  public init(kind: ContextKind, frames: [Frame], irqsOff: Bool) {
    self.kind = kind
    self.irqsOff = irqsOff
    self.frames = frames
  }

  /// The frames, bottom first, as values (allocates: for building, reports and tests).
  public var frames: [Frame] {
    get {
      var out: [Frame] = []
      forEachFrame { base, end in
        out.append(Frame(function: Int32(words[base]), pc: Int32(words[base + 1]),
                         locals: Array(words[(base + Context.header)..<end]), result: Int32(words[base + 2])))
      }
      return out
    }
    set {
      removeAllFrames()
      for f in newValue {
        push(function: f.function, locals: f.locals, result: f.result)
        setPC(f.pc)
      }
    }
  }

  /// Whether the context has no frame left.
  @inline(__always) public var hasNoFrame: Bool { top < 0 }
  @inline(__always) public var frameCount: Int { Int(depth) }

  /// The top frame's function and pc, nil without a frame.
  @inline(__always) public var topFunctionPC: (function: Int32, pc: Int32)? {
    guard top >= 0 else { return nil }
    return (Int32(truncatingIfNeeded: words[Int(top)]), Int32(truncatingIfNeeded: words[Int(top) + 1]))
  }

  /// Calls `body` with each frame's header offset and the end of its locals, bottom first.
  @inline(__always) func forEachFrame(_ body: (_ base: Int, _ end: Int) -> Void) {
    var base = 0
    for _ in 0..<Int(depth) {
      let end = base + Context.header + words[base + 4]
      body(base, end)
      base = end
    }
  }

  /// Calls `body` with each frame's function and pc, bottom first (no locals, no allocation).
  @inline(__always) func forEachFunctionPC(_ body: (_ function: Int32, _ pc: Int32) -> Void) {
    forEachFrame { base, _ in body(Int32(truncatingIfNeeded: words[base]), Int32(truncatingIfNeeded: words[base + 1])) }
  }

  /// Pushes a frame of `function` at pc 0 with these locals (`setPC` to start elsewhere).
  mutating func push(function: Int32, locals: [Int], result: Int32) {
    let base = pushZeroed(function: function, localCount: locals.count, result: result)
    for (i, v) in locals.enumerated() { words[base + Context.header + i] = v }
  }

  /// Pushes a frame of `function` at pc 0 with `count` locals, all zero.
  mutating func push(function: Int32, count: Int, result: Int32) {
    _ = pushZeroed(function: function, localCount: count, result: result)
  }

  /// Pushes a frame of `function` at pc 0 with `count` locals, the first ones `arguments`
  /// and the others zero (a call).
  mutating func push(function: Int32, count: Int, arguments: ArgValues, result: Int32) {
    let first = pushZeroed(function: function, localCount: max(count, arguments.count), result: result) + Context.header
    words.withUnsafeMutableBufferPointer { w in
      for i in 0..<arguments.count { w[first + i] = arguments[i] }
    }
  }

  /// Makes the words unique with room for a few calls, before a step writes them. A step
  /// copies its context's words from the parent state on its first write (the pc, usually)
  /// into a buffer with no spare capacity, and a call in the same step then reallocated it:
  /// 54K of 71K calls on netfs_four_tasks. Copying once, roomy, saves that allocation.
  mutating func reserveRoomForCalls() {
    words.reserveCapacity(words.count + Context.callRoom)
  }
  static let callRoom = 32

  /// A new top frame of zero locals: the words grown once and the header written in place
  /// (appending its words one by one checked uniqueness and capacity for each, some 400
  /// instructions per call). Returns the frame's offset.
  private mutating func pushZeroed(function: Int32, localCount: Int, result: Int32) -> Int {
    let base = words.count
    words.append(contentsOf: repeatElement(0, count: Context.header + localCount))
    words.withUnsafeMutableBufferPointer { w in
      w[base] = Int(function)
      w[base + 2] = Int(result)
      w[base + 3] = Int(top)
      w[base + 4] = localCount
    }
    top = Int32(base)
    depth += 1
    return base
  }

  /// A context starting in `function` at pc 0 with `count` zero locals (an interrupt
  /// handler, a softirq action, a task's entry), without building a `Frame`.
  init(kind: ContextKind, entry function: Int, locals count: Int, irqsOff: Bool) {
    self.kind = kind
    self.irqsOff = irqsOff
    push(function: Int32(function), count: count, result: -1)
  }

  /// Replaces every frame with a fresh one of `function` (`count` zero locals).
  mutating func restart(function: Int, locals count: Int) {
    removeAllFrames()
    push(function: Int32(function), count: count, result: -1)
  }

  private mutating func removeAllFrames() {
    words.removeAll(keepingCapacity: true)
    top = -1
    depth = 0
  }

  /// Pops the top frame (there must be one); returns its result slot.
  mutating func pop() -> Int32 {
    let base = Int(top)
    let result = Int32(truncatingIfNeeded: words[base + 2])
    top = Int32(truncatingIfNeeded: words[base + 3])
    words.removeLast(words.count - base)
    depth -= 1
    return result
  }

  /// Whether the two call stacks are equal (the other fields aside).
  @inline(__always) func sameFrames(as o: Context) -> Bool {
    guard top == o.top && depth == o.depth && words.count == o.words.count else { return false }
    // In one memory compare: `==` on the arrays checks for shared storage and then compares
    // element by element.
    return words.withUnsafeBytes { a in
      o.words.withUnsafeBytes { b in
        a.count == 0 || a.baseAddress == b.baseAddress || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
      }
    }
  }

  /// Local `slot` of the top frame.
  @inline(__always) func local(_ slot: Int) -> Int { words[Int(top) + Context.header + slot] }
  @inline(__always) mutating func setLocal(_ slot: Int, _ value: Int) { words[Int(top) + Context.header + slot] = value }
  @inline(__always) mutating func setPC(_ pc: Int32) { words[Int(top) + 1] = Int(pc) }
  @inline(__always) mutating func advancePC() { words[Int(top) + 1] += 1 }
}
