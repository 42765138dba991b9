import Foundation

/// Runs the built `ksim` binary as a subprocess (the test target does not link it).
struct KsimProcess {
  static let productsDirectory: URL = {
    var url = Bundle.main.bundleURL
    while url.pathExtension == "xctest" || url.lastPathComponent == "Contents" { url.deleteLastPathComponent() }
    return url
  }()
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  struct Output { var status: Int32; var stdout: String; var stderr: String }

  /// Runs ksim in `directory` (default: the checkout's root); with `interruptAfter`, sends it
  /// SIGINT (Ctrl-C) that many seconds after it starts.
  static func run(_ arguments: [String], in directory: URL? = nil, interruptAfter delay: Double? = nil) throws -> Output {
    let p = Process()
    p.executableURL = productsDirectory.appendingPathComponent("ksim")
    p.arguments = arguments
    p.currentDirectoryURL = directory ?? root
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    if let delay {
      let pid = p.processIdentifier
      DispatchQueue.global().asyncAfter(deadline: .now() + delay) { kill(pid, SIGINT) }
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  static func temporaryFile(_ name: String, _ text: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ksim-e2e-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }
}
