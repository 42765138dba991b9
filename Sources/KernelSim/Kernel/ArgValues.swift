/// A primitive's evaluated arguments, held inline: building an `[Int]` for them allocated (and
/// freed) an array on nearly every step. Primitives take at most three arguments; more spill
/// into an array, so nothing is ever lost.
struct ArgValues {
  private var a0 = 0, a1 = 0, a2 = 0, a3 = 0
  private var spill: [Int] = []
  private(set) var count = 0

  mutating func append(_ v: Int) {
    switch count {
    case 0: a0 = v
    case 1: a1 = v
    case 2: a2 = v
    case 3: a3 = v
    default: spill.append(v)
    }
    count += 1
  }

  subscript(i: Int) -> Int {
    assert(i < count, "argument \(i) of \(count)")
    switch i {
    case 0: return a0
    case 1: return a1
    case 2: return a2
    case 3: return a3
    default: return spill[i - 4]
    }
  }
}
