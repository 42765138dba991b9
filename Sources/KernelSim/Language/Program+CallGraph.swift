/// Which functions can call which, and which can run at all: what the static analyses
/// (`StaticFootprints`, `LocalLiveness`) need to know to skip the rest of the prelude.
extension Program {
  /// Per function, the functions it may call, ascending: its direct calls, and for an indirect
  /// call every address-taken function with that many parameters (work functions, timer and
  /// RCU callbacks).
  func callGraph() -> [[Int]] {
    let taken = addressTakenFunctions
    return functions.map { fn in
      var callees = Set<Int>()
      for instr in fn.code {
        switch instr.op {
        case .call(let g, _, _): callees.insert(g)
        case .callIndirect(_, let args):
          for g in taken where functions[g].parameterCount == args.count { callees.insert(g) }
        default: break
        }
      }
      return callees.sorted()
    }
  }

  /// Per function, whether a context can run it: those a context starts in (task and kthread
  /// entries, interrupt and softirq handlers, the irq_work handler) and what they may call.
  /// Most of the prelude is unused by a small scenario. An analysis that skips a function
  /// outside this set must answer for it as if it could touch or read anything: were it to
  /// run after all, that costs precision, never soundness.
  func reachableFunctions(callGraph callees: [[Int]]) -> [Bool] {
    let n = functions.count
    var reachable = Array(repeating: false, count: n)
    var work = tasks.map(\.entry) + irqs.map(\.handler) + softirqs.map(\.handler) + (ipiHandler.map { [$0] } ?? [])
    while let f = work.popLast() {
      guard f >= 0 && f < n && !reachable[f] else { continue }
      reachable[f] = true
      work += callees[f]
    }
    return reachable
  }
}
