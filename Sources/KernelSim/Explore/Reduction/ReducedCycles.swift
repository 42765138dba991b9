/// The cycle proviso, checked on the reduced graph the search actually built.
///
/// Partial-order reduction postpones the choices of CPUs outside a persistent set. Around a
/// cycle of states that were all expanded through persistent sets, a choice could be postponed
/// forever (the "ignoring problem"), and a finding behind it would be missed. The condition
/// that excludes this: every cycle of the reduced graph contains a fully expanded state, i.e.
/// the states expanded through a subset induce an acyclic subgraph.
///
/// The search used to enforce that eagerly, breadth-first style: a kept edge had to lead to a
/// state with a larger id. Ids are a total order, so that is sufficient, but most edges it
/// refused were on no cycle at all: a state reached along a longer path (one with a failed
/// acquire, or with the interrupt earlier) was stored before the state expanded. On the spin
/// ring of 5 CPUs, those refusals alone made the search store 3,590 states, against 1,349
/// without the check (the ring's graph has no cycle).
///
/// So the check is now made on the graph (as in Evangelista and Pajault, "Solving the Ignoring
/// Problem for Partial Order Reduction", 2010, for breadth-first and parallel searches): the
/// explorer records every edge out of a state it expanded through a subset; when its queue
/// runs dry, `statesToExpand` finds the strongly connected components of the subgraph of such
/// states and returns, in each one with a cycle, the states with an edge inside it to a smaller
/// or equal id. Every cycle has such an edge (at its largest id), so expanding those states in
/// full breaks every cycle found. Their new successors are searched as before, and the check
/// repeats until it returns nothing: the final reduced graph then satisfies the condition.
///
/// Each check looks only for cycles through an edge recorded since the one before: the
/// cycles found then were all broken, and a state expanded in full never becomes reduced
/// again, so an older cycle cannot reappear. (A cycle through a state expanded since then uses
/// one of its new out-edges.) Edges out of states since expanded in full are dropped.
struct ReducedCycles {
  /// Edges out of states expanded through a subset, as (from, to) ids, in the order found.
  private var from: [Int32] = []
  private var to: [Int32] = []
  /// Per state id: expanded through a subset (and not since expanded in full).
  private var reduced: [Bool] = []
  /// Edges before this index were there at the last check.
  private var checked = 0

  var edgeCount: Int { from.count }
  /// Bytes kept: the edges and the per-state flags.
  var storedBytes: Int { (from.count + to.count) * MemoryLayout<Int32>.stride + reduced.count }

  mutating func setReduced(_ id: Int32, _ value: Bool) {
    let i = Int(id)
    if i >= reduced.count {
      guard value else { return }
      // Grown in place: `+= Array(...)` built a temporary array, an allocation for nearly
      // every state stored (ids grow one at a time), 800 instructions a call on the spin ring.
      reduced.append(contentsOf: repeatElement(false, count: i + 1 - reduced.count))
    }
    reduced[i] = value
  }

  mutating func addEdge(from a: Int32, to b: Int32) {
    from.append(a)
    to.append(b)
  }

  func isReduced(_ id: Int32) -> Bool { Int(id) < reduced.count && reduced[Int(id)] }

  /// Sorts `ids` and removes repeats.
  static func sortUnique(_ ids: inout [Int32]) {
    ids.sort()
    var kept = 0
    for i in ids.indices where i == 0 || ids[i] != ids[i - 1] {
      ids[kept] = ids[i]
      kept += 1
    }
    ids.removeLast(ids.count - kept)
  }

  /// The states to expand in full so that no cycle is left among states expanded through a
  /// subset, in increasing id order (empty when there is none).
  mutating func statesToExpand() -> [Int32] {
    // Forget edges out of states expanded in full since they were recorded.
    var kept = 0, keptChecked = 0
    for e in from.indices where isReduced(from[e]) {
      from[kept] = from[e]; to[kept] = to[e]
      if e < checked { keptChecked += 1 }
      kept += 1
    }
    from.removeLast(from.count - kept)
    to.removeLast(to.count - kept)
    let firstNew = keptChecked
    checked = from.count
    guard firstNew < from.count else { return [] }

    // Only edges between two reduced states can be on such a cycle, and a cycle needs one
    // edge to a smaller or equal id: without one, nothing to do.
    var keep: [Int] = []
    var anyBack = false
    var roots: [Int32] = []
    for e in from.indices where isReduced(to[e]) {
      keep.append(e)
      if to[e] <= from[e] { anyBack = true }
      if e >= firstNew { roots.append(from[e]) }
    }
    guard anyBack, !roots.isEmpty else { return [] }
    ReducedCycles.sortUnique(&roots)

    // The states on kept edges, numbered densely in id order (so comparing numbers compares
    // ids): the arrays below are sized by them, not by every stored state (they were 20 bytes
    // per stored state, a fifth of srcu_rq_lock_irq_work_fix's heap at its peak).
    // (Sorted and deduplicated in place: a set of them, built from an array literal per edge,
    // was most of this check's cost on the spin rings.)
    var nodes: [Int32] = []
    nodes.reserveCapacity(2 * keep.count)
    for e in keep { nodes.append(from[e]); nodes.append(to[e]) }
    ReducedCycles.sortUnique(&nodes)
    func dense(_ id: Int32) -> Int {
      var lo = 0, hi = nodes.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if nodes[mid] < id { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    let n = nodes.count
    // Each kept edge's ends as dense numbers, searched for once (not once per use).
    var denseFrom: [Int32] = [], denseTo: [Int32] = []
    denseFrom.reserveCapacity(keep.count)
    denseTo.reserveCapacity(keep.count)
    for e in keep {
      denseFrom.append(Int32(dense(from[e])))
      denseTo.append(Int32(dense(to[e])))
    }
    // Adjacency of the kept edges (compressed rows).
    var start = Array(repeating: Int32(0), count: n + 1)
    for v in denseFrom { start[Int(v) + 1] += 1 }
    for v in 0..<n { start[v + 1] += start[v] }
    var fill = start
    var adj = Array(repeating: Int32(0), count: keep.count)
    for k in keep.indices {
      let v = Int(denseFrom[k])
      adj[Int(fill[v])] = denseTo[k]
      fill[v] += 1
    }

    // Tarjan's algorithm, iterative (the graph may be deep).
    var index = Array(repeating: Int32(-1), count: n)
    var low = Array(repeating: Int32(0), count: n)
    var onStack = Array(repeating: false, count: n)
    var component = Array(repeating: Int32(-1), count: n)
    var stack: [Int32] = []
    var calls: [(v: Int32, next: Int32)] = []
    var counter: Int32 = 0
    var components: Int32 = 0
    var result: [Int32] = []
    // One component's states, reused: most components are a single state, and an array per
    // component was an allocation each (about a third of this check on the spin rings).
    var members: [Int32] = []
    // From the sources of the new edges only: every new cycle goes through one.
    for r in roots where index[dense(r)] < 0 {
      let root = dense(r)
      index[root] = counter; low[root] = counter; counter += 1
      stack.append(Int32(root)); onStack[root] = true
      calls.append((Int32(root), start[root]))
      while let top = calls.last {
        let v = Int(top.v)
        if top.next < start[v + 1] {
          calls[calls.count - 1].next += 1
          let w = Int(adj[Int(top.next)])
          if index[w] < 0 {
            index[w] = counter; low[w] = counter; counter += 1
            stack.append(Int32(w)); onStack[w] = true
            calls.append((Int32(w), start[w]))
          } else if onStack[w] {
            low[v] = min(low[v], index[w])
          }
          continue
        }
        calls.removeLast()
        if let parent = calls.last { low[Int(parent.v)] = min(low[Int(parent.v)], low[v]) }
        guard low[v] == index[v] else { continue }
        members.clear()
        while true {
          let w = stack.removeLast()
          onStack[Int(w)] = false
          component[Int(w)] = components
          members.append(w)
          if Int(w) == v { break }
        }
        // A component with a cycle: more than one state, or a state with an edge to itself.
        for m in members {
          let mi = Int(m)
          for k in Int(start[mi])..<Int(start[mi + 1]) {
            let w = adj[k]
            if w <= m && component[Int(w)] == components { result.append(nodes[mi]); break }
          }
        }
        components += 1
      }
    }
    return result.sorted()
  }
}
