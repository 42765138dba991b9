// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ksim",
  products: [
    .executable(name: "ksim", targets: ["ksim"]),
    .library(name: "KernelSim", targets: ["KernelSim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    // Everything but argument parsing and curses: language, kernel model, explorer, reports.
    // Release builds drop the runtime's dynamic exclusivity checks (variables captured by the
    // explorer's local functions are checked on every access: about 2% of a search's
    // instructions); debug builds, which the tests run, keep them.
    .target(
      name: "KernelSim",
      swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
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
