import Foundation
@testable import RNNDerivations
import Testing

/// The whole gradient of `f` at `xs` from one tape: the inputs are its first nodes.
private func tapeGradient(_ xs: [Double], _ f: ([Traced]) -> Traced) -> (
  value: Double, gradient: [Double]
) {
  let tape = Tape()
  let inputs = xs.map(tape.variable)
  let y = f(inputs)
  let adjoint = tape.gradient(of: y)
  return (y.value, inputs.map { adjoint[$0.index] })
}

/// `max_k |a_k − b_k| / max_k |b_k|`: the comparison of two gradients relative to the largest
/// entry, where an entry 10⁶ times smaller than the largest may differ by rounding alone.
private func errorRelativeToLargest(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "two gradients of the same variable")
  let scale = b.reduce(0) { max($0, abs($1)) }
  let worst = zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  return scale == 0 ? worst : worst / scale
}

/// A model of `grad`: one cell over the library's walk through time.
enum TapeModel: String, CaseIterable, Sendable {
  case rnn, rnnConcat, lstm, gruResetBefore, gruResetAfter

  /// For every variable of a random problem (parameters, then the initial state): the tape's
  /// gradient, the dual numbers' and the hand-derived one.
  func gradients(_ dims: Dims, steps: Int, seed: UInt64) -> [(
    name: String, tape: [Double], dual: [Double], hand: [Double]
  )] {
    switch self {
    case .rnn: compare(RNNCell(), dims, steps, seed)
    case .rnnConcat: compare(ConcatRNNCell(), dims, steps, seed)
    case .lstm: compare(LSTMCell(forgetBias: 0), dims, steps, seed)
    case .gruResetBefore: compare(GRUCell(variant: .resetBefore), dims, steps, seed)
    case .gruResetAfter: compare(GRUCell(variant: .resetAfter), dims, steps, seed)
    }
  }

  private func compare(_ cell: some RecurrentCell, _ dims: Dims, _ steps: Int, _ seed: UInt64)
    -> [(name: String, tape: [Double], dual: [Double], hand: [Double])]
  {
    let states = cell.hasCellState ? ["h_{−1}", "c_{−1}"] : ["h_{−1}"]
    let ex = SequenceExample(cell, dims, steps: steps, seed: seed, stateNames: states)
    let hand = ex.gradients.flat
    return ex.point.indices.map { p in
      (
        ex.point[p].name, TapeOracle.jacobian(ex.model, at: ex.point, wrt: p),
        DualOracle.jacobian(ex.model, at: ex.point, wrt: p), hand[p]
      )
    }
  }
}

@Suite struct TapeTests {
  /// A polynomial's gradient, by hand and exact.
  ///
  /// `f = x²y + 3xy − 2y³` at (1.5, −2): `∂f/∂x = 2xy + 3y = −12`,
  /// `∂f/∂y = x² + 3x − 6y² = −17.25`. Every product and sum here is exact in binary, so the
  /// tape must give these numbers exactly.
  @Test func polynomialByHand() {
    let (value, g) = tapeGradient([1.5, -2]) { v in
      let (x, y) = (v[0], v[1])
      return x * x * y + 3 * x * y - 2 * y * y * y
    }
    #expect(value == 2.5)
    #expect(g == [-12, -17.25])
  }

  /// A recording several chunks long, swept across their boundaries.
  ///
  /// `y = g(g(…g(x)…)) + x` with `g(x) = 0.9999 x + 10⁻⁵`, 70,000 times (two nodes each, and
  /// `Tape.chunkSize` nodes a chunk). By hand, `dy/dx = 1 + 0.9999⁷⁰⁰⁰⁰`, the product taken one
  /// factor at a time as the sweep takes it, so the two agree to the bit.
  @Test func aRecordingOfSeveralChunks() {
    let n = 70_000
    let (_, gradient) = tapeGradient([0.3]) { x in
      var y = x[0]
      for _ in 0..<n { y = y * 0.9999 + 0.00001 }
      return y + x[0]  // x reaches y twice: through the chain and directly
    }
    var chain = 1.0
    for _ in 0..<n { chain *= 0.9999 }
    #expect(2 * n > 2 * Tape.chunkSize, "the recording spans more than two chunks")
    #expect(gradient == [1 + chain])
  }

  /// A value used several times collects every path: `d(x·x·x)/dx = 3x² = 27` at 3, and
  /// `d(x/x − x)/dx = −1` at 0.75 (all exact in binary).
  @Test func fanOutAddsEveryPath() {
    #expect(tapeGradient([3]) { $0[0] * $0[0] * $0[0] }.gradient == [27])
    #expect(tapeGradient([0.75]) { $0[0] / $0[0] - $0[0] }.gradient == [-1])
  }

  /// `a/b` at (3, 4): `∂/∂a = 1/b = 0.25`, `∂/∂b = −a/b² = −0.1875` (by hand, exact).
  @Test func quotientRuleByHand() {
    let (value, g) = tapeGradient([3, 4]) { $0[0] / $0[1] }
    #expect(value == 0.75)
    #expect(g == [0.25, -0.1875])
  }

  /// Compositions of exp, log, tanh and σ against derivatives computed offline with mpmath
  /// 1.3.0 at 50 digits (`mp.dps = 50`, `mpmath.diff` of the same expression, at the binary
  /// value of each input, `mpf(0.7)`), rounded to 20 digits.
  ///
  /// A handful of operations, each within an ulp or two: 8 ulps (1.8e-15) of relative error.
  @Test func compositionsAgainstHighPrecision() {
    let ulps = 8 * Double.ulpOfOne
    // softplus: d log(1 + eˣ)/dx = σ(x) at 0.5.
    let softplus = tapeGradient([0.5]) { Traced.log(1 + Traced.exp($0[0])) }
    #expect(relativeError(softplus.gradient[0], 0.62245933120185456464) <= ulps)
    // d(x log x)/dx = log x + 1 at 2.
    let xLogX = tapeGradient([2]) { $0[0] * Traced.log($0[0]) }
    #expect(relativeError(xLogX.gradient[0], 1.6931471805599453094) <= ulps)
    // g(x) = tanh(σ(x)) eˣ / (1 + x²) at 0.7.
    let g = tapeGradient([0.7]) { v in
      let x = v[0]
      return Traced.tanh(Traced.sigmoid(x)) * Traced.exp(x) / (1 + x * x)
    }
    #expect(relativeError(g.value, 0.78899444433523001129) <= ulps)
    #expect(relativeError(g.gradient[0], 0.2451830550317041121) <= ulps, "\(g.gradient)")
    // h(a, b) = log(σ(a) b + tanh(a/b)) at (0.3, 1.7).
    let h = tapeGradient([0.3, 1.7]) { v in
      let (a, b) = (v[0], v[1])
      return Traced.log(Traced.sigmoid(a) * b + Traced.tanh(a / b))
    }
    #expect(relativeError(h.value, 0.14081662716809282646) <= ulps)
    #expect(relativeError(h.gradient[0], 0.85637405233100642841) <= ulps, "\(h.gradient)")
    #expect(relativeError(h.gradient[1], 0.41156835571265679006) <= ulps, "\(h.gradient)")
  }

  /// Constants are not recorded and carry no gradient; literals mix with traced values.
  @Test func constantsAreNotRecorded() {
    let tape = Tape()
    let x = tape.variable(2)
    let c = Traced(3) * Traced.exp(Traced(0)) + 4.5
    #expect(c.isConstant && c.value == 7.5 && tape.count == 1)
    let y = 5 * x + c  // 5·x, then + c: two nodes, both with x's node as their only parent
    #expect(tape.count == 3 && y.value == 17.5)
    let later = y * y  // recorded after y: it cannot change ∂y/∂x
    #expect(tape.gradient(of: y) == [5, 1, 1, 0], "x, 5·x, y itself, then y·y")
    #expect(tape.gradient(of: later)[x.index] == 2 * 17.5 * 5)
    #expect(tape.gradient(of: c) == [0, 0, 0, 0], "a constant output depends on nothing")
  }

  /// The tape, the dual numbers and the hand-derived passes give the same gradient of `E`
  /// for every model at the three sizes of `check`, three seeds each.
  ///
  /// Tape vs dual: both exact up to rounding, which they do in different orders (the tape
  /// sums adjoints backwards, the dual number carries tangents forwards). An entry is a sum
  /// of terms as large as the gradient's largest entry, so it is only resolved to a few ulps
  /// of that: the bound is 1e-13 relative to the largest entry of each gradient (per entry,
  /// the relative error of a small entry reaches ~6e-13). Tape vs hand-derived: 1e-12
  /// relative to the largest entry.
  @Test(arguments: TapeModel.allCases)
  func agreesWithDualAndHandDerived(model: TapeModel) {
    let sizes = [
      (Dims(D: 3, H: 5, K: 4), 3), (Dims(D: 2, H: 3, K: 2), 2), (Dims(D: 4, H: 6, K: 10), 4),
    ]
    var (worstDual, worstHand, worstEntry) = (0.0, 0.0, 0.0)
    for (dims, steps) in sizes {
      for seed: UInt64 in 0..<3 {
        for g in model.gradients(dims, steps: steps, seed: seed) {
          let at = "\(model) \(dims) seed \(seed) ∂E/∂\(g.name)"
          guard g.tape.count == g.hand.count, g.dual.count == g.hand.count else {
            Issue.record("\(at): \(g.tape.count), \(g.dual.count), \(g.hand.count) entries")
            continue
          }
          let vsDual = errorRelativeToLargest(g.tape, g.dual)
          let vsHand = errorRelativeToLargest(g.tape, g.hand)
          #expect(vsDual <= 1e-13, "\(at) vs dual")
          #expect(vsHand <= 1e-12, "\(at) vs hand-derived")
          worstDual = max(worstDual, vsDual)
          worstHand = max(worstHand, vsHand)
          worstEntry = max(worstEntry, zip(g.tape, g.dual).map(relativeError).max() ?? 0)
        }
      }
    }
    TestOutput.write(
      "tape \(model): max error relative to the largest entry vs dual \(sci(worstDual)), "
        + "vs hand-derived \(sci(worstHand)); worst entry vs dual \(sci(worstEntry)) relative")
  }

  /// A hand-derived gradient with one mistake (the LSTM's backward step handed no `dcNext`)
  /// is far from the tape's, where the right one agrees: the comparison above can fail.
  @Test func aWrongGradientDiffersFromTheTape() throws {
    let cell = LSTMCell(forgetBias: 0)
    let ex = SequenceExample(
      cell, Dims(D: 3, H: 5, K: 4), steps: 3, seed: 1, stateNames: ["h_{−1}", "c_{−1}"])
    let withoutCarry = MistakenCell(base: cell) { dState, cache, p in
      cell.backward(CellState(h: dState.h, c: dState.c.map(zeroed)), cache, reading: p)
    }
    let wrong = ex.gradients(with: withoutCarry)
    let tape = ex.point.indices.map { TapeOracle.jacobian(ex.model, at: ex.point, wrt: $0) }
    let names = ex.point.map(\.name)
    let right = zip(tape, ex.gradients.flat).map(errorRelativeToLargest)
    let mistaken = zip(tape, wrong).map(errorRelativeToLargest)
    #expect(right.allSatisfy { $0 <= 1e-12 }, "\(zip(names, right).map { "\($0) \($1)" })")
    // The output layer never sees dcNext; the initial cell state always does.
    #expect(mistaken[try #require(names.firstIndex(of: "V"))] <= 1e-12)
    let c = try #require(names.firstIndex(of: "c_{−1}"))
    #expect(mistaken[c] > 1e-3, "∂E/∂c_{−1} without dcNext: \(mistaken)")
    // One wrong sign in one entry is caught too.
    var flipped = ex.gradients.flat[0]
    flipped[1] = -flipped[1]
    #expect(flipped[1] != 0 && errorRelativeToLargest(tape[0], flipped) > 1e-6)
  }

  /// A vector output (softmax of the logits) takes one sweep per output: the rows match the
  /// dual numbers and the hand-derived Jacobian `ŷ_i(δ_ij − ŷ_j)`; `directional` is `J v`.
  @Test func jacobianOfAVectorOutputAndDirectional() {
    var rng = SplitMix64(seed: 5)
    let z = rng.vector(6, scale: 2)
    let point = [Variable("z", z)]
    let f = SoftmaxFunction()
    let tape = TapeOracle.jacobian(f, at: point, wrt: 0)
    #expect(tape.count == 36)
    expectClose(tape, DualOracle.jacobian(f, at: point, wrt: 0), tolerance: 1e-14, "vs dual")
    expectClose(tape, softmaxJacobian(softmaxForward(z)).storage, tolerance: 1e-13, "vs hand")
    let v = rng.vector(6)
    expectClose(
      TapeOracle.directional(f, at: point, wrt: 0, direction: v),
      DualOracle.directional(f, at: point, wrt: 0, direction: v), tolerance: 1e-13, "J v")
  }
}
