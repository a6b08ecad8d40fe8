import Foundation
import Testing

@testable import RNNDerivations

/// The echo task of R2RT's "Recurrent Neural Networks in Tensorflow I", and training on it
/// with the hand-derived gradients.
@Suite struct EchoTests {
  /// R2RT's three figures, "about 0.66, 0.52, 0.45" nats (published), and the first by hand:
  /// P(Y = 1) = 0.5 + 0.5 · ½ − 0.25 · ½ = 0.625, whose entropy is 0.6616.
  @Test func baselinesAreR2RTs() {
    let b = EchoTask.baselines
    #expect((b.nothing * 100).rounded() == 66)
    #expect((b.first * 100).rounded() == 52)
    #expect((b.both * 100).rounded() == 45)
    #expect(abs(b.nothing - (-0.625 * log(0.625) - 0.375 * log(0.375))) <= 1e-15)
  }

  /// The series obeys the task: Y_t is always 1 when X_{t−3} = 1 and X_{t−8} = 0, and 1
  /// about 62.5 % of the time overall (within 5 standard deviations over 100,000 steps).
  @Test func theSeriesFollowsTheTask() {
    var rng = SplitMix64(seed: 1)
    let (x, y) = EchoTask.series(length: 100_000, rng: &rng)
    for t in 8..<x.count where x[t - 3] == 1 && x[t - 8] == 0 { #expect(y[t] == 1) }
    let ones = Double(y[8...].reduce(0) { $0 + Int($1) }) / Double(y.count - 8)
    #expect(abs(ones - 0.625) <= 5 * (0.625 * 0.375 / Double(y.count - 8)).squareRoot())
  }

  /// Adagrad by hand: accumulator 0.1 + g², step η g / √accumulator.
  @Test func adagradStepsByHand() {
    let layout = Layout(names: ["w"], shapes: [.vector(1)])
    var p = Parameters<Double>(layout, values: [[1]])
    var optimizer = Adagrad(learningRate: 0.1, like: p)
    optimizer.update(&p, with: Parameters(layout, values: [[0.3]]))
    #expect(abs(p.values[0][0] - (1 - 0.1 * 0.3 / (0.1 + 0.09).squareRoot())) <= 1e-15)
  }

  /// A short run learns the first dependency.
  ///
  /// Its loss falls from the "knowing nothing" figure to below halfway to the "X_{t−3}" one.
  /// Wrong gradients would not get there.
  @Test func aShortRunLearnsTheFirstDependency() {
    var training = EchoTraining()
    (training.batchSize, training.seriesLength, training.numSteps) = (10, 40_000, 10)
    var losses: [Double] = []
    _ = training.train(RNNCell(), reports: 4) { losses.append($0.meanLoss) }
    let b = EchoTask.baselines
    #expect(losses.count == 4)
    #expect((losses.last ?? 1) < (b.nothing + b.first) / 2, "\(losses)")
  }

  /// Rows shorter than one chunk (a series of 1,000 steps in 200 rows of 5, 10 steps a chunk)
  /// give no training step: the initial parameters, no report, and no row read past its end.
  @Test func rowsShorterThanAChunkTrainNothing() {
    var training = EchoTraining()
    (training.seriesLength, training.numSteps) = (1_000, 10)
    var reports = 0
    let p = training.train(RNNCell()) { _ in reports += 1 }
    var rng = SplitMix64(seed: training.seed)
    let specs = SequenceModel(RNNCell(), xs: [], targets: [], dims: training.dims).parameters
    #expect(p.values == Parameters<Double>.random(specs, training.dims, &rng, scale: 1).values)
    #expect(reports == 0)
  }

  /// One training step of the echo task: the batch of chunks, each row from a carried state
  /// (non-zero, as after the first chunk), by default a small batch and H = 3.
  static func trainingStep<C: RecurrentCell>(
    _ cell: C, rows: Int = 3, steps: Int = 6, H: Int = 3, seed: UInt64 = 11
  ) -> (EchoStep<C>, Parameters<Double>) {
    var rng = SplitMix64(seed: seed)
    let dims = Dims(D: 2, H: H, K: 2)
    let specs = SequenceModel(cell, xs: [], targets: [], dims: dims).parameters
    let p = Parameters<Double>.random(specs, dims, &rng, scale: 1)
    let (x, y) = EchoTask.series(length: rows * steps, rng: &rng)
    let chunks = (0..<rows).map { b in
      let range = (b * steps)..<(b * steps + steps)
      return (
        xs: range.map { x[$0] == 1 ? [0.0, 1] : [1.0, 0] }, targets: range.map { Int(y[$0]) }
      )
    }
    let states = (0..<rows).map { _ in
      CellState(
        h: (0..<H).map { _ in rng.unit() - 0.5 },
        c: cell.hasCellState ? (0..<H).map { _ in rng.unit() - 0.5 } : nil)
    }
    return (EchoStep(cell, rows: chunks, dims: dims, states: states), p)
  }

  /// The rows side by side on `Lanes` give what the rows give walked one at a time.
  ///
  /// Bit for bit, for every cell that runs side by side: the summed loss, every entry of every
  /// gradient and every final state. Thirty rows fill one group of twenty-four lanes and part
  /// of a second; each enters from a state of its own (an LSTM's `c` too).
  @Test func rowsSideBySideAreTheRowsOneAtATime() throws {
    func check(_ cell: some RecurrentCell) throws {
      let (echo, p) = Self.trainingStep(cell, rows: 30, steps: 7, H: 5, seed: 5)
      let lanes = Parameters<Lanes>(constants: p)
      // Each with work alongside its walks, handed back (the training's next chunk).
      let side = echo.gradientsSideBySide(
        lanes, try #require(cell.sideBySide(lanes)), alongside: { "side" })
      let one = echo.gradientsRowByRow(p, alongside: { "one" })
      #expect(side.extra == "side" && one.extra == "one")
      func bits(_ v: [Double]) -> [UInt64] { v.map(\.bitPattern) }
      let name = "\(type(of: cell))"
      #expect(side.summedLoss.bitPattern == one.summedLoss.bitPattern, "\(name)")
      #expect(side.gradients.values.map(bits) == one.gradients.values.map(bits), "\(name)")
      #expect(
        side.finalStates.map { $0.parts.map(bits) } == one.finalStates.map { $0.parts.map(bits) },
        "\(name)")
      #expect(
        one.finalStates.count == 30 && one.finalStates[0].parts.count == echo.states[0].parts.count)
    }
    try check(RNNCell())
    try check(ConcatRNNCell())
    try check(LSTMCell(forgetBias: 1))
    try check(GRUCell(variant: .resetBefore))
    try check(GRUCell(variant: .resetAfter, hasRecurrentBias: true))
  }

  /// The gradient `train` steps with is checked by every oracle, for every cell it can train.
  @Test func oneTrainingStepsGradientAgreesWithTheOracles() {
    func check(_ cell: some RecurrentCell) {
      let (step, p) = Self.trainingStep(cell)
      let g = step.gradients(p).gradients
      let checks = verify(step, at: p.variables, analytic: g.values)
      #expect(Set(checks.map(\.reference)) == ["dual", "tape", "finite-difference"])
      for check in checks { #expect(check.passed, "\(type(of: cell)): \(check.summary)") }
    }
    check(RNNCell())
    check(LSTMCell(forgetBias: 0))
    check(GRUCell(variant: .resetBefore))
  }

  /// The check can fail: the summed gradient (no `reduce_mean`), a training loop's classic
  /// slip, is 18× too large, and every oracle says so.
  @Test func aTrainingStepsGradientWithoutTheMeanFails() {
    let (step, p) = Self.trainingStep(RNNCell())
    let summed = step.gradients(p).gradients.values.map { $0.map { $0 * 18 } }
    let failing = verify(step, at: p.variables, analytic: summed).filter { !$0.passed }
    #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"])
  }
}
