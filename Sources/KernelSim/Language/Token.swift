/// One lexical token of the scenario language.
public struct Token: Hashable, Sendable {
  public enum Kind: Hashable, Sendable {
    case identifier
    case integer
    case string
    case punct        // operators and punctuation, text in `text`
    case endOfFile
    case error        // the lexer's message is in `text`; the parser reports it
  }
  public var kind: Kind
  public var text: String
  public var location: SourceLocation
  /// The value of an integer literal.
  public var intValue: Int = 0

  public func `is`(_ punct: String) -> Bool { kind == .punct && text == punct }
  public func isWord(_ word: String) -> Bool { kind == .identifier && text == word }

  /// How the token is named in "expected X, found Y" messages.
  public var display: String {
    switch kind {
    case .endOfFile: return "end of file"
    case .string: return "string \"\(text)\""
    case .error: return "invalid text"
    default: return "'\(text)'"
    }
  }
}
