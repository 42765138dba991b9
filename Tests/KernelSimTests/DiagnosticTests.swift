import Testing
@testable import KernelSim

/// Bad input is reported as located diagnostics (kind and position), several per run.
@Suite struct DiagnosticTests {
  /// Locations hold their file as an id (`SourceFiles`): the name must come back as given,
  /// and locations must be equal exactly when file, line and column are.
  @Test func locationsKeepTheirFileName() {
    // `b` is interned first: `<` must order by name, not by the order files were seen.
    let b = KLocation(file: "Scenarios/b-interned-first.ksim", line: 3, column: 7)
    let a = KLocation(file: "Scenarios/a.ksim", line: 3, column: 7)
    #expect(a.file == "Scenarios/a.ksim" && b.file == "Scenarios/b-interned-first.ksim")
    #expect(a.description == "Scenarios/a.ksim:3:7")
    #expect(a != b && a < b && !(b < a))
    #expect(a == KLocation(file: "Scenarios/a.ksim", line: 3, column: 7))
    #expect(Set([a, b, KLocation(file: "Scenarios/a.ksim", line: 3, column: 7)]).count == 2)
  }

  @Test func syntaxErrorSaysWhatWasExpected() {
    let d = diagnostics("""
      cpus 1;
      task t on cpu0 { local_irq_disable() }
      expect no deadlock;
      """)
    let e = d.first { $0.severity == .error }
    #expect(e?.kind == .syntax)
    #expect(e?.location.line == 2)
    #expect(e?.location.column == 38)
    #expect(e?.message.contains("expected ';'") == true)
  }

  @Test func unknownFunctionAndVariableAreNamedWithPositions() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t a;
      task t on cpu0 { spin_lock(&b); frobnicate(); }
      expect no deadlock;
      """).filter { $0.severity == .error }
    #expect(d.count == 2)
    #expect(d[0].kind == .unknownName && d[0].location.line == 3 && d[0].location.column == 29)
    #expect(d[0].message.contains("'b'"))
    #expect(d[1].kind == .unknownName && d[1].location.column == 33)
    #expect(d[1].message.contains("frobnicate"))
  }

  /// The explorer records a choice in 32 bits (`Choice.packed`): a scenario with more interrupt
  /// sources than it can name is rejected where the first one too many is declared, rather
  /// than stopping the search.
  @Test func tooManyInterruptSourcesAreRejected() {
    // 16 CPUs x 1,025 `on all` declarations: the 16,385th source is declaration 1,025's first.
    let irqs = (0..<1025).map { "irq d\($0) on all => h;" }.joined(separator: "\n")
    let d = diagnostics("cpus 16;\nvoid h(void) { }\n" + irqs + "\nexpect no deadlock;\n").filter { $0.severity == .error }
    #expect(d.count == 1)
    #expect(d.first?.kind == .invalidDeclaration && d.first?.location.line == 1027)
    #expect(d.first?.message.contains("too many interrupt sources: at most 16384") == true)
  }

  @Test func wrongLockKindIsRejected() {
    let d = diagnostics("""
      cpus 1;
      raw_spinlock_t r;
      rwlock_t rw;
      task t on cpu0 { spin_lock(&r); read_lock(&r); spin_lock(r); }
      expect no deadlock;
      """).filter { $0.severity == .error }
    #expect(d.map(\.kind) == [.wrongArgument, .wrongArgument, .wrongArgument])
    #expect(d[0].message.contains("raw_spinlock_t") && d[0].message.contains("raw_spin_lock"))
    #expect(d[2].message.contains("'&'"))
  }

  /// NULL (0) and functions convert to a function pointer; any other int is an error at its
  /// position (it would name no function, or another function's index plus one).
  @Test func onlyZeroConvertsToAFunctionPointer() {
    let d = diagnostics("""
      cpus 1;
      void cb(int x) { }
      void take(work_func_t g) { }
      task t on cpu0 { work_func_t f = NULL; f = 0; f = cb; f = 7; take(3); take(0); take(cb); }
      expect no deadlock;
      """).filter { $0.severity == .error }
    #expect(d.map(\.kind) == [.wrongType, .wrongType])
    #expect(d.allSatisfy { $0.message.contains("only 0 converts to a function pointer") })
    #expect(d.map(\.location.column) == [59, 67])
  }

  @Test func wrongArgumentCountIsRejected() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t a;
      void f(int x) { }
      task t on cpu0 { unsigned long flags; spin_lock_irqsave(&a); f(); }
      expect no deadlock;
      """).filter { $0.severity == .error }
    #expect(d.count == 2)
    #expect(d.allSatisfy { $0.kind == .wrongArgument })
  }

  @Test func doubleUnlockVisibleInOneFunctionIsAnError() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t a;
      void f(void) { spin_lock(&a); spin_unlock(&a); spin_unlock(&a); }
      task t on cpu0 { f(); }
      expect no deadlock;
      """)
    let e = d.first { $0.kind == .unbalancedUnlock }
    #expect(e?.severity == .error)
    #expect(e?.location.line == 3 && e?.location.column == 48)
  }

  @Test func unlockOfALockTakenByTheCallerIsFine() {
    // task_rq_lock / task_rq_unlock style helpers must not be flagged.
    let d = diagnostics("""
      cpus 1;
      spinlock_t a;
      void lock_it(void) { spin_lock(&a); }
      void unlock_it(void) { spin_unlock(&a); }
      task t on cpu0 { lock_it(); unlock_it(); }
      expect no deadlock;
      """)
    #expect(d.filter { $0.severity == .error }.isEmpty)
  }

  @Test func readUnlockOfWriteLockIsMismatched() {
    let d = diagnostics("""
      cpus 1;
      rwlock_t l;
      task t on cpu0 { write_lock(&l); read_unlock(&l); }
      expect no deadlock;
      """)
    #expect(d.contains { $0.kind == .mismatchedUnlock && $0.severity == .error && $0.location.line == 3 })
  }

  @Test func irqFlavourMismatchIsAWarning() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t l;
      task t on cpu0 { spin_lock_irq(&l); spin_unlock(&l); local_irq_enable(); }
      expect no deadlock;
      """)
    #expect(d.contains { $0.kind == .mismatchedUnlock && $0.severity == .warning })
    #expect(!d.contains { $0.severity == .error })
  }

  @Test func declarationsOutOfRangeAreRejected() {
    let d = diagnostics("""
      cpus 2;
      void h(void) { }
      task t on cpu2 { }
      irq x on cpu5 => h;
      irq y on cpu0 => nothere;
      expect no deadlock;
      """).filter { $0.severity == .error }
    #expect(d.map(\.kind) == [.invalidDeclaration, .invalidDeclaration, .unknownName])
    #expect(d.map(\.location.line) == [3, 4, 5])
  }

  @Test func missingCPUsIsReported() {
    let d = diagnostics("task t { }\nexpect no deadlock;")
    #expect(d.contains { $0.kind == .missingDeclaration && $0.severity == .error })
  }

  @Test func severalSyntaxErrorsInOneRun() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t a
      void f(void) { spin_lock(&a; }
      task t on cpu0 { f(); @ }
      expect maybe;
      """).filter { $0.severity == .error }
    #expect(d.count >= 4)
    #expect(Set(d.map(\.location.line)).isSuperset(of: [3, 4, 5]))
    #expect(d.allSatisfy { $0.kind == .syntax })
  }

  @Test func unknownLockInExpect() {
    let d = diagnostics("""
      cpus 1;
      spinlock_t a;
      task t on cpu0 { }
      expect deadlock on b;
      """)
    #expect(d.contains { $0.kind == .unknownName && $0.location.line == 4 && $0.location.column == 20 })
  }

  @Test func renderedFormIsFileLineColumn() {
    let d = Diagnostic(.error, .syntax, at: KLocation(file: "x.ksim", line: 3, column: 7), "expected ')'")
    #expect(d.description == "x.ksim:3:7: error: expected ')'")
  }
}
