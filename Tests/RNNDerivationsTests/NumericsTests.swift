import RNNDerivations
import Testing

@Suite struct NumericsTests {
  /// First outputs of SplitMix64 from seed 0, from Vigna's reference splitmix64.c.
  @Test func splitMixMatchesReference() {
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  /// d/dx (x² · e^x) at 1 = 3e, by hand.
  @Test func dualProductAndExp() {
    let x = Dual(1, derivative: 1)
    let y = x * x * Dual.exp(x)
    expectClose([y.derivative], [3 * 2.718281828459045], tolerance: 1e-15)
  }

  /// Quotient and log: d/dx log(x) / x = (1 − log x)/x², at x = 2.
  @Test func dualQuotientAndLog() {
    let x = Dual(2, derivative: 1)
    let y = Dual.log(x) / x
    expectClose([y.derivative], [(1 - 0.6931471805599453) / 4], tolerance: 1e-15)
  }

  @Test func matrixProductsByHand() {
    let m = Matrix(rows: 2, cols: 3, storage: [1.0, 2, 3, 4, 5, 6])
    #expect(m * [1.0, 0, -1] == [-2, -2])
    #expect(m.transposeTimes([1.0, 1]) == [5, 7, 9])
    #expect(Matrix.outer([1.0, 2], [3.0, 4, 5]).storage == [3, 4, 5, 6, 8, 10])
    #expect((m * Matrix(rows: 3, cols: 1, storage: [1.0, 1, 1])).storage == [6, 15])
    #expect(m.columns(1..<3).storage == [2, 3, 5, 6])
  }

  /// `M x`, eight rows at a time (notes/Performance.md), is the textbook row sums to the bit.
  ///
  /// `y_i = Σ_j M_ij x_j`, summed j = 0, 1, … here in the test: the same additions in the same
  /// order, so equal to the last bit, for every row count around the block of eight.
  @Test(arguments: 1...17)
  func matrixVectorProductIsTheRowSums(rows: Int) {
    var rng = SplitMix64(seed: UInt64(rows))
    let cols = 7
    let m = Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map { _ in rng.uniform() })
    let x = (0..<cols).map { _ in rng.uniform() }
    let rowSums = (0..<rows).map { i in
      var s = 0.0
      for j in 0..<cols { s += m[i, j] * x[j] }
      return s
    }
    #expect(m * x == rowSums)
  }

  /// `Mᵀ y`, four rows per pass (notes/Performance.md), is the textbook column sums to the bit.
  ///
  /// `x_j = Σ_i M_ij y_i`, summed i = 0, 1, … here in the test, for every row count around the
  /// block of four.
  @Test(arguments: 1...9)
  func transposeProductIsTheColumnSums(rows: Int) {
    var rng = SplitMix64(seed: 100 + UInt64(rows))
    let cols = 7
    let m = Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map { _ in rng.uniform() })
    let y = (0..<rows).map { _ in rng.uniform() }
    let columnSums = (0..<cols).map { j in
      var s = 0.0
      for i in 0..<rows { s += m[i, j] * y[i] }
      return s
    }
    #expect(m.transposeTimes(y) == columnSums)
  }

  /// A weight's share added as `.outer(a, b)` in place is the formed `a ⊗ b` added, to the bit.
  ///
  /// The same entries and the same largest addend as forming `a ⊗ b` and adding it entry by
  /// entry.
  @Test func outerShareAddsLikeTheFormedMatrix() {
    var rng = SplitMix64(seed: 3)
    let (a, b) = ((0..<5).map { _ in rng.uniform() }, (0..<4).map { _ in rng.uniform() })
    let start = (0..<20).map { _ in rng.uniform() }
    let layout = Layout(names: ["W"], shapes: [.matrix(5, 4)])
    var inPlace = Parameters(layout, values: [start])
    var formed = inPlace
    inPlace.add("W", StepGradient.outer(a, b))
    formed.add("W", (0..<5).flatMap { i in (0..<4).map { j in a[i] * b[j] } })
    #expect(inPlace.values == formed.values)
    #expect(inPlace.largestAddend == formed.largestAddend)
  }

  /// Outer-product shares summed after the walk, in blocks of 4 × 4 with the steps innermost
  /// (notes/Performance.md), are the textbook loop `m[i, j] += a_t[i] · b_t[j]`, t outermost,
  /// to the bit: for row and column counts around the block, onto a matrix that is not zero.
  @Test(arguments: [(1, 1), (3, 5), (4, 4), (5, 9), (8, 7), (9, 12)])
  func outerSharesSumLikeTheTextbookLoop(rows: Int, cols: Int) {
    var rng = SplitMix64(seed: UInt64(rows * 100 + cols))
    let steps = 6
    let pairs = (0..<steps).map { _ in
      ((0..<rows).map { _ in rng.uniform() }, (0..<cols).map { _ in rng.uniform() })
    }
    let start = (0..<rows * cols).map { _ in rng.uniform() }
    var textbook = Matrix(rows: rows, cols: cols, storage: start)
    for (a, b) in pairs {
      for i in 0..<rows { for j in 0..<cols { textbook[i, j] += a[i] * b[j] } }
    }
    var shares = OuterShares()
    for (a, b) in pairs { shares.append(a, b) }
    var summed = Parameters(Layout(names: ["W"], shapes: [.matrix(rows, cols)]), values: [start])
    summed.add("W", shares)
    #expect(summed.values[0] == textbook.storage)
    // The largest addend: the largest |a_t[i] · b_t[j]| over every share, found entry by entry.
    let largest = pairs.flatMap { a, b in a.flatMap { ai in b.map { abs(ai * $0) } } }.max()
    #expect(summed.largestAddend[0] == largest)
  }

  /// A layout finds a name by its bytes' fingerprint first; a name Swift calls equal with
  /// other bytes (`é` as one scalar, U+00E9, or as `e` and a combining acute, U+0301) must
  /// still be found, and every name at its own place.
  @Test func layoutFindsNamesByStringEquality() {
    let names = ["W", "U", "b", "W^(1)", "W^(2)", "h_{−1}^(1)", "h_{−1}^(2)", "caf\u{E9}"]
    let layout = Layout(names: names, shapes: names.map { _ in .vector(1) })
    for (k, name) in names.enumerated() { #expect(layout.index(of: name) == k) }
    #expect(layout.index(of: "cafe\u{301}") == 7)
  }

  /// The relative error has a floor of 1e-8 and flags non-finite values.
  @Test func relativeErrorDefinition() {
    #expect(relativeError(1, 1.5) == 0.5 / 1.5)
    #expect(relativeError(0, 1e-12) == 1e-12 / 1e-8)
    #expect(relativeError(.nan, 1) == .infinity)
  }
}
