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
    files.append(file)
    let (program, checkDiags) = Checker.check(files)
    var all = DiagnosticList()
    for d in diags + checkDiags { all.add(d) }
    let syntaxErrors = diags.contains { $0.severity == .error }
    return Loaded(program: syntaxErrors ? nil : program, diagnostics: all.sorted)
  }

  /// Reads and loads the file at `path`; a missing file is reported as a diagnostic at 1:1.
  public static func load(path: String) -> Loaded {
    guard let data = FileManager.default.contents(atPath: path) else {
      let d = Diagnostic(.error, .missingDeclaration, at: SourceLocation(file: path, line: 1, column: 1),
                         "cannot read file")
      return Loaded(program: nil, diagnostics: [d])
    }
    return load(text: String(decoding: data, as: UTF8.self), path: path)
  }
}
