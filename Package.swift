// swift-tools-version:6.0
import PackageDescription

// The library and the tool are optimised in both configurations.
//
// A release build uses every vector instruction of the CPU it is built on: each user builds
// this tool for their own machine, and the walk's loops then run four doubles at a time where
// the baseline x86-64 target runs two. The same operations in the same order: every output is
// the same to the last bit (notes/Performance.md measures both targets).
//
// A debug build (`swift run`, `swift test`) compiles them with -O too, keeping the debug
// build's checks and their messages (`-assert-config Debug`). At -Onone nothing is inlined or
// specialised, every `+` and `*` of the generic walks a call through a witness table:
// `swift test` ran its tests in 155 s where they now take 13–17, `rnn-explain check` took
// 103 s where it takes 2 (the library also prespecialises, `#if DEBUG`, what one file calls in
// another: a debug build compiles file by file). The test targets, where a learner's exercises
// live, stay at -Onone.
// `swift build -Xswiftc -Onone` builds all of it unoptimised, to step through the library in a
// debugger (notes/Performance.md, eighteenth round).
let optimised: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", "native"], .when(platforms: [.linux], configuration: .release)),
  .unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug)),
]

let package = Package(
  name: "rnn-explain",
  products: [
    .library(name: "RNNDerivations", targets: ["RNNDerivations"]),
    .executable(name: "rnn-explain", targets: ["rnn-explain"]),
  ],
  targets: [
    .target(name: "RNNDerivations", swiftSettings: optimised),
    .executableTarget(
      name: "rnn-explain", dependencies: ["RNNDerivations"], swiftSettings: optimised),
    .testTarget(
      name: "RNNDerivationsTests",
      dependencies: ["RNNDerivations"],
      resources: [.copy("Fixtures")]
    ),
    // The captured outputs are read from the source tree by path, not bundled.
    .testTarget(name: "RNNExplainTests", dependencies: ["rnn-explain"], exclude: ["Fixtures"]),
  ]
)
