/// A problem found in scenario text, located at file:line:col.
///
/// Diagnostics are values: the lexer, parser and checker collect them rather than throwing, so a
/// single run reports every independent error in a file.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
  public enum Severity: String, Sendable, Hashable { case error, warning, note }

  /// What went wrong, as a case tests can assert on; the wording lives in `message`.
  public enum Kind: String, Sendable, Hashable {
    case syntax            // the text does not follow the grammar
    case unknownName       // a name that resolves to nothing
    case duplicateName     // a name declared twice
    case wrongArgument     // wrong number or kind of arguments
    case wrongType         // an expression of the wrong type
    case unbalancedUnlock  // an unlock the checker can see has no matching lock
    case mismatchedUnlock  // a lock released with a different form than it was taken with
    case invalidDeclaration // a declaration that cannot be honoured (cpu out of range, ...)
    case missingDeclaration // something every scenario needs (cpus, expect) is absent
    case override          // a prelude override whose name or signature does not match
  }

  public var severity: Severity
  public var kind: Kind
  public var location: SourceLocation
  public var message: String

  public init(_ severity: Severity = .error, _ kind: Kind, at location: SourceLocation, _ message: String) {
    self.severity = severity
    self.kind = kind
    self.location = location
    self.message = message
  }

  /// `file:line:col: error: message`, the form compilers use so editors can jump to it.
  public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// Diagnostics collected while processing one or more files, in a stable order.
public struct DiagnosticList: Sendable {
  public private(set) var items: [Diagnostic] = []
  public init() {}
  public mutating func add(_ d: Diagnostic) { items.append(d) }
  public mutating func error(_ kind: Diagnostic.Kind, at loc: SourceLocation, _ message: String) {
    items.append(Diagnostic(.error, kind, at: loc, message))
  }
  public mutating func warning(_ kind: Diagnostic.Kind, at loc: SourceLocation, _ message: String) {
    items.append(Diagnostic(.warning, kind, at: loc, message))
  }
  public var hasErrors: Bool { items.contains { $0.severity == .error } }
  /// Sorted by position, errors before warnings at the same spot; duplicates removed.
  public var sorted: [Diagnostic] {
    var seen = Set<Diagnostic>()
    return items.filter { seen.insert($0).inserted }.sorted {
      if $0.location != $1.location { return $0.location < $1.location }
      return $0.severity == .error && $1.severity != .error
    }
  }
}
