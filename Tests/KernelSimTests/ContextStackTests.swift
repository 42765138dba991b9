import Testing
@testable import KernelSim

/// A context's call stack kept as words (`Context`): calls, returns, locals and pcs read back
/// as the frames they stand for, and equal stacks are equal however they were built.
@Suite struct ContextStackTests {
  @Test func pushesPopsAndReadsBackAsFrames() {
    var c = Context(kind: .task(0), frames: [Frame(function: 2, pc: 5, locals: [7, 8], result: -1)], irqsOff: false)
    #expect(c.frameCount == 1)
    #expect(c.topFunctionPC! == (2, 5))
    c.push(function: 3, count: 3, result: 1)
    c.setLocal(0, 42)
    c.advancePC()
    #expect(c.frames == [Frame(function: 2, pc: 5, locals: [7, 8], result: -1),
                         Frame(function: 3, pc: 1, locals: [42, 0, 0], result: 1)])
    #expect(c.local(0) == 42)
    var seen: [Int32] = []
    c.forEachFunctionPC { f, pc in seen += [f, pc] }
    #expect(seen == [2, 5, 3, 1])
    #expect(c.pop() == 1)
    #expect(c.frameCount == 1)
    #expect(c.local(1) == 8)
    #expect(c.frames == [Frame(function: 2, pc: 5, locals: [7, 8], result: -1)])
    _ = c.pop()
    #expect(c.hasNoFrame && c.topFunctionPC == nil && c.frames.isEmpty)
  }

  @Test func equalStacksAreEqualHoweverBuilt() {
    var a = Context(kind: .softirq, frames: [], irqsOff: false)
    a.push(function: 1, count: 2, result: -1)
    a.push(function: 4, count: 0, result: 0)
    _ = a.pop()
    a.setLocal(1, 9)
    let b = Context(kind: .softirq, frames: [Frame(function: 1, pc: 0, locals: [0, 9], result: -1)], irqsOff: false)
    #expect(a == b && a.sameFrames(as: b))
    var w1 = ByteWriter(), w2 = ByteWriter()
    a.encode(into: &w1)
    b.encode(into: &w2)
    #expect(w1.bytes == w2.bytes)
    var r = ByteReader(bytes: w1.bytes)
    #expect(Context(decoding: &r) == a)
  }

  @Test func entryContextsAndRestartsAreFreshFrames() {
    let fresh = Context(kind: .hardirq(2), frames: [Frame(function: 5, pc: 0, locals: [0, 0, 0], result: -1)], irqsOff: true)
    #expect(Context(kind: .hardirq(2), entry: 5, locals: 3, irqsOff: true) == fresh)
    var c = Context(kind: .hardirq(2), frames: [Frame(function: 1, pc: 4, locals: [9], result: -1)], irqsOff: true)
    c.push(function: 2, count: 2, result: 0)
    c.restart(function: 5, locals: 3)
    #expect(c == fresh)
  }

  /// The small fields share two words: each holds its whole range, negative values included,
  /// and writing one leaves the others as they were.
  @Test func packedFieldsKeepTheirValuesApart() {
    var c = Context(kind: .softirq, frames: [], irqsOff: false)
    #expect(c.preempt == 0 && c.bh == 0 && c.spinningOn == -1 && c.spinMode == .exclusive && c.vector == -1
      && c.batch == 0 && c.restarts == 0 && c.rcuDepth == 0 && !c.irqsOff)
    c.preempt = .min; c.bh = .max; c.spinningOn = .min; c.spinMode = .write; c.vector = .min
    c.batch = .max; c.restarts = .max; c.rcuDepth = .min; c.irqsOff = true
    #expect(c.preempt == .min && c.bh == .max && c.spinningOn == .min && c.spinMode == .write && c.vector == .min
      && c.batch == .max && c.restarts == .max && c.rcuDepth == .min && c.irqsOff)
    c.preempt = -1; c.bh = -1; c.spinningOn = -1; c.spinMode = .read; c.vector = -1
    c.batch = 0; c.restarts = -1; c.rcuDepth = -1; c.irqsOff = false
    #expect(c.preempt == -1 && c.bh == -1 && c.spinningOn == -1 && c.spinMode == .read && c.vector == -1
      && c.batch == 0 && c.restarts == -1 && c.rcuDepth == -1 && !c.irqsOff)
    c.rcuDepth = 5
    #expect(c.restarts == -1 && c.vector == -1 && !c.irqsOff && c.spinMode == .read)
  }
}
