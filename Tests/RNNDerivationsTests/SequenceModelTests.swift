@testable import RNNDerivations
import Testing

/// A cell written in this file alone: a diagonal recurrence `w` (`H`).
///
/// `h_t = tanh(w ⊙ h_{t−1} + U x_t)`. Nothing in the library knows it, yet the walk runs it forward and
/// back through time and the oracles check it: adding a cell is one file.
private struct DiagonalCell: RecurrentCell {
  var parameters: [ParameterSpec] {
    [ParameterSpec("w", .H, scale: 0.9), ParameterSpec("U", .H, .D, scale: 0.6)]
  }
  func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    CellState(h: tanhForward(p["w"] .* state.h .+ p.matrix("U") * x))
  }
  /// `forward` and `backward` read `w` and `U` by name.
  func weights(_ p: Parameters<Double>) -> Parameters<Double> { p }
  func forward(_ x: [Double], _ state: CellState<Double>, _ p: Parameters<Double>)
    -> (state: CellState<Double>, cache: RNNStepCache<Double>)
  {
    let h = step(x, state, p).h
    return (CellState(h: h), RNNStepCache(x: x, hPrev: state.h, h: h))
  }
  func backward(_ dState: CellState<Double>, _ k: RNNStepCache<Double>, _ p: Parameters<Double>)
    -> CellGradients
  {
    let da = tanhBackward(dState.h, h: k.h)  // through tanh: 1 − h²
    return CellGradients(
      parameters: [
        ("w", .vector(da .* k.hPrev)),  // ∂a_i/∂w_i = h_{t−1,i}
        ("U", .outer(da, k.x)),  // da ⊗ x_t
      ],
      dStatePrev: CellState(h: da .* p["w"]),  // ∂a_i/∂h_{t−1,i} = w_i
      dx: p.matrix("U").transposeTimes(da))  // Uᵀ da
  }
  func conditioning(_ k: RNNStepCache<Double>) -> Double { tanhConditioning(k.h) }
}

@Suite struct SequenceModelTests {
  /// Every cell of the library (both GRU variants) and a stack of two.
  static let everyCell: [any RecurrentCell] = [
    RNNCell(), ConcatRNNCell(), LSTMCell(forgetBias: 1), GRUCell(variant: .resetBefore),
    GRUCell(variant: .resetAfter),
    StackedCell([LSTMCell(forgetBias: 0), GRUCell(variant: .resetAfter)]),
  ]

  /// The parameter order of every `grad` model, as the README's table states it (written out
  /// here by hand): each list comes from its cell's spec and the output layer's.
  @Test func parameterOrderIsTheContract() {
    let expected: [ModelKind: [String]] = [
      .rnn: ["U", "W", "b", "V", "b_y"],
      .rnnConcat: ["W", "b_s", "U", "b_p"],
      .lstm: [
        "W_i", "U_i", "b_i", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o", "W_c", "U_c", "b_c", "V",
        "b_y",
      ],
      .gru: ["W_r", "U_r", "b_r", "W_z", "U_z", "b_z", "W_h", "U_h", "b_h", "V", "b_y"],
    ]
    for kind in ModelKind.allCases {
      #expect(kind.parameters.map(\.name) == expected[kind], "\(kind)")
    }
    #expect(ModelKind.lstm.stateNames == ["h", "c"])
    #expect(ModelKind.gru.stateNames == ["h"])
    let lstm = Dictionary(
      uniqueKeysWithValues: ModelKind.lstm.parameters.map { ($0.name, $0.letters) })
    #expect(lstm["W_f"] == "H×H" && lstm["U_f"] == "H×D" && lstm["b_f"] == "H")
    #expect(lstm["V"] == "K×H" && lstm["b_y"] == "K")
    #expect(ModelKind.rnnConcat.parameters.first?.letters == "H×D+H")
  }

  /// An oracle's pass keeps only the loss and the final state, and they are those of a walk
  /// that keeps every step, bit for bit: for every cell and a stack, plain, with dropout,
  /// padded past its length, and with steps that carry no loss.
  @Test func aWalkKeepingNoStepsHasTheSameLossAndFinalState() {
    func check<C: RecurrentCell>(_ cell: C) {
      let ex = SequenceExample(
        cell, Dims(D: 3, H: 4, K: 3), steps: 6, seed: 3, stateNames: cell.stateNames)
      var rng = SplitMix64(seed: 8)
      var variants = [ex.model, ex.model, ex.model, ex.model]
      variants[1].dropout = Dropout(keep: 0.7, dims: ex.model.dims, steps: 6, rng: &rng)
      variants[2].length = 4
      variants[3].carriesLoss = [false, true, false, true, true, false]
      for (v, model) in variants.enumerated() {
        // The oracles' pass, every step written over the arrays of the step before, against
        // the hand-derived backward pass's forward, which keeps every step's arrays.
        let step = model.cell.stepping(ex.p)
        let bare = model.walkForward(from: ex.initial, ex.p) { step($0, &$1) }
        let kept = model.forward(ex.p, from: ex.initial)
        let label = "\(C.self), variant \(v)"
        #expect(bare.loss == kept.loss, "\(label)")
        #expect(bare.finalState.parts == kept.finalState.parts, "\(label)")
        #expect(kept.finalState.parts == kept.states.last?.parts, "\(label)")
        #expect(kept.states.count == (v == 2 ? 4 : 6) && kept.yHats.count == kept.states.count)
        #expect(bare.states.isEmpty && bare.yHats.isEmpty && bare.caches.isEmpty, "\(label)")
      }
    }
    for cell in Self.everyCell { check(cell) }
  }

  /// A step's shares handed straight to a sink (what the walk calls) are what it lists.
  ///
  /// Bit for bit: the same names in the same order, the same factors, and the same
  /// `∂E/∂h_{t−1}` (and `∂E/∂c_{t−1}`). Each cell of one layer hands them on itself; a stack
  /// and a cell written in this file go through the list.
  @Test func aStepHandsItsSinkTheSharesItLists() {
    func check<C: RecurrentCell>(_ cell: C) {
      let ex = SequenceExample(
        cell, Dims(D: 3, H: 4, K: 3), steps: 5, seed: 6, stateNames: cell.stateNames)
      let w = cell.weights(ex.p)
      #expect(ex.gradients.upstream.count == ex.run.caches.count, "\(C.self)")
      for (t, dState) in ex.gradients.upstream.enumerated() {
        let listed = cell.backward(dState, ex.run.caches[t], w)
        var sink = ShareList<Double>(capacity: 0)
        let dStatePrev = cell.backward(dState, ex.run.caches[t], w, joining: &sink)
        let label = "\(C.self), step \(t)"
        #expect(sink.list.map(\.name) == listed.parameters.map(\.name), "\(label)")
        #expect(!sink.list.isEmpty, "\(label)")
        for (handed, kept) in zip(sink.list, listed.parameters) {
          switch (handed.gradient, kept.gradient) {
          case (.outer(let a, let b), .outer(let c, let d)):
            #expect(a == c && b == d, "\(label), \(handed.name)")
          case (.vector(let u), .vector(let v)): #expect(u == v, "\(label), \(handed.name)")
          default: Issue.record("\(label), \(handed.name): one an outer product, one not")
          }
        }
        #expect(dStatePrev.parts == listed.dStatePrev.parts, "\(label)")
      }
    }
    for cell in Self.everyCell { check(cell) }
    check(DiagonalCell())
  }

  /// A cell defined outside the library passes every oracle through the walk, at T = 4.
  @Test(arguments: 0..<4 as Range<UInt64>)
  func aCellDefinedInOneFilePassesTheOracles(seed: UInt64) {
    let ex = SequenceExample(
      DiagonalCell(), Dims(D: 3, H: 5, K: 4), steps: 4, seed: seed, stateNames: ["h_{−1}"])
    #expect(ex.point.map(\.name) == ["w", "U", "V", "b_y", "h_{−1}"])
    let checks = verify(ex.model, at: ex.point, analytic: ex.gradients.flat)
    #expect(checks.count == ex.point.count * Oracle.allCases.count)
    for check in checks { #expect(check.passed, "\(check.summary)") }
  }

  /// Source 002's cell over a sequence has the vanilla gradients side by side:
  /// `∂E/∂W = [∂E/∂U | ∂E/∂W_rec]` for `W = [U | W_rec]`, at every step and so summed over
  /// time (the two walks round differently, so the comparison is to 1e-12 of the largest
  /// entry).
  @Test(arguments: 0..<4 as Range<UInt64>)
  func concatenatedCellIsTheVanillaCellSideBySide(seed: UInt64) {
    let dims = Dims(D: 3, H: 5, K: 4)
    let concat = SequenceExample(
      ConcatRNNCell(), dims, steps: 5, seed: seed, stateNames: ["h"])
    let W = concat.p.matrix("W")
    let vanillaParameters = [
      Variable("U", W.columns(0..<dims.D)), Variable("W", W.columns(dims.D..<dims.D + dims.H)),
      Variable("b", concat.p["b_s"]), Variable("V", concat.p.matrix("U")),
      Variable("b_y", concat.p["b_p"]), Variable("h", concat.initial.h),
    ]
    let vanilla = SequenceModel(
      RNNCell(), xs: concat.model.xs, targets: concat.model.targets, dims: dims)
    let result = vanilla.gradients(at: vanillaParameters)
    let named = Parameters(
      zip(vanillaParameters, result.gradients).map { Variable($0.name, shape: $0.shape, $1) })
    let joined = Matrix.sideBySide(named.matrix("U"), named.matrix("W")).storage
    let g = concat.gradients
    let pairs: [(String, [Double], [Double])] = [
      ("W", g.parameters["W"], joined), ("b_s", g.parameters["b_s"], named["b"]),
      ("U", g.parameters["U"], named["V"]), ("b_p", g.parameters["b_p"], named["b_y"]),
      ("h", g.initialState.h, named["h"]),
    ]
    #expect(abs(concat.run.loss - result.loss) <= 1e-12 * abs(result.loss))
    for (name, a, b) in pairs {
      let scale = b.map(abs).max() ?? 0
      let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
      #expect(worst <= 1e-12 * scale, "∂E/∂\(name): \(worst) of \(scale)")
    }
  }
}
