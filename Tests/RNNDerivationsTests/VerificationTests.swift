@testable import RNNDerivations
import Foundation
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
    #expect(checks.map(\.reference) == ["dual", "tape", "finite-difference"])
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

@Suite struct ErrorModelTests {
  /// An entry 10⁹ times smaller than the largest, off by 1e-16: its own relative error is
  /// 1e-7, far over 1e-12, but the difference is within the model (tolerance × the largest
  /// entry): counted as small, not failed.
  @Test func smallEntryWithinTheModelIsCountedNotFailed() {
    let check = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "dual", shape: .vector(2),
      analytic: [1.0, 1e-9], expected: [1.0, 1e-9 + 1e-16], tolerance: 1e-12)
    #expect(check.relativeErrors[1] > 1e-12)
    #expect(check.passed)
    #expect(check.small == 1)
    #expect(check.summary.contains("1 small"))
  }

  /// A difference of 1e-9 against a largest entry of 1 is over 1e-12 × 1: it fails, and is
  /// the one named.
  @Test func beyondTheModelFails() {
    let check = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "dual", shape: .vector(3),
      analytic: [1.0, 1e-9, 0.5], expected: [1.0, 2e-9, 0.5], tolerance: 1e-12)
    #expect(!check.passed)
    #expect(check.failures == 1)
    #expect(check.worstIndex == 1)
  }

  /// The oracle's own error bar widens what is allowed, entry by entry.
  @Test func oracleNoiseIsAllowed() {
    let within = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "finite-difference", shape: .vector(2),
      analytic: [1.0, 0.5], expected: [1.0, 0.5 + 3e-9], tolerance: 1e-12, noise: [0, 4e-9])
    let without = GradientCheck(
      quantity: "∂E/∂W", parameter: "W", reference: "finite-difference", shape: .vector(2),
      analytic: [1.0, 0.5], expected: [1.0, 0.5 + 3e-9], tolerance: 1e-12, noise: [0, 0])
    #expect(within.passed)
    #expect(!without.passed)
  }

  /// Saturation is labelled by its conditioning, not failed as a wrong derivation.
  ///
  /// A tanh step driven into saturation (U x = ±8, W = 0): `1 − h²` ≈ 4.5e-7 loses about
  /// ε / 4.5e-7 ≈ 5e-10 of its value to rounding in h, which a dual number (sech², via cosh)
  /// does not. The correct derivation is then only as accurate as its conditioning allows;
  /// with the step's conditioning every check passes, and the summary names it.
  @Test func saturationIsConditioningNotAWrongDerivation() {
    let W = Matrix<Double>.zeros(2, 2)
    let U = Matrix(rows: 2, cols: 1, storage: [8.0, -8.0])
    let (b, hPrev, x, g) = ([0.0, 0.0], [0.1, 0.2], [1.0], [1.0, 1.0])
    let (_, cache) = rnnStepForward(x: x, hPrev: hPrev, W: W, U: U, b: b)
    let grads = rnnStepBackward(g, cache: cache, W: W, U: U)
    let point = [
      Variable("W", W), Variable("U", U), Variable("b", b), Variable("h_{t−1}", hPrev),
      Variable("x_t", x),
    ]
    let analytic = [grads.dW.storage, grads.dU.storage, grads.db, grads.dhPrev, grads.dx]
    let κ = RNNCell().conditioning(cache)
    #expect(κ > 1e6 && κ < 1e7, "1 / (1 − tanh² 8) ≈ 2.2e6")
    let checks = verify(
      RNNStepFunction(upstream: g), at: point, analytic: analytic, oracles: [.dual],
      conditioning: κ)
    for check in checks { #expect(check.passed, "\(check.summary)") }
    #expect(checks.allSatisfy { $0.summary.contains("conditioning") })
  }
}

@Suite struct FiniteDifferenceNoiseTests {
  /// Finite differences report their own rounding noise: 16 ulps of
  /// (|f₊₂| + 8|f₊₁| + 8|f₋₁| + |f₋₂| + 18) / 12h, here with f = 3 everywhere: 16 ε · 72 / 12h.
  @Test func finiteDifferenceNoiseEstimate() {
    struct Constant: ForwardFunction {
      var outputName: String { "f" }
      func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] { [inputs["x"][0] * 0 + 3] }
    }
    let estimate = FiniteDifference.jacobian(Constant(), at: [Variable("x", [0.5])], wrt: 0)
    #expect(estimate.values == [0])
    let h = FiniteDifference.step(at: 0.5)
    expectClose(estimate.noise, [16 * Double.ulpOfOne * 72 / (12 * h)])
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

  /// `CheckSummary.all` runs every run of several derivations side by side: each summary must
  /// be its derivation's, with each run's checks in the order of its configs, exactly as the
  /// runs give them one after another here (values and verdicts, bit for bit).
  @Test func runsSideBySideKeepTheirPlaces() throws {
    let derivations = try ["softmax", "rnn-step", "lstm-bptt"].map {
      try #require(Catalog.derivation($0))
    }
    let configs = CheckSummary.runs(Catalog.checkConfigs, seeds: 2)
    // The progress told: one report per run, the counts 1, 2, … in the order they come.
    final class Reports: @unchecked Sendable {  // @unchecked: `all` calls one at a time
      var counts: [Int] = []
    }
    let reports = Reports()
    let summaries = CheckSummary.all(derivations.map { ($0, configs) }) { _, runs, total in
      #expect(total == derivations.count * configs.count)
      reports.counts.append(runs)
    }
    #expect(reports.counts == Array(1...derivations.count * configs.count))
    #expect(summaries.map(\.derivation.id) == derivations.map(\.id))
    for (summary, derivation) in zip(summaries, derivations) {
      #expect(summary.runs.map(\.config) == configs)
      for (run, config) in zip(summary.runs, configs) {
        let alone = derivation.trace(config).checks
        #expect(run.checks.map(\.quantity) == alone.map(\.quantity))
        #expect(run.checks.map(\.reference) == alone.map(\.reference))
        #expect(run.checks.map(\.expected) == alone.map(\.expected))
        #expect(run.checks.map(\.passed) == alone.map(\.passed))
      }
    }
  }
}
