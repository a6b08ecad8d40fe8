import Foundation
@testable import RNNDerivations
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

  /// `M x`, eight rows at a time or along a kept column-major copy, and `Mᵀ y`, four rows a
  /// pass (notes/Performance.md), are the textbook sums to the bit.
  ///
  /// `y_i = Σ_j M_ij x_j` summed j = 0, 1, … and `x_j = Σ_i M_ij y_i` summed i = 0, 1, … here in
  /// the test: the same additions in the same order, so equal to the last bit, for every row
  /// count around the blocks of eight and four.
  @Test(arguments: 1...17)
  func matrixProductsAreTheTextbookSums(rows: Int) {
    var rng = SplitMix64(seed: UInt64(rows))
    let cols = 7
    let m = Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map { _ in rng.uniform() })
    let (x, y) = ((0..<cols).map { _ in rng.uniform() }, (0..<rows).map { _ in rng.uniform() })
    var (rowSums, columnSums) = (
      [Double](repeating: 0, count: rows), [Double](repeating: 0, count: cols)
    )
    for i in 0..<rows {
      for j in 0..<cols {
        rowSums[i] += m[i, j] * x[j]  // j innermost: each row's sum in the order j = 0, 1, …
      }
    }
    for j in 0..<cols {
      for i in 0..<rows { columnSums[j] += m[i, j] * y[i] }  // i = 0, 1, … for each column
    }
    #expect(m * x == rowSums)
    #expect(m.transposeTimes(y) == columnSums)
    // Any run of columns alone (a concatenated weight's blocks): the same sums.
    for (a, b) in [(0, 3), (3, 7), (2, 5), (6, 7)] {
      #expect(m.transposeTimes(y, columns: a..<b) == Array(columnSums[a..<b]))
    }
    // The same product from the entries kept column after column, as a walk keeps its weights.
    let kept = Parameters(Layout(names: ["M"], shapes: [.matrix(rows, cols)]), values: [m.storage])
      .keepingColumns().matrix("M")
    #expect(kept.columnMajorEntries != nil)  // the path under test is the one taken
    #expect(kept * x == rowSums)
    var affine: [Double] = []
    Matrix.affine(kept, x, kept, x, y, into: &affine)
    #expect(affine == (rowSums .+ rowSums .+ y))
  }

  /// `transposed` (and the column-major copy a walk keeps) puts entry `(i, j)` at `(j, i)`, for
  /// row counts around its blocks of eight rows and for an empty matrix.
  @Test func transposedMovesEveryEntry() {
    for (rows, cols) in [(1, 1), (3, 5), (8, 3), (9, 7), (17, 16), (0, 4)] {
      let m = Matrix(rows: rows, cols: cols, storage: (0..<rows * cols).map(Double.init))
      let t = m.transposed
      #expect((t.rows, t.cols) == (cols, rows))
      for i in 0..<rows { for j in 0..<cols { #expect(t[j, i] == m[i, j]) } }
    }
  }

  /// A matrix's column-major copy never outlives a change to its values: `Parameters` drops
  /// every copy when any value changes, `Matrix` when an entry does, and the product then
  /// reads the changed entries.
  @Test func columnCopiesAreDroppedWhenValuesChange() {
    let layout = Layout(names: ["M", "b"], shapes: [.matrix(2, 2), .vector(2)])
    var p = Parameters(layout, values: [[1, 2, 3, 4], [0, 0]]).keepingColumns()
    #expect(p.matrix("M").columnMajorEntries == [1, 3, 2, 4])  // column 0 (1, 3), column 1 (2, 4)
    p.add("b", [1, 1])
    #expect(p.matrix("M").columnMajorEntries == nil)
    var m = Parameters(layout, values: [[1, 2, 3, 4], [0, 0]]).keepingColumns().matrix("M")
    m[0, 1] = 20
    #expect(m.columnMajorEntries == nil)
    #expect(m * [1, 1] == [21, 7])  // 1 + 20, 3 + 4: the changed entry
  }

  /// `Matrix.affine` (what `affineForward` runs) is `M * x .+ N * z .+ b` to the bit, on
  /// `Double` and on dual numbers (value and tangent), for row counts around the block of eight;
  /// written into an empty array, into one of the right size holding other numbers (a walk's
  /// room, written over), and into one another value shares (copied first: that value keeps its
  /// numbers).
  @Test(arguments: [1, 5, 8, 13])
  func affineIsTheThreeOperations(rows: Int) {
    var rng = SplitMix64(seed: 200 + UInt64(rows))
    func vector(_ n: Int) -> [Dual] {
      (0..<n).map { _ in Dual(rng.uniform(), derivative: rng.uniform()) }
    }
    let (m, n) = (
      Matrix(rows: rows, cols: 6, storage: vector(rows * 6)),
      Matrix(rows: rows, cols: 3, storage: vector(rows * 3))
    )
    let (x, z, b) = (vector(6), vector(3), vector(rows))
    let threeOperations = m * x .+ n * z .+ b
    var (empty, room, shared) = ([Dual](), vector(rows), vector(rows))
    let sharer = shared
    Matrix.affine(m, x, n, z, b, into: &empty)
    Matrix.affine(m, x, n, z, b, into: &room)
    Matrix.affine(m, x, n, z, b, into: &shared)
    #expect(empty == threeOperations && room == threeOperations && shared == threeOperations)
    #expect(sharer != shared)  // the other value's numbers, untouched
    let (mv, nv) = (m.map(\.value), n.map(\.value))
    let (xv, zv, bv) = (x.map(\.value), z.map(\.value), b.map(\.value))
    var onDoubles: [Double] = []
    Matrix.affine(mv, xv, nv, zv, bv, into: &onDoubles)
    #expect(onDoubles == (mv * xv .+ nv * zv .+ bv))
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

  /// Outer-product shares summed after the walk, in blocks of 4 × 8 with the steps innermost
  /// (notes/Performance.md), are the textbook loop `m[i, j] += a_t[i] · b_t[j]`, t outermost,
  /// to the bit: for row and column counts around the block, onto a matrix that is not zero.
  @Test(
    arguments: [
      (1, 1), (3, 5), (4, 4), (5, 9), (8, 7), (9, 12), (4, 8), (7, 17), (8, 24), (4, 16), (9, 40),
      (12, 33),
    ])
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

  /// On rows side by side, the shares' sum is every lane's own: lane by lane, bit for bit,
  /// the textbook loop on that lane's numbers, for row and column counts around the 2 × 2
  /// block (odd ones leave a last row or column), onto a matrix that is not zero.
  @Test(arguments: [(1, 1), (1, 4), (2, 2), (3, 5), (4, 7), (5, 16), (16, 2), (16, 16)])
  func outerSharesOnLanesSumLikeTheTextbookLoop(rows: Int, cols: Int) {
    var rng = SplitMix64(seed: UInt64(rows * 100 + cols))
    func lanes(_ count: Int) -> [Lanes] { (0..<count).map { _ in Lanes { _ in rng.uniform() } } }
    let shares = (0..<7).map { _ in (a: lanes(rows), b: lanes(cols)) }
    let start = lanes(rows * cols)
    var summed = start
    Matrix.addOuters(shares, into: &summed)
    for lane in 0..<Lanes.count {
      var textbook = start.map { $0[lane] }
      for (a, b) in shares {
        for i in 0..<rows {
          for j in 0..<cols { textbook[i * cols + j] += a[i][lane] * b[j][lane] }
        }
      }
      #expect(summed.map { $0[lane].bitPattern } == textbook.map(\.bitPattern), "lane \(lane)")
    }
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

  /// A guessed place is only where the look starts: every name is found at its own place from
  /// every guess, right, wrong or outside the layout, and so is a name with other bytes.
  @Test func guessedLookupsFindEveryName() {
    let names = ["W", "U", "b", "W^(1)", "h_{−1}^(1)", "caf\u{E9}"]
    let layout = Layout(names: names, shapes: names.map { _ in .vector(1) })
    for (k, name) in names.enumerated() {
      for guess in -1...names.count { #expect(layout.index(of: name, guess: guess) == k) }
    }
    for guess in -1...names.count { #expect(layout.index(of: "cafe\u{301}", guess: guess) == 5) }
  }

  /// The walk's sums keep the order of the additions when a weight's share comes written out
  /// between its outer products (an answer given outright): the waiting products first.
  ///
  /// Against the additions done one at a time by hand, in the order they came. Entry (0, 0)
  /// tells the orders apart: (1e16 + 1) − 1e16 is 0 (the 1 is lost to rounding), while the
  /// written share taken first, (−1e16 + 1e16) + 1, would be 1.
  @Test func gradientSumsKeepTheOrderOfTheShares() {
    let layout = Layout(names: ["W", "b"], shapes: [.matrix(2, 3), .vector(2)])
    let outers = [
      ([1e16, -2.5], [1.0, 1e-17, -0.7]), ([1.0, 1.5], [1.0, 4.0, 0.5]),
      ([0.5, 3.0], [1.0, -2.0, 0.25]),
    ]
    let written = [-1e16, -3.0, 0.25, 7.0, -1e-3, 2.0]
    var sums = GradientSums(layout, accumulate: nil, steps: 3)
    sums.join("W", .outer(outers[0].0, outers[0].1))
    sums.join("b", .vector([1, 2]))
    sums.join("W", .outer(outers[1].0, outers[1].1))
    sums.join("W", .vector(written))
    sums.join("W", .outer(outers[2].0, outers[2].1))
    var byHand = [Double](repeating: 0, count: 6)
    func addOuter(_ a: [Double], _ b: [Double]) {
      for i in 0..<2 { for j in 0..<3 { byHand[i * 3 + j] += a[i] * b[j] } }
    }
    addOuter(outers[0].0, outers[0].1)
    addOuter(outers[1].0, outers[1].1)
    for k in 0..<6 { byHand[k] += written[k] }
    addOuter(outers[2].0, outers[2].1)
    let total = sums.total()
    #expect(byHand[0] == 0.5)  // (1e16 + 1 − 1e16) + 0.5: the 1 lost, as the order says
    #expect(total["W"] == byHand)
    #expect(total["b"] == [1, 2])
  }

  /// A walk large enough to sum its weights on every core (`GradientSums.worthEveryCore`)
  /// gives every entry and largest addend the additions made one weight after another, in
  /// the order they came: a bias joined between the products, a weight with no shares, and
  /// three weights, `W` and `V` each past the threshold alone.
  @Test func gradientSumsOnEveryCoreAreTheSumsInOrder() {
    let (H, D, steps) = (80, 24, 200)
    let names = ["W", "b", "U", "V", "none"]
    let layout = Layout(
      names: names, shapes: [.matrix(H, H), .vector(H), .matrix(H, D), .matrix(H, H), .vector(2)])
    var rng = SplitMix64(seed: 3)
    func vector(_ n: Int) -> [Double] { rng.vector(n) }
    let joins: [(name: String, share: StepGradient)] = (0..<steps).flatMap { _ in
      [
        ("W", .outer(vector(H), vector(H))), ("b", .vector(vector(H))),
        ("U", .outer(vector(H), vector(D))), ("V", .outer(vector(H), vector(H))),
      ]
    }
    #expect(steps * H * H >= GradientSums.worthEveryCore)
    var sums = GradientSums(layout, accumulate: nil, steps: steps)
    var byHand = Parameters<Double>.zeros(layout)
    for (name, share) in joins {
      sums.join(name, share)
      byHand.add(name, share)  // each share added on its own, when it comes
    }
    let total = sums.total()
    #expect(total.values == byHand.values)
    #expect(total.largestAddend == byHand.largestAddend)
  }

  /// `largestMagnitude` is `max(|v_i|)` as the textbook reduce finds it, for every length
  /// around its sixteen lanes, with negative entries, signed zeros and a NaN (passed over).
  @Test func largestMagnitudeIsTheReduce() {
    var rng = SplitMix64(seed: 11)
    for n in 0...40 {
      var v = (0..<n).map { _ in rng.uniform() * 1e3 }
      for special in [-0.0, .nan, -7e5] where n > 2 {
        v[Int(rng.unit() * Double(n))] = special
        #expect(largestMagnitude(v).bitPattern == v.reduce(0) { max($0, abs($1)) }.bitPattern)
      }
      #expect(largestMagnitude(v).bitPattern == v.reduce(0) { max($0, abs($1)) }.bitPattern)
    }
    #expect(largestMagnitude([.nan, -2, .nan]) == 2)
    // A NaN anywhere after the largest, in the same running largest or not, leaves it.
    for n in 16...40 {
      let v = (0..<n).map { _ in rng.uniform() }
      for largest in 0..<n {
        for nan in largest + 1..<n {
          var w = v
          (w[largest], w[nan]) = (-5, .nan)
          #expect(largestMagnitude(w) == 5, "n \(n), largest at \(largest), NaN at \(nan)")
        }
      }
    }
  }

  /// `.+`, `.-`, `.*` and the activations' backward steps write over their first operand
  /// where no one else holds it: the results are the entry-by-entry ones, and an operand a
  /// caller still holds (the same array on both sides among them) is left as it was.
  @Test func entrywiseOperationsLeaveHeldOperandsAlone() {
    let (a, b): ([Double], [Double]) = ([1, -2, 0.5], [4, 0.25, -3])
    #expect(a .+ b == [5, -1.75, -2.5])
    #expect(a .- b == [-3, -2.25, 3.5])
    #expect(a .* a == [1, 4, 0.25])
    #expect(a .* b .+ b .* a .- a == [7, 1, -3.5])  // two temporaries reused, then a third
    var c = a
    let d = c .* b  // `c` still held: copied, not written over
    c[0] = 9
    #expect(d == [4, -0.5, -1.5] && c == [9, -2, 0.5])
    #expect(tanhBackward(a, h: b) == zip(a, b).map { $0 * (1 - $1 * $1) })
    #expect(sigmoidBackward(b .* a, s: a) == zip(b, a).map { $0 * $1 * $1 * (1 - $1) })
    #expect(a == [1, -2, 0.5] && b == [4, 0.25, -3])
  }
  /// The relative error has a floor of 1e-8 and flags non-finite values.
  @Test func relativeErrorDefinition() {
    #expect(relativeError(1, 1.5) == 0.5 / 1.5)
    #expect(relativeError(0, 1e-12) == 1e-12 / 1e-8)
    #expect(relativeError(.nan, 1) == .infinity)
  }

  /// `printed` (the C library's `printf` into a stack buffer) writes what `String(format:)`
  /// writes, for every spec the traces use: hand-picked halfway cases, signs and zero, then
  /// 20,000 random numbers across 1e−12 … 1e12.
  @Test func printedNumbersAreStringFormat() {
    var rng = SplitMix64(seed: 5)
    let picked = [0.0, -0.0, 0.000005, 0.0000149999, 2.5e-3, 1.000005, 99999.999995, -1e5, 5e-324]
    let random = (0..<20_000).map { _ in
      rng.uniform() * pow(10, (rng.unit() * 24 - 12).rounded())
    }
    for x in picked + random {
      for spec in ["%.5f", "%.3e", "%.1e"] {
        #expect(printed(x, spec) == String(format: spec, x), "\(x) \(spec)")
      }
    }
  }
}
