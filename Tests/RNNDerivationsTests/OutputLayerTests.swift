import RNNDerivations
import Testing

@Suite struct OutputLayerTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("output-layer") }

  /// ∂E_t/∂V = (ŷ − y) ⊗ s at K = 2, H = 2.
  ///
  /// V = [[0.5, −1], [1, 0.5]], b_y = 0, s = (1, 2), target class 0.
  /// By hand z = V s = (−1.5, 2); ŷ = softmax(z) = (0.029312230751356316, 0.9706877692486436)
  /// (numpy: exp(z)/exp(z).sum()). ŷ − y = (−0.97068…, 0.97068…), and
  /// ∂E_t/∂V = (ŷ − y) ⊗ s = [[−0.9706877692486436, −1.9413755384972873],
  /// [0.9706877692486436, 1.9413755384972873]] (numpy: np.outer(ŷ − y, s));
  /// ∂E_t/∂s = Vᵀ(ŷ − y) = (−0.5·0.97068… + 0.97068…, 0.97068… + 0.5·0.97068…) by hand.
  @Test func knownAnswerOuterProduct() {
    let V = Matrix(rows: 2, cols: 2, storage: [0.5, -1.0, 1.0, 0.5])
    let s = [1.0, 2.0]
    let yHat = outputLayerForward(s: s, V: V, b_y: [0.0, 0.0])
    expectClose(yHat, [0.029312230751356316, 0.9706877692486436], tolerance: 1e-15, "ŷ")
    let g = outputLayerBackward(yHat: yHat, target: 0, s: s, V: V)
    let d = 0.9706877692486436
    expectClose(g.db_y, [-d, d], tolerance: 1e-15, "∂E_t/∂b_y")
    expectClose(
      g.dV.storage,
      [-0.9706877692486436, -1.9413755384972873, 0.9706877692486436, 1.9413755384972873],
      tolerance: 1e-15, "∂E_t/∂V")
    expectClose(g.ds, [0.5 * d, 1.5 * d], tolerance: 1e-15, "∂E_t/∂s_t")
  }

  /// The loss an oracle's pass works out alone is `outputStepForward`'s to the bit.
  ///
  /// On `Double` and on every lane of `Lanes`, for every target class. With the two classes
  /// of `knownAnswerOuterProduct`, z = (−1.5, 2) and `−log ŷ[0] = log(1 + e^{3.5})`:
  /// 3.5297504182726205 (python3: `math.log1p(math.exp(3.5))`).
  @Test func theLossAloneIsTheStepsLoss() {
    let V = Matrix(rows: 3, cols: 2, storage: [0.5, -1.0, 1.0, 0.5, -2, 0.25])
    let (s, b_y) = ([1.0, 2.0], [0.1, -0.2, 0.3])
    for k in 0..<3 {
      let loss = outputStepLoss(s: s, V: V, b_y: b_y, target: k)
      #expect(loss.bitPattern == outputStepForward(s: s, V: V, b_y: b_y, target: k).loss.bitPattern)
      let lanes = outputStepLoss(
        s: s.map { Lanes($0) }, V: Matrix<Lanes>(V), b_y: b_y.map { Lanes($0) }, target: k)
      #expect((0..<Lanes.count).allSatisfy { lanes[$0].bitPattern == loss.bitPattern })
    }
    // One set of exponentials for ŷ_t and E_t: each the number its own function makes alone.
    let z = V * s .+ b_y
    for k in 0..<3 {
      let step = outputStepForward(s: s, V: V, b_y: b_y, target: k)
      #expect(step.yHat.map(\.bitPattern) == softmaxForward(z).map(\.bitPattern))
      let alone = softmaxCrossEntropyForward(z, target: oneHot(k, 3))
      #expect(step.loss.bitPattern == alone.bitPattern)
    }
    let twoClasses = outputStepLoss(
      s: s, V: Matrix(rows: 2, cols: 2, storage: [0.5, -1.0, 1.0, 0.5]), b_y: [0, 0], target: 0)
    expectClose([twoClasses], [3.5297504182726205], tolerance: 1e-15, "−log ŷ[0]")
  }
}
