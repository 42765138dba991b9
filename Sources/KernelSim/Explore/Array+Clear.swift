extension Array {
  /// Empties the array and keeps its storage, for the explorer's per-state working arrays.
  /// `removeAll(keepingCapacity: true)` goes through the generic `replaceSubrange`, some 80
  /// instructions, even when the array is already empty, as most of them are.
  @inline(__always) mutating func clear() {
    if !isEmpty { removeAll(keepingCapacity: true) }
  }
}
