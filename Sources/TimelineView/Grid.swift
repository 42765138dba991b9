/// A frame: rows × columns of styled cells. Everything that decides what is on screen produces
/// one of these; only the curses layer in the `ksim` executable turns it into terminal output.
public enum Style: Sendable, Hashable {
  case plain, dim, header, laneHeader, focus, selected
  case running, spinning, sleeping, interrupted, cycle, help
}

public struct Cell: Sendable, Hashable {
  public var character: Character
  public var style: Style
}

public struct Grid: Sendable {
  public let rows: Int
  public let columns: Int
  public private(set) var cells: [Cell]

  public init(rows: Int, columns: Int) {
    self.rows = max(0, rows)
    self.columns = max(0, columns)
    cells = Array(repeating: Cell(character: " ", style: .plain), count: self.rows * self.columns)
  }

  public subscript(row: Int, column: Int) -> Cell {
    get { cells[row * columns + column] }
    set { cells[row * columns + column] = newValue }
  }

  /// Writes `text` at (row, column), clipped at the right edge and outside the grid.
  /// Characters are sanitised to one column each (non-ASCII, non-box-drawing become '?').
  public mutating func put(_ text: String, row: Int, column: Int, style: Style, width: Int? = nil) {
    guard row >= 0 && row < rows else { return }
    let limit = min(columns, column + (width ?? columns))
    var c = column
    for ch in text {
      if c >= limit { break }
      if c >= 0 { self[row, c] = Cell(character: Grid.displayable(ch), style: style) }
      c += 1
    }
  }

  /// Restyles a span without changing its characters.
  public mutating func style(row: Int, from: Int, to: Int, _ style: Style) {
    guard row >= 0 && row < rows else { return }
    for c in max(0, from)..<min(columns, max(from, to)) { self[row, c].style = style }
  }

  static func displayable(_ ch: Character) -> Character {
    if let a = ch.asciiValue, a >= 32 && a < 127 { return ch }
    if "│─┼├┤┬┴→←↑↓·…▶◀█".contains(ch) { return ch }
    return "?"
  }

  /// The text of each row, trailing blanks trimmed (what tests compare).
  public var lines: [String] {
    (0..<rows).map { r in
      var s = String((0..<columns).map { self[r, $0].character })
      while s.last == " " { s.removeLast() }
      return s
    }
  }
}
