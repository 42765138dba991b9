/// The syntax tree of a scenario file, exactly as written (names unresolved).
///
/// The checker (`Checker`) resolves names and types and lowers this tree to a `Program`.

/// A type as written: `int`, `unsigned long`, `spinlock_t`, `struct klist *`.
public struct TypeRef: Hashable, Sendable, CustomStringConvertible {
  /// The base name: `int`, `bool`, `void`, `spinlock_t`, ..., or `struct NAME`.
  public var base: String
  public var pointerDepth: Int
  public var location: SourceLocation

  public var description: String { base + String(repeating: "*", count: pointerDepth) }
}

public enum UnaryOp: String, Sendable { case not = "!", negate = "-", complement = "~", addressOf = "&", deref = "*" }

public enum BinaryOp: String, Sendable {
  case or = "||", and = "&&", bitOr = "|", bitXor = "^", bitAnd = "&"
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
  case shiftLeft = "<<", shiftRight = ">>", add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
}

public struct Expr: Sendable {
  public indirect enum Kind: Sendable {
    case integer(Int)
    case name(String)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case conditional(Expr, Expr, Expr)
    case call(String, [Expr])
    /// `base.field` (arrow false) or `base->field` (arrow true).
    case member(Expr, String, arrow: Bool)
    case index(Expr, Expr)
    /// A call through a function pointer: `rhp->func(rhp)`, `w->func(w)`.
    case callValue(Expr, [Expr])
    /// `container_of(ptr, struct T, member)`: the object whose field `member` `ptr` points to.
    case containerOf(Expr, TypeRef, String)
  }
  public var kind: Kind
  public var location: SourceLocation
}

public enum AssignOp: String, Sendable { case assign = "=", add = "+=", subtract = "-=", or = "|=", and = "&=" }

public struct Stmt: Sendable {
  public indirect enum Kind: Sendable {
    case local(TypeRef, name: String, nameLocation: SourceLocation, initial: Expr?)
    case expression(Expr)
    case assign(target: Expr, AssignOp, Expr)
    case ifElse(Expr, [Stmt], [Stmt]?)
    case whileLoop(Expr, [Stmt])
    /// `either { A } or { B } [or { C } ...]`: the explorer tries every branch.
    case either([[Stmt]])
    case returnValue(Expr?)
    case block([Stmt])
  }
  public var kind: Kind
  public var location: SourceLocation
}

public struct Parameter: Sendable {
  public var type: TypeRef
  public var name: String
  public var location: SourceLocation
}

public struct FunctionDecl: Sendable {
  public var name: String
  public var returnType: TypeRef
  public var parameters: [Parameter]
  public var body: [Stmt]
  public var location: SourceLocation
  /// Written in a prelude file (kernel paths ksim provides) rather than the scenario.
  public var fromPrelude = false
}

public struct FieldDecl: Sendable {
  public var type: TypeRef
  public var name: String
  public var location: SourceLocation
}

public struct StructDecl: Sendable {
  public var name: String
  public var fields: [FieldDecl]
  public var location: SourceLocation
}

/// A global variable or object: `spinlock_t big_lock;`, `struct klist pci_bus_klist;`,
/// `int pending = 1;`, `DEFINE_PER_CPU(struct rq, runqueues);`, `struct kioctx ctx[2];`.
public struct GlobalDecl: Sendable {
  public var type: TypeRef
  public var name: String
  public var arrayCount: Int?
  public var perCPU: Bool
  public var initial: Expr?
  public var location: SourceLocation
  /// Designated initialisers of a struct object: `{ .users.count = 1, .work.func = f }`.
  public var fieldInits: [(path: [String], value: Expr, location: SourceLocation)] = []
}

/// `task NAME [on cpuN] { ... }`: a kernel task (process context) running the body; or
/// `kthread NAME [on cpuN | on each cpu] => entry;`: a kernel thread that starts asleep at the top
/// of `entry` (it has already parked in its idle wait) until something wakes it.
public struct TaskDecl: Sendable {
  public var name: String
  public var kthread = false
  /// `on each cpu`: one kthread per CPU, named NAME/0, NAME/1 ..., entry called with the CPU.
  public var eachCPU = false
  public var entry: String?
  public var entryLocation: SourceLocation?
  /// The CPU it is pinned to; nil means any CPU may pick it.
  public var cpu: Int?
  public var cpuLocation: SourceLocation?
  public var body: [Stmt]
  public var location: SourceLocation
}

/// `irq NAME on cpuN => handler [fires N];`: an interrupt source delivering to one CPU.
public struct IrqDecl: Sendable {
  public var name: String
  /// `on all`: one source per CPU, named NAME@cpuN.
  public var allCPUs = false
  public var cpu: Int
  public var cpuLocation: SourceLocation
  public var handler: String
  public var handlerLocation: SourceLocation
  public var fires: Int?
  public var location: SourceLocation
}

/// `softirq NAME => handler;`: a softirq vector and the action `__do_softirq` runs for it.
public struct SoftirqDecl: Sendable {
  public var name: String
  public var handler: String
  public var handlerLocation: SourceLocation
  public var location: SourceLocation
}

public struct ExpectDecl: Sendable {
  public enum Outcome: String, Sendable { case deadlock, noDeadlock = "no deadlock", hang, bug }
  public var outcome: Outcome
  /// Lock names that must all appear in some reported cycle (`expect deadlock on a, b;`).
  public var locks: [(name: String, location: SourceLocation)]
  public var location: SourceLocation
}

/// One parsed file.
public struct SourceFile: Sendable {
  public var path: String
  public var title: (String, SourceLocation)?
  public var cpus: (Int, SourceLocation)?
  public var structs: [StructDecl] = []
  public var globals: [GlobalDecl] = []
  public var functions: [FunctionDecl] = []
  public var tasks: [TaskDecl] = []
  public var irqs: [IrqDecl] = []
  public var softirqs: [SoftirqDecl] = []
  public var expects: [ExpectDecl] = []
  /// `include "file";`: shared kernel paths, relative to this file; a scenario may override
  /// their functions like the prelude's.
  public var includes: [(path: String, location: SourceLocation)] = []
  /// `preemptions N;`: how many preemptions the explorer may inject.
  public var preemptions: (Int, SourceLocation)?

  public init(path: String) { self.path = path }
}
