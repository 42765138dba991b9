extension Array {
  /// Empties the array and keeps its storage, for the explorer's per-state working arrays.
  /// `removeAll(keepingCapacity: true)` goes through the generic `replaceSubrange`, some 80
  /// instructions, even when the array is already empty, as most of them are.
  @inline(__always) mutating func clear() {
    if !isEmpty { removeAll(keepingCapacity: true) }
  }
}

extension Array {
  /// Both arrays are views of the same storage, so equal element by element (an array a
  /// step did not write is still its parent's).
  @inline(__always) func sharesStorage(with other: [Element]) -> Bool {
    count == other.count && withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
  }
}
