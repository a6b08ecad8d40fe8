@testable import RNNDerivations
import Testing

/// The check `grad --check` falls back to on models too large for per-variable checks.
@Suite struct WholeGradientCheckTests {
  /// An lstm small enough for a debug build; the whole-gradient check itself does not care.
  static let example = SequenceExample(
    LSTMCell(forgetBias: 0), Config(seed: 3, dims: Dims(D: 3, H: 5, K: 4), steps: 4),
    stateNames: ["h", "c"])

  static func check(_ gradient: [[Double]]) -> WholeGradientCheck {
    let ex = example
    return WholeGradientCheck(
      ex.model, at: ex.point, gradient: gradient, conditioning: ex.conditioning,
      magnitudes: ex.gradients.magnitudes)
  }

  @Test func theHandDerivedGradientPassesEveryOracle() {
    let whole = Self.check(Self.example.gradients.flat)
    let references = Set(whole.checks.map(\.reference))
    #expect(references == ["dual", "tape", "finite-difference"])
    // Directions for dual and finite differences; every variable entry by entry for the tape.
    #expect(whole.checks.filter { $0.parameter == WholeGradientCheck.allVariables }.count == 2)
    #expect(whole.checks.filter { $0.reference == "tape" }.count == Self.example.point.count)
    for check in whole.checks { #expect(check.passed, "\(check.summary)") }
    #expect(whole.scope.hasSuffix("the tape on every entry"))
  }

  /// A classic mistake, built here by hand: `∂E/∂W_f` transposed (`h_{t−1} ⊗ da`).
  @Test func aTransposedGradientFailsEveryOracle() throws {
    let ex = Self.example
    var gradient = ex.gradients.flat
    let k = try #require(ex.point.firstIndex { $0.name == "W_f" })
    let H = ex.model.dims.H
    gradient[k] = (0..<H * H).map { gradient[k][($0 % H) * H + $0 / H] }
    let whole = Self.check(gradient)
    let failing = whole.checks.filter { !$0.passed }
    #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"])
    // The tape checks every variable apart, so it names the one that is wrong.
    #expect(failing.filter { $0.reference == "tape" }.map(\.parameter) == ["W_f"])
  }

  /// Past its node limit a tape stops recording and says so; the oracle then gives nothing.
  @Test func aTapeOverItsLimitGivesNoGradient() {
    let tape = Tape(limit: 2)
    let (a, b) = (tape.variable(2), tape.variable(3))
    #expect(!tape.overflowed)
    _ = a * b  // a third node
    #expect(tape.overflowed && tape.count == 2)
    let ex = Self.example
    #expect(TapeOracle.gradient(ex.model, at: ex.point, limit: 100) == nil)
    let full = TapeOracle.gradient(ex.model, at: ex.point, limit: .max)
    #expect(full?.count == ex.point.count)
  }

  /// A model's `leastTapeNodes` is never above the nodes a tape records for it.
  ///
  /// Every variable a leaf, for every cell, a stack, a sequence padded past its `length`,
  /// both truncations (with steps that carry no loss), and dropout. With the leaves, the
  /// bound is the products and sums of `M x`: at D = H = K = 24, at least nine tenths of the
  /// recording, so a step counted too many or a matrix left out fails.
  @Test func theLeastTapeNodesNeverExceedTheRecording() {
    func recorded(_ f: some ForwardFunction, at point: [Variable]) -> Int {
      let tape = Tape()
      var inputs = Parameters<Traced>(constants: Parameters(point))
      for p in point.indices { inputs.values[p] = point[p].values.map(tape.variable) }
      _ = f.evaluate(inputs)
      return tape.count
    }
    func expectBound(_ model: some ForwardFunction, at point: [Variable], _ name: String) {
      let (least, count) = (model.leastTapeNodes + point.entryCount, recorded(model, at: point))
      #expect(least <= count, "\(name): \(least) nodes bound, \(count) recorded")
      #expect(least * 10 >= count * 9, "\(name): \(least) nodes bound, \(count) recorded")
    }
    let config = Config(seed: 5, dims: Dims(D: 24, H: 24, K: 24), steps: 5)
    let cells: [(String, any RecurrentCell)] = [
      ("rnn", RNNCell()), ("rnn-concat", ConcatRNNCell()), ("lstm", LSTMCell(forgetBias: 1)),
      ("gru", GRUCell(variant: .resetBefore)),
      ("gru-ra", GRUCell(variant: .resetAfter, hasRecurrentBias: true)),
      ("stack", StackedCell([GRUCell(variant: .resetBefore), LSTMCell(forgetBias: 0)])),
    ]
    for (name, cell) in cells {
      func run(_ cell: some RecurrentCell) {
        var ex = SequenceExample(cell, config, stateNames: cell.stateNames)
        expectBound(ex.model, at: ex.point, name)
        ex.model.length = 2  // three padded steps: nothing runs
        expectBound(ex.model, at: ex.point, "\(name), length 2")
        ex.model.length = nil
        for truncation in [Truncation.chunks(2), .window(2)] {
          let objective = TruncatedObjective(ex.model, truncation, at: ex.point)
          expectBound(objective, at: ex.point, "\(name), \(truncation)")
        }
        ex.model.carriesLoss = [false, true, false, true, true]
        let scored = TruncatedObjective(ex.model, .window(3), at: ex.point)
        expectBound(scored, at: ex.point, "\(name), window 3, two steps unscored")
        var rng = SplitMix64(seed: 1)
        ex.model.dropout = Dropout(keep: 0.5, dims: config.dims, steps: config.steps, rng: &rng)
        expectBound(ex.model, at: ex.point, "\(name), dropout")
      }
      run(cell)
    }
    // Over the limit: no gradient, whether the bound says so or the recording finds out.
    let ex = Self.example
    let least = ex.model.leastTapeNodes + ex.point.entryCount
    #expect(TapeOracle.gradient(ex.model, at: ex.point, limit: least - 1) == nil)  // not recorded
    #expect(TapeOracle.gradient(ex.model, at: ex.point, limit: least) == nil)  // recorded, too long
  }

  /// The fixtures' sizes are checked variable by variable; the documented caps (lstm,
  /// D = H = K = 256, T = 1000) are past the budget and fall back to the whole gradient.
  @Test func largeModelsFallBackToTheWholeGradient() {
    func point(_ n: Int, steps: Int) -> [Variable] {
      GradInput.random(.lstm, dims: Dims(D: n, H: n, K: n), steps: steps, seed: 0).point
    }
    let budget = Tolerances.perVariableCheckMaxOperations
    #expect(GradResult.perVariableOperations(point(5, steps: 4), steps: 4) <= budget)
    #expect(GradResult.perVariableOperations(point(256, steps: 1000), steps: 1000) > budget)
  }
}
