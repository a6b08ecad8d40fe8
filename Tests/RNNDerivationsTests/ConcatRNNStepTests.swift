import RNNDerivations
import Testing

@Suite struct ConcatRNNStepTests {
  @Test func everySizeAndSeedPasses() throws { try expectPassesEverywhere("rnn-concat-step") }

  /// By hand: [A | B] with A = [[1, 2], [3, 4]], B = [[5], [6]] is [[1, 2, 5], [3, 4, 6]];
  /// its columns 0..<2 and 2..<3 give A and B back.
  @Test func sideBySideAndColumnsRoundTrip() {
    let a = Matrix(rows: 2, cols: 2, storage: [1.0, 2, 3, 4])
    let b = Matrix(rows: 2, cols: 1, storage: [5.0, 6])
    let joined = Matrix.sideBySide(a, b)
    #expect(joined.rows == 2 && joined.cols == 3)
    #expect(joined.storage == [1, 2, 5, 3, 4, 6])
    let left = joined.columns(0..<2)
    let right = joined.columns(2..<3)
    #expect(left.rows == 2 && left.cols == 2 && left.storage == a.storage)
    #expect(right.rows == 2 && right.cols == 1 && right.storage == b.storage)
  }

  /// The concatenated step by hand, and as rnn-step with W split.
  ///
  /// D = 1, H = 2, W = [[1, 0.5, −0.5], [0, 1, 2]] over [x ; s] with x = (0.5),
  /// s = (1, −0.25), b_s = (0.1, −0.2). By hand:
  ///   a_0 = 1·0.5 + 0.5·1 − 0.5·(−0.25) + 0.1 = 1.225,  a_1 = 0 + 1·1 + 2·(−0.25) − 0.2 = 0.3;
  /// S = (tanh 1.225, tanh 0.3) from Python's math.tanh. The split form (U = W[:, :1],
  /// W = W[:, 1:]) through rnnStepForward gives the same state.
  @Test func concatenatedForwardEqualsSplitRNNStep() {
    let W = Matrix(rows: 2, cols: 3, storage: [1.0, 0.5, -0.5, 0, 1, 2])
    let (x, s, b_s) = ([0.5], [1.0, -0.25], [0.1, -0.2])
    let S = concatRNNStepForward(x: x, sPrev: s, W: W, b_s: b_s).S
    expectClose(S, [0.8411229016320433, 0.2913126124515909], tolerance: 1e-15, "S_t")
    let (h, _) = rnnStepForward(
      x: x, hPrev: s, W: W.columns(1..<3), U: W.columns(0..<1), b: b_s)
    expectClose(S, h, tolerance: 1e-15, "S_t vs rnn-step")
  }
}
