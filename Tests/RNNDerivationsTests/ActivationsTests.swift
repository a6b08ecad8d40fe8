import RNNDerivations
import Testing

@Suite struct ActivationsTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("activations") }

  /// Values from Python's math.tanh / math.exp: tanh(0.5), 1 − tanh²(0.5), σ(1); σ'(0) = ¼.
  @Test func knownAnswers() {
    expectClose(tanhForward([0.5]), [0.46211715726000974], tolerance: 1e-15)
    expectClose(tanhBackward([1], h: tanhForward([0.5])), [0.7864477329659274], tolerance: 1e-15)
    expectClose(sigmoidForward([1.0]), [0.7310585786300049], tolerance: 1e-15)
    expectClose(sigmoidBackward([1], s: sigmoidForward([0.0])), [0.25])
  }

  /// The stable sigmoid neither overflows nor loses the tiny tail.
  @Test func sigmoidIsStableOnBothTails() {
    #expect(Double.sigmoid(-800) >= 0 && Double.sigmoid(-800).isFinite)
    #expect(Double.sigmoid(800) == 1)
    expectClose([Double.sigmoid(-30)], [9.357622968839299e-14], tolerance: 1e-12)
  }
}
