import Foundation
import Glibc
import KernelSim

/// Set by Ctrl-C during an exploration; the explorer stops and reports what it has.
let interruptFlag = StopFlag()

/// Ctrl-C stops the current exploration with partial statistics instead of killing ksim.
/// SIGINT is also unblocked: a blocked mask is inherited across exec, and a parent that spawns
/// ksim with it blocked (the Swift test runner does) would leave Ctrl-C pending forever.
func installInterruptHandler() {
  signal(SIGINT) { _ in interruptFlag.raise() }
  var set = sigset_t()
  sigemptyset(&set)
  sigaddset(&set, SIGINT)
  pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// Live progress on stderr when it is a terminal (silent otherwise): states, depth, rate,
/// elapsed time, memory.
func progressReporter(_ name: String) -> ((ExploreStatistics) -> Void)? {
  guard isatty(STDERR_FILENO) == 1 else { return nil }
  return { s in
    let line = String(format: "\r\u{1B}[K%@: %d states, depth %d, %.0f states/s, %.1fs, %d MiB",
                      name, s.statesStored, s.maxDepth, s.statesPerSecond, s.seconds, MemoryUsage.resident >> 20)
    FileHandle.standardError.write(Data(line.utf8))
  }
}

/// Clears the progress line.
func endProgress() {
  if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
