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
}
