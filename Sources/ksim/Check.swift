import ArgumentParser
import KernelSim

extension Ksim {
  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Parse and check scenario files; print diagnostics as file:line:col: error: ...")

    @Argument(help: "Scenario files (.ksim).")
    var files: [String]

    func run() throws {
      let (programs, failed) = loadScenarios(files)
      for p in programs {
        let tasks = p.tasks.filter { !$0.kthread }.count
        let kthreads = p.tasks.count - tasks
        print("\(p.path): ok: \(p.cpuCount) CPU\(p.cpuCount == 1 ? "" : "s"), \(tasks) task\(tasks == 1 ? "" : "s") (+\(kthreads) kthread\(kthreads == 1 ? "" : "s")), \(p.irqs.count) irq source\(p.irqs.count == 1 ? "" : "s"), \(p.locks.count) lock\(p.locks.count == 1 ? "" : "s")")
      }
      if failed { throw Status.badInput }
    }
  }
}
