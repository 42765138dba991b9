/// What a step, or a stretch of code that may still run, can touch of the state other CPUs see.
///
/// Partial-order reduction is only as sound as these sets are complete, so everything here
/// over-approximates: an access whose target is not known is `BitSet.everything`, and any
/// operation on the scheduler's or RCU's shared bookkeeping sets `scheduler`.
struct Footprint: Sendable, Hashable {
  /// Lock instances operated on in any way (acquire, release, trylock, sleeping-lock queueing).
  /// Every operation counts as a write: two operations on one lock never commute in general
  /// (the order decides who spins, who queues first, what a trylock returns).
  var locks = BitSet()
  /// Global slots read and written (scalar globals, struct fields, per-CPU variables).
  var reads = BitSet()
  var writes = BitSet()
  /// Native lists, read or written.
  var lists = BitSet()
  /// Touches other tasks' scheduler state: wakeups, `task_state()`, context switches and
  /// sleeps, the RCU grace-period machine (whose end wakes `synchronize_rcu()` waiters).
  var scheduler = false
  /// Could not be bounded at all: dependent with everything.
  var unbounded = false
  /// May raise a softirq (`raise_softirq`, the RCU tick) or the irq_work self-IPI on the CPU it
  /// runs on: that CPU may then run softirq actions or the irq_work handler too.
  var raisesSoftirq = false
  var raisesIPI = false

  static let everything: Footprint = { var f = Footprint(); f.unbounded = true; return f }()

  /// Adds `o`'s accesses; returns whether that added any.
  @discardableResult
  mutating func formUnion(_ o: Footprint) -> Bool {
    var changed = locks.formUnion(o.locks)
    changed = reads.formUnion(o.reads) || changed
    changed = writes.formUnion(o.writes) || changed
    changed = lists.formUnion(o.lists) || changed
    let flagsBefore = (scheduler, unbounded, raisesSoftirq, raisesIPI)
    scheduler = scheduler || o.scheduler
    unbounded = unbounded || o.unbounded
    raisesSoftirq = raisesSoftirq || o.raisesSoftirq
    raisesIPI = raisesIPI || o.raisesIPI
    return changed || flagsBefore != (scheduler, unbounded, raisesSoftirq, raisesIPI)
  }

  /// Whether a step with footprint `self` may fail to commute with some step in `o`: they share
  /// a lock or list, one writes a slot the other reads or writes, or both touch scheduler state.
  func conflicts(with o: Footprint) -> Bool {
    if unbounded || o.unbounded { return true }
    if locks.intersects(o.locks) || lists.intersects(o.lists) { return true }
    if writes.intersects(o.writes) || writes.intersects(o.reads) || reads.intersects(o.writes) { return true }
    return scheduler && o.scheduler
  }
}
