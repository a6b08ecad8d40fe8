@testable import RNNDerivations
import Testing

@Suite struct SoftmaxTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("softmax") }

  /// Hand calculation: e^k / (e + e² + e³) for k = 1, 2, 3 (values from Python's math.exp).
  @Test func knownAnswer() {
    expectClose(
      softmaxForward([1.0, 2.0, 3.0]),
      [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], tolerance: 1e-15)
  }

  /// Subtracting the max keeps large logits finite; the result is shift-invariant.
  @Test func stableForLargeLogits() {
    let y = softmaxForward([1001.0, 1002.0, 1003.0])
    expectClose(y, softmaxForward([1.0, 2.0, 3.0]), tolerance: 1e-15)
  }

  /// ∂ŷ/∂z for ŷ = (½, ½): diag ¼, off-diagonal −¼ (by hand).
  @Test func jacobianByHand() {
    expectClose(softmaxJacobian([0.5, 0.5]).storage, [0.25, -0.25, -0.25, 0.25])
  }

  @Test func twoClassSoftmaxIsSigmoidOfDifference() {
    for (a, b) in [(0.3, -1.2), (4.0, 2.5), (-7.0, 1.0)] {
      expectClose([softmaxForward([a, b])[0]], [Double.sigmoid(a - b)], tolerance: 1e-15)
    }
  }

  /// A backward pass that forgets the −ŷ_i ŷ_j off-diagonal term must be caught and located.
  @Test func wrongJacobianIsCaughtAndLocated() throws {
    let z = [0.5, -1.0, 2.0]
    let y = softmaxForward(z)
    var wrong = Matrix<Double>.zeros(3, 3)
    for i in 0..<3 { wrong[i, i] = y[i] * (1 - y[i]) }
    let checks = verify(
      SoftmaxFunction(), at: [Variable("z", z)], analytic: [wrong.storage])
    #expect(checks.count == Oracle.allCases.count)
    for check in checks {
      #expect(!check.passed)
      #expect(check.parameter == "z")
      #expect(check.failures == 6, "every off-diagonal entry is wrong")
      let (i, j) = (check.worstIndex / 3, check.worstIndex % 3)
      #expect(i != j, "worst entry \(check.shape.index(check.worstIndex)) is off the diagonal")
      #expect(check.analytic[check.worstIndex] == 0)
      #expect(check.summary.contains(check.shape.index(check.worstIndex)))
    }
  }
}

extension SoftmaxTests {
  /// In (Jᵀg)_i = Σ_j ∂ŷ_j/∂z_i g_j, the terms j ≠ i sum to −ŷ_i (g·ŷ − ŷ_i g_i), not to
  /// −ŷ_i (g·ŷ), which is the whole ŷŷᵀ term with the diagonal; the trace says so.
  ///
  /// The Jacobian is the dual oracle's (the forward pass only); the sums are explicit loops.
  @Test func offDiagonalTermsOfTheBackwardPass() throws {
    let z = [0.3, -1.1, 2.0, 0.4]
    let g = [0.5, -0.25, 1.5, -2.0]
    let y = softmaxForward(z)
    // J[j·K + i] = ∂ŷ_j/∂z_i
    let J = DualOracle.jacobian(SoftmaxFunction(), at: [Variable("z", z)], wrt: 0)
    let K = z.count
    let gDotY = dot(g, y)
    for i in 0..<K {
      let offDiagonal = (0..<K).filter { $0 != i }.reduce(0) { $0 + J[$1 * K + i] * g[$1] }
      let diagonal = J[i * K + i] * g[i]
      expectClose([offDiagonal], [-y[i] * (gDotY - y[i] * g[i])], tolerance: 1e-14, "off-diag \(i)")
      expectClose(
        [diagonal + offDiagonal], [softmaxBackward(g, y: y)[i]], tolerance: 1e-14, "row \(i)")
      // The old sentence's −ŷ_i (g·ŷ) misses ŷ_i² g_i (nonzero here, so it would fail).
      #expect(
        relativeError(offDiagonal, -y[i] * gDotY) > 1e-3, "−ŷ_i (g·ŷ) is not the off-diagonal sum")
    }
    let step = try #require(softmaxTrace(Config()).first { $0.title.hasPrefix("Backward pass") })
    #expect(step.note.contains("the off-diagonal terms sum to −ŷ_i (g·ŷ − ŷ_i g_i)"))
    #expect(step.equation.contains("ŷ_i(1 − ŷ_i) g_i − ŷ_i Σ_{j≠i} ŷ_j g_j = ŷ_i (g_i − g·ŷ)"))
    #expect(
      step.latex.contains(
        #"\hat y_i(1 - \hat y_i)\, g_i - \hat y_i \sum_{j \ne i} \hat y_j g_j = \hat y_i\,(g_i - g^\top \hat y)"#
      ))
  }
}
