// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ksim",
  products: [
    // No library product: release builds of KernelSim count references without atomics
    // (below), so it is not offered to clients that might share its values between threads.
    .executable(name: "ksim", targets: ["ksim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // Everything but argument parsing and curses: language, kernel model, explorer, reports.
    // Release builds drop the runtime's dynamic exclusivity checks (variables captured by the
    // explorer's local functions are checked on every access: about 2% of a search's
    // instructions); debug builds, which the tests run, keep them.
    // Release builds also count references without atomic instructions
    // (`-assume-single-threaded`): ksim runs a search on one thread (Ctrl-C only sets a flag),
    // and a search retains and releases some twenty arrays per transition; a locked increment
    // costs far more than a plain one. The library must then not share values between threads
    // in release builds: the tests, which Swift Testing runs in parallel, run in debug builds
    // only (`make test`; not `swift test -c release`).
    .target(
      name: "KernelSim",
      swiftSettings: [
        .unsafeFlags(["-enforce-exclusivity=unchecked", "-Xfrontend", "-assume-single-threaded"], .when(configuration: .release))
      ]),
    // The pure frame model of `ksim watch`: (timeline, view state, size) -> grid; the key reducer.
    .target(name: "TimelineView", dependencies: ["KernelSim"]),
    // Thin C module over the system's ncursesw (modulemap + shim header). Only Screen.swift uses it.
    .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
    // The command-line tool: a thin layer of commands over KernelSim.
    .executableTarget(
      name: "ksim",
      dependencies: [
        "KernelSim", "TimelineView", "CNcurses",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "KernelSimTests", dependencies: ["KernelSim"]),
    // Golden frames are read by path (Fixtures.swift), not as bundle resources.
    .testTarget(name: "TimelineViewTests", dependencies: ["TimelineView", "KernelSim"], exclude: ["Snapshots"]),
    // Runs the built `ksim` binary as a subprocess (no link against it).
    .testTarget(name: "KsimEndToEndTests"),
  ]
)
