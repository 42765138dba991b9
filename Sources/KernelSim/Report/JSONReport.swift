import Foundation

/// Machine-readable reports, with sorted keys so output is byte-identical across runs.
public enum JSONReport {
  public static func exploration(_ results: [ExplorationResult]) -> String {
    let items: [[String: Any]] = results.map { r in
      let v = Verdict(r)
      let machine = Machine(program: r.program, options: r.options)
      var d: [String: Any] = [
        "scenario": r.program.name, "path": r.program.path, "title": r.program.title,
        "verdict": v.outcome.rawValue, "bounds": boundsDescription(r.program, r.options),
        "states": r.statistics.statesStored, "transitions": r.statistics.transitions,
        "depth": r.statistics.maxDepth, "complete": r.statistics.complete,
      ]
      if let e = v.expected {
        d["expected"] = e
        // null and "undecided" for a run that stopped before it could tell (`Verdict.undecided`).
        d["matches"] = v.matches.map { $0 as Any } ?? NSNull()
        if v.undecided { d["undecided"] = true }
      }
      if let why = r.statistics.stopReason, !r.statistics.complete { d["stopReason"] = why }
      d["findings"] = r.findings.map { f -> [String: Any] in
        var fd: [String: Any] = [
          "kind": f.kind.rawValue,
          "witness": f.witness.map { TraceText.format($0, r.program) },
        ]
        if f.kind == .deadlock {
          fd["locks"] = f.locks.map { r.program.locks[$0].name }
          var s = machine.initialState()
          var nolog: EventLog? = nil
          for c in f.witness { _ = machine.step(&s, c, log: &nolog) }
          fd["cycle"] = f.cycle.map { e -> [String: Any] in
            var ed: [String: Any] = ["context": machine.describe(s, e.from), "waitsFor": machine.describe(s, e.to),
                                     "chain": machine.chainNames(s[e.from])]
            switch e.reason {
            case .spinsOn(let l, let m): ed["spinsOn"] = r.program.locks[l].name; ed["mode"] = m.rawValue
            case .interruptedBy: ed["interruptedBy"] = true
            case .gracePeriod: ed["gracePeriod"] = true
            case .completion(let slot): ed["completion"] = r.program.globals[slot].name
            case .sleepsOn(let l, let m): ed["sleepsOn"] = r.program.locks[l].name; ed["mode"] = m.rawValue
            }
            return ed
          }
        }
        if f.kind == .hang {
          var st = machine.initialState()
          var nolog: EventLog? = nil
          for c in f.witness { _ = machine.step(&st, c, log: &nolog) }
          fd["stuck"] = machine.stuckDescription(st)
        }
        if let b = f.bug {
          fd["bug"] = ["kind": b.kind.rawValue, "message": b.message, "chain": b.chain,
                       "location": b.location?.description ?? ""] as [String: Any]
        }
        return fd
      }
      return d
    }
    let data = (try? JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
