import Testing
@testable import KernelSim

/// The sparse lock-queue table against a plain array of `LockQueues`: the same reads after the
/// same random edits, equality exactly when the arrays are equal (so encodings and the visited
/// set stay canonical), and `allDifferences` naming exactly the locks whose queues differ.
@Suite struct LockQueueTableTests {
  @Test func behavesLikeAnArrayOfQueues() {
    var random = TestRandom(seed: 0x2545_F491_4F6C_DD1D)
    func next(_ bound: Int) -> Int { random.next(bound) }
    let locks = 9
    for _ in 0..<200 {
      var tables = [LockQueueTable(count: locks), LockQueueTable(count: locks)]
      var arrays = [[LockQueues]](repeating: Array(repeating: LockQueues(), count: locks), count: 2)
      for _ in 0..<next(12) {
        let side = next(2), lock = next(locks)
        switch next(5) {
        case 0:
          let r = ContextRef.task(next(3))
          tables[side][lock].readers.append(r); arrays[side][lock].readers.append(r)
        case 1:
          let w = LockWaiter(task: Int32(next(3)), mode: .exclusive)
          tables[side][lock].waiters.append(w); arrays[side][lock].waiters.append(w)
        case 2:
          let t = Int32(next(3))
          tables[side][lock].wakees.append(t); arrays[side][lock].wakees.append(t)
        case 3:
          if !arrays[side][lock].readers.isEmpty {
            tables[side][lock].readers.removeFirst(); arrays[side][lock].readers.removeFirst()
          }
        default:
          tables[side][lock] = LockQueues(); arrays[side][lock] = LockQueues()
        }
      }
      for side in 0..<2 {
        for l in 0..<locks {
          #expect(tables[side][l] == arrays[side][l])
          #expect(tables[side].isEmpty(l) == arrays[side][l].isEmpty)
        }
        #expect(tables[side].entries.allSatisfy { !$0.queues.isEmpty })
        #expect(tables[side].entries.map(\.lock) == tables[side].entries.map(\.lock).sorted())
      }
      #expect((tables[0] == tables[1]) == (arrays[0] == arrays[1]))
      var named: [Int] = []
      #expect(tables[0].allDifferences(from: tables[1]) { named.append($0); return true })
      #expect(named == (0..<locks).filter { arrays[0][$0] != arrays[1][$0] })
    }
  }

  @Test func stopsAtTheFirstDifferenceItIsToldToStopAt() {
    var a = LockQueueTable(count: 4)
    let b = LockQueueTable(count: 4)
    a[1].wakees.append(0)
    a[3].wakees.append(1)
    var seen: [Int] = []
    #expect(!a.allDifferences(from: b) { seen.append($0); return false })
    #expect(seen == [1])
  }
}
