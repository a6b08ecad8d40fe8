@testable import RNNDerivations
import Testing

/// Dropout in the one walk: fixed masks on inputs and outputs, never on the state.
@Suite struct DropoutTests {
  static let config = Config(seed: 4, dims: Dims(D: 3, H: 4, K: 3), steps: 4)

  static func example<C: RecurrentCell>(_ cell: C, keep: Double) -> SequenceExample<C> {
    var ex = SequenceExample(cell, config, stateNames: cell.hasCellState ? ["h", "c"] : ["h"])
    var rng = SplitMix64(seed: 11)
    ex.model.dropout = Dropout(keep: keep, dims: config.dims, steps: config.steps, rng: &rng)
    ex.run = ex.model.forward(ex.p, from: ex.initial)
    ex.gradients = ex.model.backward(ex.run, ex.p)
    return ex
  }

  @Test func everyCellAgreesWithTheOracles() {
    func check(_ cell: some RecurrentCell) {
      let ex = Self.example(cell, keep: 0.6)
      let g = ex.gradients
      for check in verify(ex.model, at: ex.point, analytic: g.flat, magnitudes: g.magnitudes) {
        #expect(check.passed, "\(type(of: cell)): \(check.summary)")
      }
    }
    check(RNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetAfter))
  }

  /// The checks see the masks: the gradient of the same model without dropout fails them.
  @Test func forgettingTheMasksFails() {
    let ex = Self.example(RNNCell(), keep: 0.6)
    var plain = ex.model
    plain.dropout = nil
    let wrong = plain.backward(plain.forward(ex.p, from: ex.initial), ex.p).flat
    let failing = verify(ex.model, at: ex.point, analytic: wrong).filter { !$0.passed }
    #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"])
  }

  /// Keeping every unit (masks of 1/1) is no dropout, bit for bit.
  @Test func keepingEverythingIsNoDropout() {
    let ex = Self.example(RNNCell(), keep: 1)
    var plain = ex.model
    plain.dropout = nil
    #expect(plain.backward(plain.forward(ex.p, from: ex.initial), ex.p).flat == ex.gradients.flat)
  }

  /// One step by hand: `∂E/∂V = (ŷ − y) ⊗ (h ⊙ m′)`, from the forward values alone.
  @Test func theOutputMaskEntersDV() {
    var ex = Self.example(RNNCell(), keep: 0.5)
    ex.model.xs = [ex.model.xs[0]]
    ex.model.targets = [ex.model.targets[0]]
    let run = ex.model.forward(ex.p, from: ex.initial)
    var y = [Double](repeating: 0, count: 3)
    y[ex.model.targets[0]] = 1
    let mask = ex.model.dropout?.outputMasks[0] ?? []
    let expected = Matrix.outer(run.yHats[0] .- y, run.states[0].h .* mask).storage
    let dV = ex.model.backward(run, ex.p).parameters["V"]
    for (a, b) in zip(dV, expected) { #expect(abs(a - b) <= 1e-15) }
    #expect(mask.contains(0) && mask.contains(2))  // this seed drops a unit and keeps one
  }
}
