import Foundation

/// The text form of schedules: one choice per line, `#` comments, a header naming the scenario
/// and options. Humans can read and edit it; `ksim replay` checks every line.
///
///     # ksim trace
///     # scenario: Scenarios/klist_hardirq.ksim
///     # irq-bound: 1
///     pick cpu0 hotplug        # schedule() picks task hotplug
///     run cpu0                 # task hotplug: spin_lock(&pci_bus_klist.k_lock) acquired
///     irq dmar                 # hardirq enters dmar_fault
public enum TraceText {
  /// The text of one choice.
  public static func format(_ c: Choice, _ program: Program) -> String {
    switch c {
    case .run(let cpu, let branch):
      return branch == 0 ? "run cpu\(cpu)" : "run cpu\(cpu) either \(branch + 1)"
    case .irq(let source): return "irq \(program.irqs[source].name)"
    case .pick(let cpu, let task): return "pick cpu\(cpu) \(program.tasks[task].name)"
    case .ipi(let cpu): return "ipi cpu\(cpu)"
    case .preempt(let cpu): return "preempt cpu\(cpu)"
    }
  }

  /// An error in a trace file: its line and what is wrong.
  public struct ParseError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): error: \(message)" }
  }

  /// A parsed trace: its choices with their line numbers, and header options.
  public struct Parsed: Sendable {
    public var choices: [(choice: Choice, line: Int)] = []
    public var irqBound: Int?
    public var preemptions: Int?
    public var scenario: String?
  }

  public static func parse(_ text: String, path: String, program: Program) -> Result<Parsed, ParseError> {
    var parsed = Parsed()
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lineNo = i + 1
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("#") {
        let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("irq-bound:") {
          let v = body.dropFirst("irq-bound:".count).trimmingCharacters(in: .whitespaces)
          if v != "default" { parsed.irqBound = Int(v) }
        } else if body.hasPrefix("preemptions:") {
          parsed.preemptions = Int(body.dropFirst("preemptions:".count).trimmingCharacters(in: .whitespaces))
        } else if body.hasPrefix("scenario:") {
          parsed.scenario = body.dropFirst("scenario:".count).trimmingCharacters(in: .whitespaces)
        }
        continue
      }
      let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
      let words = code.split(separator: " ").map(String.init)
      if words.isEmpty { continue }
      func fail(_ m: String) -> Result<Parsed, ParseError> { .failure(ParseError(path: path, line: lineNo, message: m)) }
      func cpu(_ w: String) -> Int? {
        guard w.hasPrefix("cpu"), let n = Int(w.dropFirst(3)), n >= 0, n < program.cpuCount else { return nil }
        return n
      }
      switch words[0] {
      case "run":
        guard words.count == 2 || (words.count == 4 && words[2] == "either"), let c = cpu(words[1]) else {
          return fail("expected 'run cpuN' or 'run cpuN either K' (CPUs cpu0..cpu\(program.cpuCount - 1)), found '\(code.trimmingCharacters(in: .whitespaces))'")
        }
        var branch = 0
        if words.count == 4 {
          guard let k = Int(words[3]), k >= 1 else { return fail("expected a branch number ≥ 1 after 'either', found '\(words[3])'") }
          branch = k - 1
        }
        parsed.choices.append((.run(cpu: c, branch: branch), lineNo))
      case "irq":
        guard words.count == 2, let s = program.irqs.firstIndex(where: { $0.name == words[1] }) else {
          let known = program.irqs.map(\.name).joined(separator: ", ")
          return fail("expected 'irq NAME' with a declared interrupt source (\(known.isEmpty ? "none declared" : known)), found '\(code.trimmingCharacters(in: .whitespaces))'")
        }
        parsed.choices.append((.irq(source: s), lineNo))
      case "pick":
        guard words.count == 3, let c = cpu(words[1]), let t = program.tasks.firstIndex(where: { $0.name == words[2] }) else {
          let known = program.tasks.map(\.name).joined(separator: ", ")
          return fail("expected 'pick cpuN TASK' with a declared task (\(known)), found '\(code.trimmingCharacters(in: .whitespaces))'")
        }
        parsed.choices.append((.pick(cpu: c, task: t), lineNo))
      case "ipi", "preempt":
        guard words.count == 2, let c = cpu(words[1]) else {
          return fail("expected '\(words[0]) cpuN', found '\(code.trimmingCharacters(in: .whitespaces))'")
        }
        parsed.choices.append((words[0] == "ipi" ? .ipi(cpu: c) : .preempt(cpu: c), lineNo))
      default:
        return fail("expected a choice ('run cpuN', 'irq NAME', 'pick cpuN TASK', 'ipi cpuN' or 'preempt cpuN'), found '\(words[0])'")
      }
    }
    return .success(parsed)
  }

  /// Renders a timeline as a trace file that replays it.
  public static func render(_ timeline: Timeline, options: ExploreOptions) -> String {
    var out = "# ksim trace\n# scenario: \(timeline.program.path)\n# title: \(timeline.program.title)\n"
    out += "# irq-bound: \(options.irqBound.map(String.init) ?? "default")\n"
    out += "# preemptions: \(options.preemptions ?? timeline.program.preemptions)\n"
    out += "# ends: \(timeline.end.summary)\n"
    let width = timeline.steps.map { $0.choiceText.count }.max() ?? 0
    for step in timeline.steps {
      let pad = String(repeating: " ", count: max(0, width - step.choiceText.count))
      out += "\(step.choiceText)\(pad)  # \(step.summary)\n"
    }
    return out
  }
}
