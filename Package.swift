// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "rnn-explain",
  products: [
    .library(name: "RNNDerivations", targets: ["RNNDerivations"]),
    .executable(name: "rnn-explain", targets: ["rnn-explain"]),
  ],
  targets: [
    .target(name: "RNNDerivations"),
    .executableTarget(name: "rnn-explain", dependencies: ["RNNDerivations"]),
    .testTarget(
      name: "RNNDerivationsTests",
      dependencies: ["RNNDerivations"],
      resources: [.copy("Fixtures")]
    ),
    // The captured outputs are read from the source tree by path, not bundled.
    .testTarget(name: "RNNExplainTests", dependencies: ["rnn-explain"], exclude: ["Fixtures"]),
  ]
)
