/// Turns scenario text into tokens. Never throws: bad characters become `.error` tokens so the
/// parser can report them in place and keep going (the clox scanner's approach).
public struct Lexer {
  private let chars: [Character]
  /// The file's id in `SourceFiles`, looked up once rather than for every token.
  private let fileID: Int32
  private var index = 0
  private var line = 1
  private var column = 1

  public init(text: String, file: String) {
    self.chars = Array(text)
    self.fileID = SourceFiles.id(file)
  }

  /// Multi-character operators, longest first so `->` wins over `-`.
  private static let operators = [
    "<<=", ">>=", "->", "&&", "||", "==", "!=", "<=", ">=", "=>", "++", "--", "+=", "-=", "|=",
    "&=", "<<", ">>",
  ]
  /// The same as characters, made once: building them for every token was most of the time
  /// spent loading the prelude.
  private static let operatorChars: [[Character]] = operators.map(Array.init)

  public mutating func tokenize() -> [Token] {
    var tokens: [Token] = []
    while true {
      let t = next()
      tokens.append(t)
      if t.kind == .endOfFile { return tokens }
    }
  }

  private var here: SourceLocation { SourceLocation(fileID: fileID, line: line, column: column) }

  private func peek(_ offset: Int = 0) -> Character? {
    index + offset < chars.count ? chars[index + offset] : nil
  }

  private mutating func advance() -> Character {
    let c = chars[index]
    index += 1
    if c == "\n" { line += 1; column = 1 } else { column += 1 }
    return c
  }

  private mutating func skipTrivia() -> Token? {
    while let c = peek() {
      if c == " " || c == "\t" || c == "\r" || c == "\n" {
        _ = advance()
      } else if c == "/" && peek(1) == "/" {
        while let d = peek(), d != "\n" { _ = advance() }
      } else if c == "#" {
        // Preprocessor-looking lines (#include ...) are ignored so pasted kernel code reads as-is.
        while let d = peek(), d != "\n" { _ = advance() }
      } else if c == "/" && peek(1) == "*" {
        let start = here
        _ = advance(); _ = advance()
        var closed = false
        while let d = peek() {
          if d == "*" && peek(1) == "/" { _ = advance(); _ = advance(); closed = true; break }
          _ = advance()
        }
        if !closed { return Token(kind: .error, text: "unterminated comment", location: start) }
      } else {
        break
      }
    }
    return nil
  }

  private mutating func next() -> Token {
    if let err = skipTrivia() { return err }
    let start = here
    guard let c = peek() else { return Token(kind: .endOfFile, text: "", location: start) }
    if c.isLetter || c == "_" {
      var s = ""
      while let d = peek(), d.isLetter || d.isNumber || d == "_" { s.append(advance()) }
      return Token(kind: .identifier, text: s, location: start)
    }
    if c.isNumber {
      var s = ""
      while let d = peek(), d.isHexDigit || d == "x" || d == "X" { s.append(advance()) }
      // Accept C integer suffixes (1UL, 0x200u).
      while let d = peek(), d == "u" || d == "U" || d == "l" || d == "L" { _ = advance() }
      let value: Int?
      if s.hasPrefix("0x") || s.hasPrefix("0X") { value = Int(s.dropFirst(2), radix: 16) }
      else { value = Int(s) }
      guard let v = value else {
        return Token(kind: .error, text: "invalid integer literal '\(s)'", location: start)
      }
      var t = Token(kind: .integer, text: s, location: start)
      t.intValue = v
      return t
    }
    if c == "\"" {
      _ = advance()
      var s = ""
      while let d = peek(), d != "\"", d != "\n" {
        if d == "\\", let e = peek(1) { _ = advance(); _ = advance(); s.append(e == "n" ? "\n" : e); continue }
        s.append(advance())
      }
      guard peek() == "\"" else {
        return Token(kind: .error, text: "unterminated string literal", location: start)
      }
      _ = advance()
      return Token(kind: .string, text: s, location: start)
    }
    for (k, opChars) in Lexer.operatorChars.enumerated()
    where index + opChars.count <= chars.count && opChars.indices.allSatisfy({ chars[index + $0] == opChars[$0] }) {
      for _ in opChars { _ = advance() }
      return Token(kind: .punct, text: Lexer.operators[k], location: start)
    }
    if "{}()[];,.=<>+-*/%!&|^~?:".contains(c) {
      _ = advance()
      return Token(kind: .punct, text: String(c), location: start)
    }
    _ = advance()
    return Token(kind: .error, text: "unexpected character '\(c)'", location: start)
  }
}
