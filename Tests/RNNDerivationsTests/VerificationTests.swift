@testable import RNNDerivations
import Testing

/// f(x, y) = x₀² y₀ + sin-free polynomial: a function whose derivatives are known by hand.
private struct Polynomial: ForwardFunction {
  var outputName: String { "f" }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    let x = inputs["x"]
    return [x[0] * x[0] * x[1] + T.exp(x[1]), x[0] * x[1]]
  }
}

@Suite struct VerificationTests {
  /// ∂f/∂x at (1.5, −0.5): [[2·x₀x₁, x₀² + e^{x₁}], [x₁, x₀]], by hand.
  private let point = [Variable("x", [1.5, -0.5])]
  private var byHand: [Double] {
    [2 * 1.5 * -0.5, 2.25 + 0.6065306597126334, -0.5, 1.5]
  }

  @Test func oraclesMatchHandJacobian() {
    let checks = verify(Polynomial(), at: point, analytic: [byHand])
    #expect(checks.map(\.reference) == ["dual", "finite-difference"])
    for check in checks { #expect(check.passed, "\(check.summary)") }
  }

  @Test func wrongEntryIsLocated() {
    var wrong = byHand
    wrong[3] += 1e-6
    for check in verify(Polynomial(), at: point, analytic: [wrong]) {
      #expect(!check.passed)
      #expect(check.worstIndex == 3)
      #expect(check.shape.index(3) == "[1, 1]")
      #expect(check.failures == 1)
    }
  }

  /// The fast mode compares uᵀJv on random directions, and still catches a wrong entry.
  @Test func projectedModeCatchesError() {
    let n = Tolerances.fullCheckMaxEntries + 1
    let x = (0..<n).map { Double($0 % 7) / 7 }
    struct SumOfSquares: ForwardFunction {
      var outputName: String { "f" }
      func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] { [dot(inputs["x"], inputs["x"])] }
    }
    let right = x.map { 2 * $0 }
    var wrong = right
    wrong[5] += 0.1
    let good = verify(SumOfSquares(), at: [Variable("x", x)], analytic: [right])
    let bad = verify(SumOfSquares(), at: [Variable("x", x)], analytic: [wrong])
    #expect(good.allSatisfy { $0.projected && $0.passed })
    #expect(bad.allSatisfy { $0.projected && !$0.passed })
  }
}

@Suite struct RoundingFloorTests {
  /// An entry whose difference is within its resolution counts as at the floor, not failed.
  @Test func withinResolutionIsCountedNotFailed() {
    let check = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "dual", shape: .vector(2),
      analytic: [1.0, 1e-9], expected: [1.0, 1e-9 + 1e-16], tolerance: 1e-12,
      noise: [1e-15, 1e-15])
    #expect(check.relativeErrors[1] > 1e-12)
    #expect(check.passed)
    #expect(check.atRoundingFloor == 1)
    #expect(check.summary.contains("1 at the rounding floor"))
  }

  /// A difference beyond the resolution still fails, and is the one named.
  @Test func beyondResolutionFails() {
    let check = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "dual", shape: .vector(3),
      analytic: [1.0, 1e-9, 0.5], expected: [1.0, 2e-9, 0.5], tolerance: 1e-12,
      noise: [1e-15, 1e-15, 1e-15])
    #expect(!check.passed)
    #expect(check.failures == 1)
    #expect(check.worstIndex == 1)
  }

  /// Finite differences report their own rounding noise: ε(|f₊₂| + 8|f₊₁| + 8|f₋₁| + |f₋₂|)/12h.
  @Test func finiteDifferenceNoiseEstimate() {
    struct Constant: ForwardFunction {
      var outputName: String { "f" }
      func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] { [inputs["x"][0] * 0 + 3] }
    }
    let estimate = FiniteDifference.jacobian(Constant(), at: [Variable("x", [0.5])], wrt: 0)
    #expect(estimate.values == [0])
    let h = FiniteDifference.step(at: 0.5)
    expectClose(estimate.noise, [Double.ulpOfOne * 18 * 3 / (12 * h)])
  }
}

@Suite struct CheckPipelineTests {
  /// A derivation whose backward pass drops softmax's off-diagonal terms: `check` must fail
  /// it at every size and seed and say where.
  @Test func wrongDerivationFailsCheckAndIsLocated() {
    let wrong = Derivation(id: "wrong-softmax", title: "diagonal only", source: "test") { config in
      var rng = SplitMix64(seed: config.seed)
      let z = rng.vector(config.dims.K)
      let y = softmaxForward(z)
      let diagonal = Matrix<Double>.identity(z.count).scalingRows(by: y.map { $0 * (1 - $0) })
      return [
        TraceStep(
          "wrong", equation: "", latex: "",
          checks: verify(SoftmaxFunction(), at: [Variable("z", z)], analytic: [diagonal.storage]))
      ]
    }
    let summary = CheckSummary(wrong, configs: Catalog.checkConfigs, seeds: 3)
    #expect(!summary.passed)
    #expect(summary.failures.count == summary.checks.count, "every check fails")
    let report = CheckReport.text([summary], seeds: 3, renderer: TextRenderer())
    #expect(report.contains("FAIL wrong-softmax seed 0"))
    #expect(report.contains("∂ŷ/∂z vs dual"))
    #expect(report.contains("FAIL: 1 of 1 derivations failed (0 passed) · "))
  }
}
