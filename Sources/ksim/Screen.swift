import CNcurses
import Glibc
import TimelineView

/// The only file that talks to curses: it blits a `Grid` and decodes keys. Everything it draws
/// was computed by the pure `FrameRenderer` first, so nothing here can trap mid-session.
struct Screen {
  /// Starts curses on the terminal, or returns nil when there is no usable one (stdout not a
  /// TTY, TERM unset or unknown): `newterm` returns NULL where `initscr` would exit(1).
  static func start() -> Screen? {
    guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else { return nil }
    setlocale(LC_ALL, "")
    if cn_codeset_is_utf8() == 0 { setlocale(LC_CTYPE, "C.UTF-8") }
    guard cn_newterm_stdio() != nil else { return nil }
    cbreak()
    noecho()
    keypad(cn_stdscr(), true)
    curs_set(0)
    if has_colors() {
      start_color()
      use_default_colors()
      init_pair(1, Int16(COLOR_GREEN), -1)
      init_pair(2, Int16(COLOR_RED), -1)
      init_pair(3, Int16(COLOR_CYAN), -1)
      init_pair(4, Int16(COLOR_MAGENTA), -1)
      init_pair(5, Int16(COLOR_WHITE), Int16(COLOR_RED))
      init_pair(6, Int16(COLOR_BLACK), Int16(COLOR_CYAN))
      init_pair(7, Int16(COLOR_YELLOW), -1)
      init_pair(8, Int16(COLOR_BLACK), Int16(COLOR_WHITE))
    }
    return Screen()
  }

  var size: (rows: Int, columns: Int) { (Int(cn_getmaxy(cn_stdscr())), Int(cn_getmaxx(cn_stdscr()))) }

  func attributes(for style: Style) -> Int32 {
    let bold = Int32(cn_a_bold())
    switch style {
    case .plain: return 0
    case .dim: return Int32(cn_a_dim())
    case .header: return Int32(cn_color_pair(6)) | bold
    case .laneHeader: return bold
    case .focus: return Int32(cn_color_pair(7)) | bold
    case .selected: return Int32(cn_a_reverse())
    case .running: return Int32(cn_color_pair(1))
    case .spinning: return Int32(cn_color_pair(2)) | bold
    case .sleeping: return Int32(cn_color_pair(3))
    case .interrupted: return Int32(cn_color_pair(4))
    case .cycle: return Int32(cn_color_pair(5)) | bold
    case .help: return Int32(cn_color_pair(8))
    }
  }

  func draw(_ grid: Grid) {
    erase()
    for row in 0..<grid.rows {
      var column = 0
      while column < grid.columns {
        let style = grid[row, column].style
        var run = ""
        let start = column
        while column < grid.columns, grid[row, column].style == style {
          run.append(grid[row, column].character)
          column += 1
        }
        let attrs = attributes(for: style)
        attron(attrs)
        _ = mvaddstr(Int32(row), Int32(start), run)  // the bottom-right cell returns ERR
        attroff(attrs)
      }
    }
    refresh()
  }

  /// Waits up to `milliseconds` for a key; nil when none came.
  func readKey(milliseconds: Int32) -> Key? {
    timeout(milliseconds)
    let k = getch()
    if k == ERR { return nil }
    switch k {
    case cn_key_up(): return .up
    case cn_key_down(): return .down
    case cn_key_left(): return .left
    case cn_key_right(): return .right
    case cn_key_npage(): return .pageDown
    case cn_key_ppage(): return .pageUp
    case cn_key_home(): return .home
    case cn_key_end(): return .end
    case cn_key_resize(): return .resize
    case cn_key_backspace(), 127, 8: return .backspace
    case cn_key_enter(), 10, 13: return .enter
    case 9: return .tab
    case 27: return .escape
    case 32: return .space
    default:
      if k > 32 && k < 127, let scalar = Unicode.Scalar(UInt32(k)) { return .character(Character(scalar)) }
      return nil
    }
  }

  func stop() { endwin() }
}
