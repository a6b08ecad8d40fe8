@testable import RNNDerivations
import Testing

@Suite struct RNNStepTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("rnn-step") }

  /// Hand calculation at D = H = 1.
  ///
  /// a = 0.5·1 + 2·0.25 + 0 = 1, so h = tanh 1, and with dh = 1: da = 1 − tanh²1, dW = da·h_{t−1} = da, dU = da·x = da/4, db = da,
  /// dh_{t−1} = W·da = da/2, dx = U·da = 2·da.
  /// Values from Python: math.tanh(1.0), 1 − math.tanh(1.0)**2 and its multiples.
  @Test func knownAnswerOneByOne() {
    let (h, cache) = rnnStepForward(
      x: [0.25], hPrev: [1.0], W: Matrix(rows: 1, cols: 1, storage: [0.5]),
      U: Matrix(rows: 1, cols: 1, storage: [2.0]), b: [0.0])
    expectClose(h, [0.7615941559557649], tolerance: 1e-15, "h")
    let g = rnnStepBackward(
      [1.0], cache: cache, W: Matrix(rows: 1, cols: 1, storage: [0.5]),
      U: Matrix(rows: 1, cols: 1, storage: [2.0]))
    let da = 0.41997434161402614
    expectClose(g.db, [da], tolerance: 1e-15, "db")
    expectClose(g.dW.storage, [da], tolerance: 1e-15, "dW")
    expectClose(g.dU.storage, [0.10499358540350653], tolerance: 1e-15, "dU")
    expectClose(g.dhPrev, [0.20998717080701307], tolerance: 1e-15, "dhPrev")
    expectClose(g.dx, [0.8399486832280523], tolerance: 1e-15, "dx")
  }

  /// A backward pass that sends `W da` instead of `Wᵀ da` to h_{t−1} is caught by every
  /// oracle, for h_{t−1} only: W is not symmetric and D ≠ H, so no transpose can hide.
  @Test func missingTransposeIsCaughtAtHPrev() {
    let W = Matrix(rows: 3, cols: 3, storage: [0.4, -0.7, 0.2, 0.9, 0.1, -0.3, -0.5, 0.6, 0.8])
    let U = Matrix(rows: 3, cols: 2, storage: [0.3, -0.2, 0.5, 0.7, -0.6, 0.1])
    let b = [0.05, -0.1, 0.2]
    let hPrev = [0.3, -0.6, 0.9]
    let x = [0.7, -0.4]
    let g = [1.0, -0.5, 0.25]
    let (_, cache) = rnnStepForward(x: x, hPrev: hPrev, W: W, U: U, b: b)
    let right = rnnStepBackward(g, cache: cache, W: W, U: U)
    let wrongDhPrev = W * right.db  // W da, not Wᵀ da
    let point = [
      Variable("W", W), Variable("U", U), Variable("b", b), Variable("h_{t−1}", hPrev),
      Variable("x_t", x),
    ]
    let checks = verify(
      RNNStepFunction(upstream: g), at: point,
      analytic: [right.dW.storage, right.dU.storage, right.db, wrongDhPrev, right.dx])
    #expect(checks.count == point.count * Oracle.allCases.count)
    let failing = checks.filter { !$0.passed }
    #expect(failing.count == Oracle.allCases.count, "\(failing.map(\.summary))")
    for check in failing {
      #expect(check.parameter == "h_{t−1}")
      #expect(check.summary.contains("∂(g·h_t)/∂h_{t−1}"), "\(check.summary)")
    }
    // The right backward pass passes at the same point.
    let rightChecks = verify(
      RNNStepFunction(upstream: g), at: point,
      analytic: [right.dW.storage, right.dU.storage, right.db, right.dhPrev, right.dx])
    for check in rightChecks { #expect(check.passed, "\(check.summary)") }
  }
}
