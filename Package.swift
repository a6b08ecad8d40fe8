// swift-tools-version:6.0
import PackageDescription

// A release build uses every vector instruction of the CPU it is built on: each user builds
// this tool for their own machine, and the walk's loops then run four doubles at a time where
// the baseline x86-64 target runs two. The same operations in the same order: every output is
// the same to the last bit (notes/Performance.md measures both targets).
let nativeRelease: [SwiftSetting] = [
  .unsafeFlags(["-target-cpu", "native"], .when(platforms: [.linux], configuration: .release))
]

let package = Package(
  name: "rnn-explain",
  products: [
    .library(name: "RNNDerivations", targets: ["RNNDerivations"]),
    .executable(name: "rnn-explain", targets: ["rnn-explain"]),
  ],
  targets: [
    .target(name: "RNNDerivations", swiftSettings: nativeRelease),
    .executableTarget(
      name: "rnn-explain", dependencies: ["RNNDerivations"], swiftSettings: nativeRelease),
    .testTarget(
      name: "RNNDerivationsTests",
      dependencies: ["RNNDerivations"],
      resources: [.copy("Fixtures")]
    ),
    // The captured outputs are read from the source tree by path, not bundled.
    .testTarget(name: "RNNExplainTests", dependencies: ["rnn-explain"], exclude: ["Fixtures"]),
  ]
)
