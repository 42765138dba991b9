import Foundation

/// Reads, parses and checks scenario files: the one entry point the CLI and tests use.
public enum Frontend {
  /// The result of loading one scenario: a program when there were no errors, and every
  /// diagnostic (errors and warnings) in position order.
  public struct Loaded: Sendable {
    public var program: Program?
    public var diagnostics: [Diagnostic]
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
  }

  /// Parses and checks scenario `text` (named `path` in diagnostics).
  public static func load(text: String, path: String, preludes: [(path: String, text: String)] = []) -> Loaded {
    var files: [SourceFile] = []
    var diags: [Diagnostic] = []
    for p in preludes {
      var parser = Parser(text: p.text, path: p.path)
      var f = parser.parse()
      for i in f.functions.indices { f.functions[i].fromPrelude = true }
      files.append(f)
      diags += parser.diagnostics.items
    }
    var parser = Parser(text: text, path: path)
    let file = parser.parse()
    diags += parser.diagnostics.items
    // Included files: parsed like the prelude (their functions may be overridden).
    let dir = (path as NSString).deletingLastPathComponent
    var seen = Set<String>()
    var includeQueue = file.includes
    while !includeQueue.isEmpty {
      let (rel, loc) = includeQueue.removeFirst()
      let full = rel.hasPrefix("/") ? rel : (dir.isEmpty ? rel : (dir as NSString).appendingPathComponent(rel))
      guard seen.insert(full).inserted else { continue }
      guard let data = FileManager.default.contents(atPath: full) else {
        diags.append(Diagnostic(.error, .unknownName, at: loc, "cannot read included file '\(full)'"))
        continue
      }
      var p = Parser(text: String(decoding: data, as: UTF8.self), path: full)
      var f = p.parse()
      for i in f.functions.indices { f.functions[i].fromPrelude = true }
      diags += p.diagnostics.items
      includeQueue += f.includes.map { (((rel as NSString).deletingLastPathComponent as NSString).appendingPathComponent($0.path), $0.location) }
      files.append(f)
    }
    files.append(file)
    let (program, checkDiags) = Checker.check(files)
    var all = DiagnosticList()
    let preludePaths = Set(preludes.map(\.path))
    // Warnings inside the prelude describe ksim's own kernel paths (some deliberately mirror the
    // kernel's mismatched unlocks); only errors there concern the user.
    for d in diags + checkDiags where !(d.severity == .warning && preludePaths.contains(d.location.file)) { all.add(d) }
    let syntaxErrors = diags.contains { $0.severity == .error }
    return Loaded(program: syntaxErrors ? nil : program, diagnostics: all.sorted)
  }

  /// Reads and loads the file at `path` together with the kernel prelude (the `prelude/`
  /// folder next to the scenario, or next to a parent folder); a missing file is reported as a
  /// diagnostic at 1:1.
  public static func load(path: String, prelude: String? = nil) -> Loaded {
    guard let data = FileManager.default.contents(atPath: path) else {
      let d = Diagnostic(.error, .missingDeclaration, at: SourceLocation(file: path, line: 1, column: 1),
                         "cannot read file")
      return Loaded(program: nil, diagnostics: [d])
    }
    let dir = prelude ?? preludeDirectory(near: path)
    return load(text: String(decoding: data, as: UTF8.self), path: path, preludes: dir.map(preludeFiles) ?? [])
  }

  /// The prelude folder for a scenario: `prelude/` beside it or beside one of its parents;
  /// otherwise `$KSIM_PRELUDE`; otherwise the checkout's `Scenarios/prelude` this ksim was built
  /// from (so a scenario written anywhere still runs on the kernel paths).
  ///
  /// A folder found under the working directory is given relative to it, as the scenario path
  /// usually is: reports then read the same in any clone of the repository
  /// (`Scenarios/prelude/sched.ksim:24:3`, not `/home/me/ksim/Scenarios/...`).
  public static func preludeDirectory(near path: String) -> String? {
    if let near = preludeNear(path) { return relativeToWorkingDirectory(near) }
    if let env = ProcessInfo.processInfo.environment["KSIM_PRELUDE"], isDirectory(env) { return env }
    let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios/prelude").path
    return isDirectory(built) ? relativeToWorkingDirectory(built) : nil
  }

  /// `path` relative to the working directory if it lies inside it; otherwise unchanged.
  static func relativeToWorkingDirectory(_ path: String) -> String {
    // Symlinks resolved on both sides: a working directory reached through one still matches.
    let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
    let full = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
    return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : path
  }

  static func isDirectory(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
  }

  static func preludeNear(_ path: String) -> String? {
    // Absolute URLs: a bare file name ("x.ksim") has the working directory as its folder
    // (NSString path arithmetic on "." crashed in swift-corelibs-foundation).
    let file = URL(fileURLWithPath: path).standardizedFileURL
    var dir = file.deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("prelude")
      if isDirectory(candidate.path), candidate.path != file.path { return candidate.path }
      let parent = dir.deletingLastPathComponent()
      if parent.path == dir.path { break }
      dir = parent
    }
    return nil
  }

  /// The `.ksim` files of a prelude folder, in name order (deterministic).
  public static func preludeFiles(_ dir: String) -> [(path: String, text: String)] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".ksim") }.sorted()
    return names.compactMap { n in
      let p = (dir as NSString).appendingPathComponent(n)
      return FileManager.default.contents(atPath: p).map { (p, String(decoding: $0, as: UTF8.self)) }
    }
  }
}
