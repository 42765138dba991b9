import Foundation

/// A position in a scenario source file, 1-based, as editors and compilers print it.
///
/// The file is held as an id into `SourceFiles`, so a location is a plain value: every
/// compiled instruction carries one and hands it to the primitive it runs, and with the name
/// inside, each such copy retained and released the string (about 1% of a search).
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
  private let fileID: Int32
  public var line: Int
  public var column: Int

  /// The file path as given on the command line (or the prelude's name).
  public var file: String { SourceFiles.name(fileID) }

  public init(file: String, line: Int, column: Int) {
    self.init(fileID: SourceFiles.id(file), line: line, column: column)
  }

  /// A location in the file `SourceFiles.id` gave `fileID` (a lexer interns its file once).
  init(fileID: Int32, line: Int, column: Int) {
    self.fileID = fileID
    self.line = line
    self.column = column
  }

  /// `file:line:col`, the prefix every diagnostic and report uses.
  public var description: String { "\(file):\(line):\(column)" }

  public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
    (a.file, a.line, a.column) < (b.file, b.line, b.column)
  }
}

/// The file names source locations refer to, each stored once for the life of the process
/// (a handful: the scenarios loaded and the prelude's files). Equal names get equal ids, so
/// locations compare equal exactly when their names, lines and columns do. Locked: scenarios
/// may be loaded from several threads (the tests run in parallel).
enum SourceFiles {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var names: [String] = []
  nonisolated(unsafe) private static var ids: [String: Int32] = [:]

  static func id(_ name: String) -> Int32 {
    lock.lock()
    defer { lock.unlock() }
    if let id = ids[name] { return id }
    let id = Int32(names.count)
    names.append(name)
    ids[name] = id
    return id
  }

  static func name(_ id: Int32) -> String {
    lock.lock()
    defer { lock.unlock() }
    return names[Int(id)]
  }
}
