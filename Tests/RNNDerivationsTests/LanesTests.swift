import Testing

@testable import RNNDerivations

/// Lane `i` of an evaluation on `Lanes` is the evaluation at point `i`, and tangent lane `i` of
/// `DualLanes` the `Dual` pass seeded on entry `i`, to the bit: what lets the finite-difference
/// oracle run four entries' six points, and the dual numbers twenty-four entries, in one pass.
@Suite struct LanesTests {
  /// The forward functions that evaluate lanes apart, each with a point: every cell, a stack,
  /// dropout, `sequence_length`, a many-to-one loss, both truncations and a padded batch.
  static func functions(seed: UInt64) -> [(name: String, f: any ForwardFunction, point: [Variable])]
  {
    let dims = Dims(D: 2, H: 3, K: 3)
    func example<Cell: RecurrentCell>(_ cell: Cell) -> SequenceExample<Cell> {
      SequenceExample(cell, dims, steps: 4, seed: seed, stateNames: cell.stateNames)
    }
    let cells: [(String, any RecurrentCell)] = [
      ("rnn", RNNCell()), ("rnn-concat", ConcatRNNCell()), ("lstm", LSTMCell(forgetBias: 1)),
      ("gru", GRUCell(variant: .resetBefore)),
      ("gru-reset-after", GRUCell(variant: .resetAfter, hasRecurrentBias: true)),
      ("stack", StackedCell([LSTMCell(forgetBias: 0), GRUCell(variant: .resetBefore)])),
    ]
    var all: [(name: String, f: any ForwardFunction, point: [Variable])] = cells.map { name, cell in
      func sequence<Cell: RecurrentCell>(_ cell: Cell) -> (any ForwardFunction, [Variable]) {
        let ex = example(cell)
        return (ex.model, ex.point)
      }
      let (f, point) = sequence(cell)
      return (name, f, point)
    }
    var ex = example(RNNCell())
    var rng = SplitMix64(seed: seed)
    ex.model.dropout = Dropout(keep: 0.5, dims: dims, steps: 4, rng: &rng)
    ex.model.length = 3
    ex.model.carriesLoss = [false, true, false, true]
    all.append(("rnn, dropout, length 3, two losses", ex.model, ex.point))
    let lstm = example(LSTMCell(forgetBias: 0))
    for truncation in [Truncation.chunks(2), .window(2)] {
      all.append(
        (
          "lstm, \(truncation)", TruncatedObjective(lstm.model, truncation, at: lstm.point),
          lstm.point
        ))
    }
    var short = lstm.model
    short.length = 2
    all.append(("lstm batch", SequenceBatch([lstm.model, short]), lstm.point))
    all.append(("lstm projected", Projected(lstm.model, upstream: [0.7]), lstm.point))
    return all + steps(dims, seed: seed)
  }

  /// The single equations the catalogue checks on their own, each with a point: every cell's
  /// step, the output layer, the softmax, the two losses, both activations and the state
  /// carried through a walk.
  static func steps(_ dims: Dims, seed: UInt64) -> [(
    name: String, f: any ForwardFunction, point: [Variable]
  )] {
    var rng = SplitMix64(seed: seed)
    let (D, H, K) = (dims.D, dims.H, dims.K)
    func cellPoint(_ cell: some RecurrentCell, _ state: [String]) -> [Variable] {
      Parameters.random(cell.parameters, dims, &rng, scale: 1).variables
        + [Variable("x_t", rng.vector(D))] + state.map { Variable($0, rng.vector(H)) }
    }
    let probabilities = softmaxForward(rng.vector(K))
    let target = oneHot(1, K)
    let rnn = SequenceExample(RNNCell(), dims, steps: 3, seed: seed, stateNames: ["h"])
    var all: [(name: String, f: any ForwardFunction, point: [Variable])] = [
      ("rnn step", RNNStepFunction(upstream: rng.vector(H)), cellPoint(RNNCell(), ["h_{t−1}"])),
      (
        "rnn-concat step", ConcatRNNStepFunction(upstream: rng.vector(H)),
        [
          Variable("W", rng.matrix(H, D + H)), Variable("b_s", rng.vector(H)),
          Variable("X_t", rng.vector(D)), Variable("S_{t−1}", rng.vector(H)),
        ]
      ),
      (
        "lstm step",
        LSTMStepFunction(
          forgetBias: 1, oPrev: sigmoidForward(rng.vector(H)), gh: rng.vector(H),
          gc: rng.vector(H)),
        cellPoint(LSTMCell(forgetBias: 1), ["c_{t−1}"])
      ),
      (
        "output layer",
        OutputLayerFunction(states: [rng.vector(H), rng.vector(H)], targets: [0, K - 1]),
        [Variable("V", rng.matrix(K, H)), Variable("b_y", rng.vector(K))]
      ),
      ("softmax", SoftmaxFunction(), [Variable("z", rng.vector(K, scale: 3))]),
      ("cross-entropy", CrossEntropyFunction(target: target), [Variable("ŷ", probabilities)]),
      (
        "softmax cross-entropy", SoftmaxCrossEntropyFunction(target: target),
        [Variable("z", rng.vector(K, scale: 3))]
      ),
      ("σ", ActivationFunction(sigmoid: true), [Variable("a", rng.vector(H, scale: 40))]),
      ("tanh", ActivationFunction(sigmoid: false), [Variable("a", rng.vector(H, scale: 40))]),
      (
        "state carried", StatePropagation(model: rnn.model, p: rnn.p, outputName: "h_3"),
        [Variable("h", rng.vector(H))]
      ),
    ]
    let grus = [
      GRUCell(variant: .resetBefore), GRUCell(variant: .resetAfter),
      GRUCell(variant: .resetAfter, hasRecurrentBias: true),
    ]
    for cell in grus {
      all.append(
        (
          "gru step, \(cell.variant)\(cell.hasRecurrentBias ? ", b_hn" : "")",
          GRUStepFunction(variant: cell.variant, g: rng.vector(H)),
          cellPoint(cell, ["h_{t−1}"])
        ))
    }
    return all
  }

  /// Each lane at its own random point (every entry moved, so the lanes' softmax shifts
  /// differ), against the evaluation on `Double` at that point, bit for bit.
  @Test(arguments: 0..<3 as Range<UInt64>) func eachLaneIsItsOwnEvaluation(seed: UInt64) {
    for (name, f, point) in Self.functions(seed: seed) {
      #expect(f.evaluatesLanesApart, "\(name)")
      var rng = SplitMix64(seed: seed + 100)
      let points = (0..<Lanes.count).map { _ in
        point.map { v in Variable(v.name, shape: v.shape, v.values.map { $0 + rng.unit() - 0.5 }) }
      }
      let lanes = Parameters<Lanes>(
        Parameters(point).layout,
        values: point.indices.map { p in
          point[p].values.indices.map { k in
            Lanes(lanes: points.map { $0[p].values[k] })
          }
        })
      let side = f.evaluate(lanes)
      for (i, one) in points.enumerated() {
        let alone = f.evaluate(Parameters(one))
        #expect(side.map { $0[i].bitPattern } == alone.map(\.bitPattern), "\(name), lane \(i)")
      }
    }
  }

  /// Passes that keep their rooms for the next (`PassRooms`, as the oracles run them) give
  /// every evaluation to the bit, whatever the passes before them left: points that differ,
  /// on `Double`, `Lanes` and `DualLanes`, each number type with rooms of its own and all three
  /// through one set of rooms in turn (where a room of another type is made anew), against
  /// each evaluated alone.
  @Test func passesKeepingTheirRoomsAreEachPassAlone() {
    for (name, f, point) in Self.functions(seed: 13) {
      let (double, lanes, duals, mixed) = (PassRooms(), PassRooms(), PassRooms(), PassRooms())
      var rng = SplitMix64(seed: 14)
      for pass in 0..<3 {
        let moved = Parameters(
          point.map { v in Variable(v.name, shape: v.shape, v.values.map { $0 + rng.unit() - 0.5 })
          })
        let side = Parameters<Lanes>(constants: moved)
        var tangent = Parameters<DualLanes>(constants: moved)
        tangent.values[0][0].derivative[2] = 1
        let alone = (
          f.evaluate(moved).map(\.bitPattern), f.evaluate(side).map { $0[3].bitPattern },
          f.evaluate(tangent).map { $0.derivative[2].bitPattern }
        )
        for rooms in [(double, lanes, duals), (mixed, mixed, mixed)] {
          #expect(
            f.evaluate(moved, keeping: rooms.0).map(\.bitPattern) == alone.0, "\(name) \(pass)")
          #expect(
            f.evaluate(side, keeping: rooms.1).map { $0[3].bitPattern } == alone.1,
            "\(name) \(pass)")
          #expect(
            f.evaluate(tangent, keeping: rooms.2).map { $0.derivative[2].bitPattern } == alone.2,
            "\(name) \(pass)")
        }
      }
    }
  }

  /// The oracle's stencils run side by side give the stencils run one point at a time: every
  /// estimate and error bar, bit for bit, per entry and along a direction.
  @Test func stencilsSideBySideAreStencilsOneAtATime() {
    func pointByPoint(_ f: some ForwardFunction) -> any ForwardFunction { PointByPoint(f: f) }
    for (name, f, point) in Self.functions(seed: 7) {
      let alone = pointByPoint(f)
      for p in point.indices {
        let side = FiniteDifference.jacobian(f, at: point, wrt: p)
        let one = FiniteDifference.jacobian(alone, at: point, wrt: p)
        #expect(side.values.map(\.bitPattern) == one.values.map(\.bitPattern), "\(name), \(p)")
        #expect(side.noise.map(\.bitPattern) == one.noise.map(\.bitPattern), "\(name), \(p)")
      }
      let along = point.map { v in v.values.indices.map { k in Double(k % 3) - 0.8 } }
      let side = FiniteDifference.directional(f, at: point, along: along)
      let one = FiniteDifference.directional(alone, at: point, along: along)
      #expect(side.values.map(\.bitPattern) == one.values.map(\.bitPattern), "\(name)")
      #expect(side.noise.map(\.bitPattern) == one.noise.map(\.bitPattern), "\(name)")
    }
  }

  /// The dual-number oracle's twenty-four tangents a pass give, lane by lane, the `Dual` pass
  /// seeded on each entry on its own, bit for bit.
  @Test func dualLanesAreDualPassesOneAtATime() {
    for (name, f, point) in Self.functions(seed: 5) {
      for p in point.indices {
        var inputs = Parameters<Dual>(constants: Parameters(point))
        var columns: [[Double]] = []
        for k in inputs.values[p].indices {
          inputs.values[p][k].derivative = 1
          columns.append(f.evaluate(inputs).map(\.derivative))
          inputs.values[p][k].derivative = 0
        }
        let side = DualOracle.jacobian(f, at: point, wrt: p)
        #expect(
          side.map(\.bitPattern) == transposeColumns(columns).map(\.bitPattern), "\(name), \(p)")
      }
    }
  }

  /// Every variable's Jacobian worked out together (one recording for the tape, entries of
  /// several variables in one pass for the dual numbers and the stencils) is each variable's
  /// worked out alone, bit for bit.
  @Test func jacobiansTogetherAreJacobiansApart() {
    for (name, f, point) in Self.functions(seed: 9) {
      let all = Array(point.indices)
      let tape = TapeOracle.jacobians(f, at: point, wrt: all)
      let dual = DualOracle.jacobians(f, at: point, wrt: all)
      let stencils = FiniteDifference.jacobians(f, at: point, wrt: all)
      for p in all {
        let recordedAlone = TapeOracle.jacobian(f, at: point, wrt: p)  // p's entries the leaves
        #expect(tape[p].map(\.bitPattern) == recordedAlone.map(\.bitPattern), "\(name), \(p)")
        let dualAlone = DualOracle.jacobian(f, at: point, wrt: p)
        #expect(dual[p].map(\.bitPattern) == dualAlone.map(\.bitPattern), "\(name), \(p)")
        let alone = FiniteDifference.jacobian(f, at: point, wrt: p)
        #expect(stencils[p].values.map(\.bitPattern) == alone.values.map(\.bitPattern), "\(name)")
        #expect(stencils[p].noise.map(\.bitPattern) == alone.noise.map(\.bitPattern), "\(name)")
      }
    }
  }

  /// Directions of the whole point run side by side (the dual numbers' tangent lanes, the
  /// stencils' lanes) give, bit for bit, a `Dual` pass along each and its stencil alone.
  @Test func directionsTogetherAreDirectionsApart() {
    for (name, f, point) in Self.functions(seed: 11) {
      var rng = SplitMix64(seed: 12)
      let directions = (0..<3).map { _ in point.map { rng.vector($0.values.count) } }
      let dual = DualOracle.directionals(f, at: point, along: directions)
      let stencils = FiniteDifference.directionals(f, at: point, along: directions)
      for (i, v) in directions.enumerated() {
        var inputs = Parameters<Dual>(constants: Parameters(point))
        for p in point.indices {
          for k in v[p].indices { inputs.values[p][k].derivative = v[p][k] }
        }
        let alone = f.evaluate(inputs).map(\.derivative)
        #expect(dual[i].map(\.bitPattern) == alone.map(\.bitPattern), "\(name), \(i)")
        let one = FiniteDifference.directionals(f, at: point, along: [v])[0]
        #expect(stencils[i].values.map(\.bitPattern) == one.values.map(\.bitPattern), "\(name)")
        #expect(stencils[i].noise.map(\.bitPattern) == one.noise.map(\.bitPattern), "\(name)")
      }
    }
  }

  /// `exp`, `log`, `tanh` and `σ` give each lane `Double`'s value, bit for bit: lanes all
  /// different, all the same (worked out once), and the same but for the sign of a zero
  /// (`tanh(−0) = −0`: equal as numbers, so not worked out once).
  @Test func elementaryFunctionsAreEachLanes() {
    var rng = SplitMix64(seed: 4)
    let cases = [
      (0..<Lanes.count).map { _ in rng.unit() * 6 - 3 },
      [Double](repeating: 0.7, count: Lanes.count),
      (0..<Lanes.count).map { $0 == 5 ? 0.0 : -0.0 },
    ]
    for values in cases {
      let x = Lanes(lanes: values)
      for (f, g) in [
        (Lanes.exp, Double.exp), (Lanes.log, Double.log), (Lanes.tanh, Double.tanh),
        (Lanes.sigmoid, Double.sigmoid),
      ] as [((Lanes) -> Lanes, (Double) -> Double)] {
        let y = f(x)
        #expect((0..<Lanes.count).map { y[$0].bitPattern } == values.map { g($0).bitPattern })
      }
    }
    // The same over an array, its parts one after another (`exp(each:)`, …).
    let xs = cases.map { Lanes(lanes: $0) }
    for (f, g) in [
      (Lanes.exp(each:), Double.exp), (Lanes.tanh(each:), Double.tanh),
      (Lanes.sigmoid(each:), Double.sigmoid),
    ] as [(([Lanes]) -> [Lanes], (Double) -> Double)] {
      let ys = f(xs)
      #expect(ys.count == cases.count)
      for (y, values) in zip(ys, cases) {
        #expect((0..<Lanes.count).map { y[$0].bitPattern } == values.map { g($0).bitPattern })
      }
    }
  }

  /// `+ − × ÷`, negation and `+=` act on each lane as on `Double`, to the bit.
  @Test func arithmeticIsEachLanes() {
    var rng = SplitMix64(seed: 6)
    let a = (0..<Lanes.count).map { _ in rng.unit() * 6 - 3 }
    let b = (0..<Lanes.count).map { _ in rng.unit() * 6 - 3 }
    let (x, y) = (Lanes(lanes: a), Lanes(lanes: b))
    var sum = x
    sum += y  // in place (`Lanes.+=`), not through `x + y`
    let pairs = Array(zip(a, b))
    let cases: [(Lanes, [Double])] = [
      (x + y, pairs.map { $0 + $1 }), (x - y, pairs.map { $0 - $1 }),
      (x * y, pairs.map { $0 * $1 }), (x / y, pairs.map { $0 / $1 }), (-x, a.map { -$0 }),
      (sum, pairs.map { $0 + $1 }),
    ]
    for (lanes, doubles) in cases {
      #expect((0..<Lanes.count).map { lanes[$0].bitPattern } == doubles.map { $0.bitPattern })
    }
  }

  /// Each lane's largest value, found as `[Double].max()` finds it, lane by lane.
  @Test func largestPrimalIsEachLanesMax() {
    var rng = SplitMix64(seed: 3)
    let values = (0..<9).map { _ in (0..<Lanes.count).map { _ in rng.unit() * 4 - 2 } }
    let largest = Lanes.largestPrimal(values.map { Lanes(lanes: $0) })
    for i in 0..<Lanes.count { #expect(largest[i] == values.map { $0[i] }.max()) }
    #expect((0..<Lanes.count).allSatisfy { Lanes.largestPrimal([])[$0] == 0 })
  }

  /// A weight lifted from `Double`s (`Parameters(constants:)`) is read as those numbers on
  /// `Lanes` (`Matrix.constantEntries`), and `M x` and `Mᵀ y` are the stored entries'
  /// products to the bit; once an entry moves (a stencil's lane), the numbers are dropped and
  /// the moved entry is what the products read.
  @Test func constantWeightsAreReadAsTheirNumbers() {
    var rng = SplitMix64(seed: 5)
    let (rows, cols) = (11, 7)  // past the kernels' blocks of eight and four rows
    let w = (0..<rows * cols).map { _ in rng.unit() * 4 - 2 }
    var lifted = Parameters<Lanes>(
      constants: Parameters(Layout(names: ["W"], shapes: [.matrix(rows, cols)]), values: [w]))
    let x = (0..<cols).map { _ in Lanes { _ in rng.unit() * 4 - 2 } }
    let y = (0..<rows).map { _ in Lanes { _ in rng.unit() * 4 - 2 } }
    func bits(_ v: [Lanes]) -> [UInt64] {
      v.flatMap { x in (0..<Lanes.count).map { x[$0].bitPattern } }
    }
    func storedOnly() -> Matrix<Lanes> {  // the same entries, read from the storage
      Matrix(rows: rows, cols: cols, storage: lifted.values[0])
    }
    #expect(lifted.matrix("W").constantEntries == w)
    #expect(storedOnly().constantEntries == nil)
    #expect(bits(lifted.matrix("W") * x) == bits(storedOnly() * x))
    #expect(bits(lifted.matrix("W").transposeTimes(y)) == bits(storedOnly().transposeTimes(y)))
    lifted.values[0][3][5] = 0.25  // lane 5 of entry (0, 3) moved
    #expect(lifted.matrix("W").constantEntries == nil)
    #expect(bits(lifted.matrix("W") * x) == bits(storedOnly() * x))
    let unmoved = Matrix(rows: rows, cols: cols, storage: w.map { Lanes($0) })
    #expect(bits(lifted.matrix("W") * x) != bits(unmoved * x))  // the move is read
  }
}

/// Turns `n` columns of `m` outputs into an `m × n` row-major Jacobian.
private func transposeColumns(_ columns: [[Double]]) -> [Double] {
  guard let m = columns.first?.count else { return [] }
  var out: [Double] = []
  out.reserveCapacity(m * columns.count)
  for i in 0..<m { for column in columns { out.append(column[i]) } }
  return out
}
