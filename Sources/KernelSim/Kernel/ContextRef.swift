/// Identifies an execution context in a state: a task (by index), or the interrupt context at
/// `level` of a CPU's interrupt stack (softirq and hardirq contexts never migrate, so the pair
/// is a stable identity for as long as the context exists).
public struct ContextRef: Hashable, Comparable, Sendable {
  public var raw: Int32

  static let maxInterruptDepth: Int32 = 16
  /// "Nobody": an unowned lock.
  public static let none = ContextRef(raw: Int32.min)

  public static func task(_ index: Int) -> ContextRef { ContextRef(raw: Int32(index)) }
  public static func interrupt(cpu: Int, level: Int) -> ContextRef {
    ContextRef(raw: -1 - (Int32(cpu) * maxInterruptDepth + Int32(level)))
  }

  public var isNone: Bool { raw == Int32.min }
  public var isTask: Bool { raw >= 0 }
  public var taskIndex: Int { Int(raw) }
  public var cpu: Int { Int((-1 - raw) / ContextRef.maxInterruptDepth) }
  public var level: Int { Int((-1 - raw) % ContextRef.maxInterruptDepth) }

  public static func < (a: ContextRef, b: ContextRef) -> Bool {
    // Tasks first in index order, then interrupt contexts by CPU and level.
    if a.isTask != b.isTask { return a.isTask }
    return a.isTask ? a.raw < b.raw : a.raw > b.raw
  }
}

extension ContextRef {
  /// A small integer for encodings: 0 for `none` (whose raw value, `Int32.min`, took a
  /// five-byte varint, twice per busy lock in every encoded state), tasks from 1, interrupt
  /// contexts negative as they are.
  var code: Int { raw == Int32.min ? 0 : (raw >= 0 ? Int(raw) + 1 : Int(raw)) }

  init(code: Int) { self.init(raw: code == 0 ? Int32.min : Int32(code > 0 ? code - 1 : code)) }
}
