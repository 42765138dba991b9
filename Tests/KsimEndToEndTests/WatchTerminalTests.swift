import Foundation
import Testing

/// `ksim watch` in a real terminal: tmux runs it, send-keys types, capture-pane reads what a
/// person would see.
@Suite struct WatchTerminalTests {
  /// Runs a tmux command through /bin/sh with posix_spawn and waitpid. (Foundation's Process
  /// left the tmux client that daemonises the server unreaped and waitUntilExit() hung.)
  /// capture-pane's output goes through a temporary file.
  static func tmux(_ args: [String]) throws -> String {
    let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ksim-tmux-\(getpid()).txt").path
    let command = "tmux \(quoted) > '\(out)' 2>/dev/null"
    let words: [String] = ["/bin/sh", "-c", command]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    let env: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + env).forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, env) == 0 else { return "" }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
  }

  static var tmuxInstalled: Bool {
    ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].contains { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Polls the pane until `text` appears (or the deadline passes); returns the last capture.
  static func waitFor(_ text: String, socket: String, seconds: Double = 30) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    var screen = ""
    while Date() < deadline {
      screen = try tmux(["-L", socket, "capture-pane", "-p", "-t", "w"])
      if screen.contains(text) { return screen }
      Thread.sleep(forTimeInterval: 0.2)
    }
    return screen
  }

  @Test func watchShowsTheKlistDeadlockAndQuitsCleanly() throws {
    guard WatchTerminalTests.tmuxInstalled else {
      Issue.record("tmux is not installed (make deps and .ci/run install it)")
      return
    }
    let socket = "ksim-e2e-\(getpid())"
    let ksim = KsimProcess.productsDirectory.appendingPathComponent("ksim").path
    let command = "cd '\(KsimProcess.root.path)' && LANG=C.UTF-8 TERM=xterm-256color '\(ksim)' watch Scenarios/klist_hardirq.ksim; echo EXITED rc=$?; sleep 30"
    _ = try WatchTerminalTests.tmux(["-L", socket, "new-session", "-d", "-s", "w", "-x", "100", "-y", "30", command])
    defer { _ = try? WatchTerminalTests.tmux(["-L", socket, "kill-server"]) }

    let first = try WatchTerminalTests.waitFor("step 1 of 6", socket: socket)
    #expect(first.contains("ksim watch │ klist_hardirq │ DEADLOCK │ step 1 of 6"), "header:\n\(first)")
    #expect(first.contains("cpu0"), "a lane per CPU")
    #expect(first.contains("pci_hotplug: schedule() → picks task pci_hotplug"))

    _ = try WatchTerminalTests.tmux(["-L", socket, "send-keys", "-t", "w", "j"])
    let moved = try WatchTerminalTests.waitFor("step 2 of 6", socket: socket)
    #expect(moved.contains("step 2 of 6"), "j moves down:\n\(moved)")

    _ = try WatchTerminalTests.tmux(["-L", socket, "send-keys", "-t", "w", "G"])
    let end = try WatchTerminalTests.waitFor("DEADLOCK cycle", socket: socket)
    #expect(end.contains("step 6 of 6"))
    #expect(end.contains("DEADLOCK cycle: task pci_hotplug on cpu0 → hardirq dmar on cpu0"), "the cycle at the end:\n\(end)")
    #expect(end.contains("spins on pci_bus_klist.k_lock"))

    // Resizing the terminal re-lays the screen at the new size.
    _ = try WatchTerminalTests.tmux(["-L", socket, "resize-window", "-t", "w", "-x", "60", "-y", "20"])
    let resized = try WatchTerminalTests.waitFor("step 6 of 6 │ all inte", socket: socket)
    let widths = resized.components(separatedBy: "\n").map { $0.count }
    #expect(widths.allSatisfy { $0 <= 60 }, "laid out for 60 columns:\n\(resized)")
    #expect(resized.contains("DEADLOCK cycle"), "still showing the final step after the resize")

    _ = try WatchTerminalTests.tmux(["-L", socket, "send-keys", "-t", "w", "q"])
    let exited = try WatchTerminalTests.waitFor("EXITED rc=", socket: socket)
    #expect(exited.contains("EXITED rc=0"), "q exits cleanly:\n\(exited)")
    #expect(!exited.contains("step 6 of 6"), "the terminal is restored (alternate screen left)")
  }

  @Test func watchWithoutATerminalPrintsTheTimelineAsText() throws {
    let r = try KsimProcess.run(["watch", "Scenarios/klist_hardirq.ksim"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("first deadlock's witness"))
    #expect(r.stdout.contains("end: DEADLOCK"))
  }
}
