@testable import RNNDerivations
import Testing

/// Truncated BPTT in both of R2RT's styles, in the library's one walk, for every cell: each
/// style's gradient checked by every oracle against its own objective (the forward pass with
/// a `stop_gradient` where the style cuts).
@Suite struct TruncationTests {
  static let config = Config(seed: 5, dims: Dims(D: 3, H: 4, K: 3), steps: 7)

  /// The example's model, its point, and its hand-derived gradients under `truncation`.
  static func run<C: RecurrentCell>(_ cell: C, _ truncation: Truncation) -> (
    model: SequenceModel<C>, point: [Variable], gradients: SequenceGradients
  ) {
    let ex = SequenceExample(cell, config, stateNames: cell.hasCellState ? ["h", "c"] : ["h"])
    let g = ex.model.backward(ex.run, ex.p, truncation: truncation)
    return (ex.model, ex.point, g)
  }

  static let styles: [Truncation] = [.chunks(3), .window(3), .chunks(1), .window(1)]

  @Test(arguments: styles) func everyCellAgreesWithTheOraclesOfItsTruncatedObjective(
    _ truncation: Truncation
  ) {
    func check(_ cell: some RecurrentCell) {
      let (model, point, g) = Self.run(cell, truncation)
      let objective = TruncatedObjective(model, truncation, at: point)
      for check in verify(objective, at: point, analytic: g.flat, magnitudes: g.magnitudes) {
        #expect(check.passed, "\(type(of: cell)) \(truncation): \(check.summary)")
      }
    }
    check(RNNCell())
    check(ConcatRNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetBefore))
    check(GRUCell(variant: .resetAfter))
  }

  /// A walk that keeps no `upstream` (`gradients(at:)`, training: each step's backward pass
  /// then works on what it is handed in place) gives the same gradients, bit for bit, as one
  /// that keeps it for the traces: untruncated and in both styles, for every cell and a stack.
  @Test(arguments: [Truncation.none] + styles) func keepingNoUpstreamChangesNoGradient(
    _ truncation: Truncation
  ) {
    func check(_ cell: some RecurrentCell) {
      let ex = SequenceExample(cell, Self.config, stateNames: cell.stateNames)
      let kept = ex.model.backward(ex.run, ex.p, truncation: truncation)
      let bare = ex.model.backward(ex.run, ex.p, truncation: truncation, keepingUpstream: false)
      #expect(bare.flat == kept.flat, "\(type(of: cell)) \(truncation)")
      #expect(bare.upstream.isEmpty && kept.upstream.count == ex.run.caches.count)
    }
    check(RNNCell())
    check(ConcatRNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetBefore))
    check(GRUCell(variant: .resetAfter))
    check(StackedCell([GRUCell(variant: .resetAfter), LSTMCell(forgetBias: 0), RNNCell()]))
  }

  /// The checks can fail: full BPTT's gradient is not the gradient of a truncated objective,
  /// and every oracle, finite differences included, says so.
  @Test func theFullGradientFailsATruncatedObjective() {
    let (model, point, full) = Self.run(RNNCell(), .none)
    for truncation in [Truncation.chunks(3), .window(3)] {
      let objective = TruncatedObjective(model, truncation, at: point)
      let failing = verify(objective, at: point, analytic: full.flat).filter { !$0.passed }
      #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"])
      #expect(failing.contains { $0.parameter == "W" })
    }
  }

  /// Truncation changes the gradient, never the loss: each objective's value at the point is E.
  @Test func theLossIsTheSameInEveryStyle() {
    let (model, point, _) = Self.run(RNNCell(), .none)
    let loss = model.evaluate(Parameters(point))[0]
    for truncation in Self.styles {
      let objective = TruncatedObjective(model, truncation, at: point)
      #expect(abs(objective.evaluate(Parameters(point))[0] - loss) <= 1e-14 * loss, "\(truncation)")
    }
  }

  /// With chunks of 3 and a window of 3 over 7 steps the two styles differ from each other and
  /// from full BPTT (R2RT's point); with n ≥ T both are full BPTT.
  @Test func theStylesDifferUnlessTheyReachTheStart() {
    func dW(_ truncation: Truncation) -> [Double] {
      Self.run(RNNCell(), truncation).gradients.parameters["W"]
    }
    let full = dW(.none)
    let scale = full.map(abs).max() ?? 0
    func gap(_ a: [Double], _ b: [Double]) -> Double {
      zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
    #expect(gap(dW(.chunks(3)), full) > 1e-3 * scale)
    #expect(gap(dW(.window(3)), full) > 1e-3 * scale)
    #expect(gap(dW(.chunks(3)), dW(.window(3))) > 1e-3 * scale)
    #expect(dW(.chunks(7)) == full)  // no chunk boundary: the very same computation
    #expect(gap(dW(.window(7)), full) <= 1e-14 * scale)  // the same sum, in another order
  }

  /// A window of 1 by hand: each `E_t` reaches only its own step, so for a scalar rnn
  /// (H = D = K… one unit) `∂E/∂W = Σ_t (1 − h_t²) ∂E_t/∂h_t · h_{t−1}`, every factor read
  /// off the forward run here, none from the backward pass.
  @Test func aWindowOfOneIsEachStepAlone() {
    let (model, point, g) = Self.run(RNNCell(), .window(1))
    let all = Parameters(point)
    let p = model.parameters(of: all)
    let run = model.forward(p, from: model.initialState(of: all))
    let V = p.matrix("V")
    var dW = Matrix<Double>(rows: 4, cols: 4, storage: [Double](repeating: 0, count: 16))
    for t in run.states.indices {
      var y = [Double](repeating: 0, count: 3)
      y[model.targets[t]] = 1
      let dh = V.transposeTimes(run.yHats[t] .- y)  // ∂E_t/∂h_t = Vᵀ(ŷ_t − y_t)
      let h = run.states[t].h
      let da = zip(dh, h).map { $0 * (1 - $1 * $1) }  // through tanh
      let hPrev = t == 0 ? model.initialState(of: all).h : run.states[t - 1].h
      dW = dW + Matrix.outer(da, hPrev)
    }
    let scale = dW.storage.map(abs).max() ?? 0
    for (a, b) in zip(g.parameters["W"], dW.storage) { #expect(abs(a - b) <= 1e-14 * scale) }
  }
}
