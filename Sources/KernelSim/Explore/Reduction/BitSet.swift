/// A fixed-universe set of small non-negative integers (lock ids, global slots, list ids) as
/// words of bits, with an "everything" top element for accesses that could not be resolved.
///
/// Reduction unions and intersects these for every expanded state, so they are plain words:
/// no hashing, no allocation beyond the word array.
struct BitSet: Hashable, Sendable {
  private(set) var words: [UInt64] = []
  /// The set of every id (an access whose target is unknown).
  private(set) var isEverything = false

  static let everything: BitSet = { var b = BitSet(); b.isEverything = true; return b }()

  init() {}

  init<S: Sequence>(_ ids: S) where S.Element == Int {
    for i in ids { insert(i) }
  }

  var isEmpty: Bool { !isEverything && words.allSatisfy { $0 == 0 } }

  mutating func insert(_ i: Int) {
    guard !isEverything, i >= 0 else { return }
    let w = i >> 6
    if w >= words.count { words.append(contentsOf: repeatElement(0, count: w - words.count + 1)) }
    words[w] |= 1 << UInt64(i & 63)
  }

  func contains(_ i: Int) -> Bool {
    if isEverything { return true }
    let w = i >> 6
    return i >= 0 && w < words.count && words[w] & (1 << UInt64(i & 63)) != 0
  }

  /// Adds `other`'s members; returns whether that added any (the static analyses' fixed
  /// points grow their sets in place and stop when nothing changes, where they copied each set,
  /// unioned the copy and compared it with the original).
  @discardableResult
  mutating func formUnion(_ other: BitSet) -> Bool {
    if isEverything { return false }
    if other.isEverything { self = .everything; return true }
    if other.words.count > words.count { words.append(contentsOf: repeatElement(0, count: other.words.count - words.count)) }
    var changed = false
    for (i, w) in other.words.enumerated() where words[i] | w != words[i] {
      words[i] |= w
      changed = true
    }
    return changed
  }

  /// Whether the two sets share an element (an unknown access meets any non-empty set).
  func intersects(_ other: BitSet) -> Bool {
    if isEverything { return !other.isEmpty }
    if other.isEverything { return !isEmpty }
    for i in 0..<min(words.count, other.words.count) where words[i] & other.words[i] != 0 { return true }
    return false
  }

  /// The members, ascending (for reports and tests).
  var members: [Int] {
    var out: [Int] = []
    for (wi, w) in words.enumerated() {
      var bits = w
      while bits != 0 {
        let b = bits.trailingZeroBitCount
        out.append(wi * 64 + b)
        bits &= bits - 1
      }
    }
    return out
  }
}
