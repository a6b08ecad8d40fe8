@testable import RNNDerivations
import Testing

/// Transposed: a step Jacobian read off the backward pass as columns instead of rows.
private func transposed(_ m: Matrix<Double>) -> Matrix<Double> {
  Matrix(
    rows: m.cols, cols: m.rows,
    storage: (0..<m.cols).flatMap { j in (0..<m.rows).map { i in m[i, j] } })
}

@Suite struct VanishingGradientsTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("vanishing-gradients") }

  /// Golden values by hand: a diagonal matrix's largest |entry|; a rotation scaled by 2 has both
  /// singular values 2; the shear [[1, 1], [0, 1]] has σ_max = (1 + √5)/2, the golden ratio
  /// (its MᵀM = [[1, 1], [1, 2]] has eigenvalues (3 ± √5)/2, and √((3 + √5)/2) = (1 + √5)/2).
  @Test func spectralNormByPowerIteration() {
    let diagonal = Matrix(rows: 3, cols: 3, storage: [3, 0, 0, 0, -5, 0, 0, 0, 1.0])
    #expect(abs(spectralNorm(diagonal) - 5) <= 1e-14)
    let rotation = Matrix(rows: 2, cols: 2, storage: [0, -2, 2, 0.0])
    #expect(abs(spectralNorm(rotation) - 2) <= 1e-14)
    let shear = Matrix(rows: 2, cols: 2, storage: [1, 1, 0, 1.0])
    #expect(abs(spectralNorm(shear) - 1.618033988749895) <= 1e-14)
    #expect(spectralNorm(Matrix<Double>.zeros(2, 3)) == 0)
  }

  /// For the vanilla RNN, the Jacobian read off `backward` on unit vectors is diag(1 − h_t²) W,
  /// formed here entry by entry from the states of the run.
  @Test(arguments: 0..<4 as Range<UInt64>)
  func rnnStepJacobianIsDiagTimesW(seed: UInt64) {
    let ex = VanishingExample(RNNCell(), Config(seed: seed, dims: Dims(D: 2, H: 4, K: 3), steps: 3))
    let W = ex.p.matrix("W")
    for t in 0..<3 {
      let h = ex.run.states[t].h
      let expected = (0..<4).flatMap { i in (0..<4).map { j in (1 - h[i] * h[i]) * W[i, j] } }
      expectClose(ex.jacobians.steps[t].storage, expected, "seed \(seed) J_\(t + 1)")
    }
  }

  /// Step Jacobians (lag 1) and whole products against the oracles, for each cell, in the
  /// vanishing, borderline and exploding regimes.
  @Test(arguments: VanishingModel.allCases, [0.5, 1, 3])
  func productsAgainstOracles(model: VanishingModel, scale: Double) {
    let config = Config(seed: 2, dims: Dims(D: 3, H: 4, K: 2), steps: 12, scale: scale)
    let report = VanishingReport(model, config)
    // h_0 (and c_0) at lag 1 and lag 12, each against three oracles.
    #expect(report.checks.count == 2 * 3 * (model == .lstm ? 2 : 1))
    for check in report.checks { #expect(check.passed, "\(check.summary)") }
  }

  /// A product transposed — rows read as columns — is caught by every oracle.
  @Test(arguments: VanishingModel.allCases)
  func transposedProductIsCaught(model: VanishingModel) {
    let config = Config(seed: 1, dims: Dims(D: 3, H: 4, K: 2), steps: 5)
    func caught(_ cell: some RecurrentCell) -> [GradientCheck] {
      var ex = VanishingExample(cell, config)
      ex.jacobians.products[4] = transposed(ex.jacobians.products[4])
      return ex.check(lag: 5, seed: 1)
    }
    let checks: [GradientCheck] =
      switch model {
      case .rnn: caught(RNNCell())
      case .lstm: caught(lstmCell)
      case .gru: caught(gruCell)
      }
    #expect(!checks.isEmpty && checks.allSatisfy { !$0.passed })
  }

  /// ‖∂h_t/∂h_0‖₂ ≤ (‖W‖₂)^t for the vanilla RNN, in every run.
  ///
  /// Both norms come from power
  /// iteration, which approaches σ_max from below; ‖W‖₂'s iteration stops within 4 ulps, so
  /// the bound is allowed a relative 1e-12 per factor for the rounding of its estimate.
  @Test(arguments: [0.3, 0.9, 1, 2, 5])
  func boundHoldsForRNN(scale: Double) {
    for seed in 0..<UInt64(6) {
      for H in [1, 3, 8] {
        let config = Config(seed: seed, dims: Dims(D: 2, H: H, K: 2), steps: 40, scale: scale)
        let r = VanishingReport(.rnn, config)
        let bound = r.bound ?? []
        #expect(bound.count == 40)
        for (t, (norm, b)) in zip(r.normH, bound).enumerated() {
          #expect(
            norm <= b * (1 + 1e-12 * Double(t + 1)),
            "seed \(seed) H=\(H) scale \(scale) lag \(t + 1): \(norm) > \(b)")
        }
      }
    }
  }

  /// ‖W‖₂ = 0.5: every factor at most halves, so after 20 steps at most 0.5²⁰ ≈ 9.5e-7 is left.
  @Test(arguments: 0..<5 as Range<UInt64>)
  func vanishingRegimeDecays(seed: UInt64) {
    let r = VanishingReport(
      .rnn, Config(seed: seed, dims: Dims(D: 3, H: 8, K: 2), steps: 20, scale: 0.5))
    #expect(abs((r.recurrent.first?.norm ?? 0) - 0.5) <= 1e-12)
    #expect((r.normH.last ?? 1) <= 9.6e-7)
    for t in 1..<20 { #expect(r.normH[t] < r.normH[t - 1], "seed \(seed) lag \(t + 1)") }
  }

  /// ‖W‖₂ = 3 with inputs and h_0 within ±0.1: the norm grows past 5 within 10 steps (measured:
  /// 7.7 to 53 over seeds 0…9), until the units saturate (max|h_t| above 0.9).
  @Test(arguments: 0..<5 as Range<UInt64>)
  func explodingRegimeGrowsUntilSaturation(seed: UInt64) {
    let r = VanishingReport(
      .rnn, Config(seed: seed, dims: Dims(D: 3, H: 8, K: 2), steps: 30, scale: 3))
    #expect((r.normH.prefix(10).max() ?? 0) > 5, "\(r.normH)")
    #expect((r.largestState.max() ?? 0) > 0.9)
    // Saturation bounds the growth far below the bound 3^t.
    #expect((r.ratio?.last ?? 1) < 1e-6)
  }

  /// The LSTM's cell path: at ‖W_*‖₂ = 1 and forget bias 1, ∂c_t/∂c_0 keeps more than ∂h_t/∂h_0
  /// after 20 steps (measured: 3.6 to 21 times more over seeds 0…9).
  @Test(arguments: 0..<5 as Range<UInt64>)
  func lstmCellPathRemembers(seed: UInt64) throws {
    let r = VanishingReport(.lstm, Config(seed: seed, steps: 20))
    let normC = try #require(r.normC)
    #expect(normC[19] > r.normH[19])
    #expect(r.bound == nil)
  }
}

@Suite struct PlotTests {
  /// Values 1e-3 … 0.5 span the decades 1e-3 … 1; one block per value, ▁ at 1e-3, █ at 1, and
  /// 10^-1.5 halfway (level 3.5 rounds to 4, ▅); zero has no logarithm: a space.
  @Test func sparklineOnALogScale() {
    let range = decades([[1e-3, 0.5]])
    #expect(range.lo == -3 && range.hi == 0)
    #expect(sparkline([1e-3, 1e-2, 0.031622776601683794, 1, 0], decades: range) == "▁▃▅█ ")
  }

  /// The plot's y axis: the decades of the data, a grid line and a label each, at
  /// y = 380 − (e − lo)/(hi − lo) × 330 (the plot area runs from y = 50 to 380).
  @Test func plotLabelsDecadesAndSeries() {
    let plot = LinePlot(
      title: "a < b", xLabel: "lag", yLabel: "norm", x: [1, 2, 3],
      series: [.init("measured", [1, 0.1, 0.01]), .init("bound", [1, 1, 1], dashed: true)])
    let svg = plot.svg()
    #expect(svg.hasPrefix("<?xml"))
    #expect(svg.contains("a &lt; b"))
    for (label, y) in [("1e-2", "384.00"), ("1e-1", "219.00"), ("1", "54.00")] {
      #expect(svg.contains("y=\"\(y)\" text-anchor=\"end\">\(label)</text>"), "\(label)")
    }
    // The measured line: x from 80 to 700, y from 50 (1) to 380 (1e-2).
    #expect(svg.contains("points=\"80.00,50.00 390.00,215.00 700.00,380.00\""))
    #expect(svg.contains("stroke-dasharray"))
    #expect(svg == plot.svg(), "the same input gives the same bytes")
  }
}
