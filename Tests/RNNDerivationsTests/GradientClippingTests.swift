@testable import RNNDerivations
import Testing

/// `√(Σ x²)` over every entry, written out here so that no expected value comes from the code
/// under test.
private func norm(_ g: [[Double]]) -> Double {
  g.joined().reduce(0) { $0 + $1 * $1 }.squareRoot()
}

@Suite struct GradientClippingTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("gradient-clipping") }

  /// Clipping by global norm, by hand.
  ///
  /// g = ((3, 4), (0)) has norm 5; clipped to 1 it is ((0.6, 0.8), (0)). Under the
  /// threshold nothing changes. The root is taken as exp(½ log s), which every oracle can
  /// differentiate: within a few ulps (1e-15 relative is 4.5 ulps), not exact.
  @Test func globalNormByHand() {
    let g: [[Double]] = [[3, 4], [0]]
    expectClose([globalNorm(g)], [5], tolerance: 1e-15, "‖g‖")
    let clipped = clipByGlobalNorm(g, clipNorm: 1)
    expectClose(clipped.flatMap { $0 }, [0.6, 0.8, 0], tolerance: 1e-15, "clip(g)")
    #expect(clipByGlobalNorm(g, clipNorm: 5.001).flatMap { $0 } == [3, 4, 0])
  }

  /// By hand: clip((3, −4, 0.5), 1) = (1, −1, 0.5).
  @Test func byValueByHand() {
    #expect(clipByValue([[3, -4, 0.5]], clipValue: 1) == [[1, -1, 0.5]])
  }

  /// The Jacobian of global-norm clipping, by hand.
  ///
  /// At g = (3, 4), c = 1: ĝ = (0.6, 0.8), I − ĝĝᵀ = [[0.64, −0.48], [−0.48, 0.36]],
  /// times c/‖g‖ = 1/5: [[0.128, −0.096], [−0.096, 0.072]]. Under the threshold: the identity.
  @Test func jacobianByHand() {
    let J = clipByGlobalNormJacobian([[3, 4]], clipNorm: 1)
    expectClose(J.storage, [0.128, -0.096, -0.096, 0.072], tolerance: 1e-15, "J")
    #expect(clipByGlobalNormJacobian([[3, 4]], clipNorm: 6).storage == [1, 0, 0, 1])
  }

  /// Clipping properties on BPTT gradients, computed here entry by entry.
  ///
  /// Global norm gives norm c and keeps the direction (every entry scaled by the same c/‖g‖);
  /// by value keeps every entry within [−c, c] and the entries inside unchanged.
  @Test(arguments: 0..<6 as Range<UInt64>)
  func clippingProperties(seed: UInt64) {
    let ex = SequenceExample(
      rnn: Config(seed: seed, dims: Dims(D: 4, H: 6, K: 5), steps: 6, scale: 3))
    let g = ex.gradients.parameters.values
    let c = norm(g) / 3
    let clipped = clipByGlobalNorm(g, clipNorm: c)
    #expect(abs(norm(clipped) - c) <= 1e-14 * c)
    for (a, b) in zip(g.joined(), clipped.joined()) {
      #expect(abs(b - a * c / norm(g)) <= 1e-15 * abs(a) + 1e-300, "direction kept")
    }
    let cValue = 0.1
    let byValue = clipByValue(g, clipValue: cValue)
    for (a, b) in zip(g.joined(), byValue.joined()) {
      #expect(abs(b) <= cValue)
      #expect(abs(a) <= cValue ? b == a : b == (a > 0 ? cValue : -cValue))
    }
  }

  /// The gradient check of a clipped gradient must fail: it is not ∂E/∂θ.
  ///
  /// Checked directly, and in the trace as expected failures that leave the trace passing.
  @Test(arguments: 0..<4 as Range<UInt64>)
  func clippedGradientFailsItsCheck(seed: UInt64) throws {
    let ex = SequenceExample(rnn: Config(seed: seed))
    let g = ex.gradients.parameters.values
    let clipped = clipByGlobalNorm(g, clipNorm: norm(g) / 2)
    let checks = verify(ex.model, at: ex.point, analytic: clipped + ex.gradients.initialState.parts)
    let parameters = ["U", "W", "b", "V", "b_y"]
    #expect(checks.filter { parameters.contains($0.parameter) }.allSatisfy { !$0.passed })
    // The unclipped initial-state gradient still passes: only what was clipped fails.
    #expect(checks.filter { $0.parameter == "s_{−1}" }.allSatisfy { $0.passed })

    let trace = try #require(Catalog.derivation("gradient-clipping")).trace(Config(seed: seed))
    #expect(trace.expectedFailures.count == parameters.count * Oracle.allCases.count)
    #expect(trace.expectedFailures.allSatisfy { !$0.passed })
    #expect(trace.passed && trace.checks.allSatisfy { $0.passed })
  }

  /// An expected failure that passes fails the trace, and the text says so.
  @Test func expectedFailureThatPassesFailsTheTrace() {
    let passing = GradientCheck(
      quantity: "x", parameter: "x", reference: "identity", shape: .vector(1), analytic: [1],
      expected: [1], tolerance: Tolerances.identity)
    let trace = Trace(
      id: "t", title: "t", source: "003", config: Config(), usesSteps: false,
      steps: [TraceStep("s", equation: "", latex: "", expectedFailures: [passing])])
    #expect(!trace.passed)
    #expect(TextRenderer().render(trace).contains("FAIL: expected to fail, passed"))
  }
}
