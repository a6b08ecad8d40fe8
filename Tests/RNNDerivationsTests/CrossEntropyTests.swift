import RNNDerivations
import Testing

@Suite struct CrossEntropyTests {
  @Test func everySizeAndSeedPasses() throws {
    try expectPassesEverywhere("cross-entropy")
    try expectPassesEverywhere("softmax-cross-entropy")
  }

  /// Hand calculation: E = −log ½ = ln 2; ∂E/∂ŷ = (0, 0, −1/½).
  @Test func knownAnswerOneHot() {
    let yHat = [0.25, 0.25, 0.5]
    let y = oneHot(2, 3)
    expectClose([crossEntropyForward(yHat, target: y)], [0.6931471805599453], tolerance: 1e-15)
    expectClose(crossEntropyBackward(yHat, target: y), [0, 0, -2])
  }

  /// ŷ − y, and chaining −y/ŷ through the softmax Jacobian gives the same vector.
  @Test func fusedEqualsChained() {
    let z = [0.2, -0.7, 1.1, 0.0]
    let yHat = softmaxForward(z)
    for y in [oneHot(1, 4), [0.1, 0.2, 0.3, 0.4]] {
      let direct = softmaxCrossEntropyBackward(yHat, target: y)
      let chained = softmaxBackward(crossEntropyBackward(yHat, target: y), y: yHat)
      expectClose(direct, chained, tolerance: 1e-14)
    }
  }

  /// Hand calculation: z = (0, 0), target class 0 → ŷ = (½, ½), ∂E/∂z = (−½, ½).
  @Test func fusedKnownAnswer() {
    expectClose(
      softmaxCrossEntropyBackward(softmaxForward([0.0, 0.0]), target: oneHot(0, 2)), [-0.5, 0.5])
  }

  /// A class index is the one-hot vector at it, to the bit.
  ///
  /// The loss from the logits (on `Double`, on `Dual` with its derivative, on every lane of
  /// `Lanes`) and `ŷ − y`, for every class of random logits at K = 1…12 and scales 1, 30 and
  /// 2000 (where some `ŷ_k` underflow to 0).
  @Test func classIndexIsItsOneHot() {
    var rng = SplitMix64(seed: 15)
    for K in 1...12 {
      for scale in [1.0, 30, 2000] {
        let z = rng.vector(K, scale: scale)
        let (e, sum, m) = shiftedExponentials(z)
        let yHat = softmax(e, sum: sum)
        for k in 0..<K {
          let y = oneHot(k, K)
          let byIndex = softmaxCrossEntropy(z, m: m, sum: sum, target: k)
          #expect(byIndex.bitPattern == softmaxCrossEntropyForward(z, target: y).bitPattern)
          let dual = z.indices.map { Dual(z[$0], derivative: $0 == k ? 1 : 0.5) }
          let (_, dualSum, dualM) = shiftedExponentials(dual)
          let dualByIndex = softmaxCrossEntropy(dual, m: dualM, sum: dualSum, target: k)
          let dualByVector = softmaxCrossEntropyForward(dual, target: lift(y))
          #expect(dualByIndex.value.bitPattern == dualByVector.value.bitPattern)
          #expect(dualByIndex.derivative.bitPattern == dualByVector.derivative.bitPattern)
          let lanes = z.map { Lanes($0) }
          let (_, lanesSum, lanesM) = shiftedExponentials(lanes)
          let lanesByIndex = softmaxCrossEntropy(lanes, m: lanesM, sum: lanesSum, target: k)
          #expect(
            (0..<Lanes.count).allSatisfy { lanesByIndex[$0].bitPattern == byIndex.bitPattern })
          let dz = softmaxCrossEntropyBackward(yHat, target: k)
          #expect(
            dz.map(\.bitPattern) == softmaxCrossEntropyBackward(yHat, target: y).map(\.bitPattern))
        }
      }
    }
  }
}

@Suite struct StableLossTests {
  /// A logit gap of 800: softmax underflows to 0 for the target, but the loss is the gap
  /// itself, −log softmax(0, −800)₁ = 800 + log(1 + e^{−800}) = 800 (by hand).
  @Test func lossFromLogitsStaysFinite() {
    #expect(softmaxForward([0.0, -800.0])[1] == 0)
    expectClose([softmaxCrossEntropyForward([0.0, -800.0], target: oneHot(1, 2))], [800])
  }

  /// Hand calculation: z = (0, 0, log 2): Σ e^z = 4, E for class 2 = log 4 − log 2 = log 2.
  @Test func knownAnswerFromLogits() {
    let E = softmaxCrossEntropyForward([0, 0, 0.6931471805599453], target: oneHot(2, 3))
    expectClose([E], [0.6931471805599453], tolerance: 1e-15)
  }
}
