@testable import RNNDerivations
import Foundation
import Testing

/// Masks in the one walk: `length` (dynamic_rnn's sequence_length) and `carriesLoss` (which
/// steps are scored), for every cell, checked by the oracles and against models built by hand.
@Suite struct SequenceTypesTests {
  static let config = Config(seed: 9, dims: Dims(D: 3, H: 4, K: 3), steps: 5)

  /// A padded sequence's gradients are, bit for bit, those of the unpadded one: no padded step
  /// runs, so none sends anything back.
  @Test func paddedStepsGiveExactlyZero() {
    func check(_ cell: some RecurrentCell) {
      let ex = SequenceExample(
        cell, Self.config, stateNames: cell.hasCellState ? ["h", "c"] : ["h"])
      var padded = ex.model
      padded.length = 2
      var cut = ex.model
      (cut.xs, cut.targets) = (Array(cut.xs.prefix(2)), Array(cut.targets.prefix(2)))
      let a = padded.backward(padded.forward(ex.p, from: ex.initial), ex.p).flat
      let b = cut.backward(cut.forward(ex.p, from: ex.initial), ex.p).flat
      #expect(a == b, "\(type(of: cell))")
      #expect(padded.evaluate(Parameters(ex.point))[0] == cut.evaluate(Parameters(ex.point))[0])
    }
    check(RNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetAfter))
  }

  /// Every scoring pattern of source 004's four kinds, for every cell, against the oracles.
  @Test func everyKindAgreesWithTheOracles() {
    let T = Self.config.steps
    let patterns: [[Bool]] = [
      (0..<T).map { _ in true }, (0..<T).map { $0 >= 2 }, (0..<T).map { $0 == T - 1 },
    ]
    func check(_ cell: some RecurrentCell) {
      let ex = SequenceExample(
        cell, Self.config, stateNames: cell.hasCellState ? ["h", "c"] : ["h"])
      for scored in patterns {
        var model = ex.model
        model.carriesLoss = scored
        let g = model.backward(model.forward(ex.p, from: ex.initial), ex.p)
        for check in verify(model, at: ex.point, analytic: g.flat, magnitudes: g.magnitudes) {
          #expect(check.passed, "\(type(of: cell)) \(scored): \(check.summary)")
        }
      }
    }
    check(RNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetBefore))
  }

  /// Many to one by hand: only the last step is scored, so `∂E/∂V = (ŷ_{T−1} − y_{T−1}) ⊗ h_{T−1}`
  /// alone, read off the forward run.
  @Test func manyToOneScoresOnlyTheLastStep() {
    let ex = SequenceExample(rnn: Self.config)
    var model = ex.model
    let T = Self.config.steps
    model.carriesLoss = (0..<T).map { $0 == T - 1 }
    let run = model.forward(ex.p, from: ex.initial)
    var y = [Double](repeating: 0, count: 3)
    y[model.targets[T - 1]] = 1
    let expected = Matrix.outer(run.yHats[T - 1] .- y, run.states[T - 1].h).storage
    let dV = model.backward(run, ex.p).parameters["V"]
    for (a, b) in zip(dV, expected) { #expect(abs(a - b) <= 1e-15) }
    #expect(model.evaluate(Parameters(ex.point))[0] == -log(run.yHats[T - 1][model.targets[T - 1]]))
  }

  /// Saturated configs that `check --sweep 200` found failing must pass, saying why.
  ///
  /// They failed before the traces passed the run's conditioning and the sums' magnitudes to
  /// the error model: the exact oracles differed by 1e-9 of the largest entry where `1 − h²`
  /// cancels.
  @Test(arguments: [
    Config(seed: 7_593_930_394_342_328_515, dims: Dims(D: 51, H: 2, K: 2), steps: 1, scale: 5),
    Config(seed: 6_038_094_601_263_162_090, dims: Dims(D: 39, H: 6, K: 2), steps: 57, scale: 5),
  ])
  func saturatedKindsPassOnTheirConditioning(_ config: Config) {
    let checks = sequenceTypesTrace(config).flatMap(\.checks)
    for check in checks { #expect(check.passed, "\(check.summary)") }
    #expect(checks.contains { $0.conditioning > 1e3 })
  }

  /// The batch's gradient is the sum of its sequences', and the oracles agree on the batch.
  @Test func aBatchOfDifferentLengths() {
    let trace = sequenceMaskTrace(Config(seed: 2, dims: Dims(D: 2, H: 3, K: 2), steps: 4))
    let checks = trace.flatMap(\.checks)
    #expect(!checks.isEmpty)
    for check in checks { #expect(check.passed, "\(check.summary)") }
  }
}
