import Foundation

// The task of R2RT's "Recurrent Neural Networks in Tensorflow I"
// (https://r2rt.com/recurrent-neural-networks-in-tensorflow-i.html), which sources 001 and 002
// follow, learned with this project's own hand-derived gradients: TensorFlow-style truncated
// BPTT over chunks of `num_steps`, the state carried from chunk to chunk.

/// R2RT's task: `X_t` is a fair random bit; `Y_t` is 1 with probability 0.5, plus 0.5 if
/// `X_{t−3}` is 1, minus 0.25 if `X_{t−8}` is 1.
///
/// A network that learns nothing can do no better than the marginal of `Y`; one that learns
/// the dependence on `X_{t−3}` reaches a lower cross-entropy, and one that also learns
/// `X_{t−8}` a lower one still. R2RT quotes them as about 0.66, 0.52 and 0.45 nats.
public enum EchoTask {
  /// The two dependencies: `Y_t` reads `X_{t−3}` and `X_{t−8}`.
  public static let lags = (first: 3, second: 8)

  /// `P(Y_t = 1)` given the two earlier bits.
  public static func probability(first: Int, second: Int) -> Double {
    0.5 + 0.5 * Double(first) - 0.25 * Double(second)
  }

  /// A series of `length` steps: the bits `X` and the targets `Y` (before step 3 or 8 the
  /// missing earlier bit counts as 0), a byte each.
  ///
  /// A byte, not an `Int`: the training reads ten steps at a time from each of its rows, a
  /// row's length apart, and from a million `Int`s (8 MB a series) nearly every such read
  /// missed the caches (notes/Performance.md, sixteenth round).
  public static func series(length: Int, rng: inout SplitMix64) -> (x: [UInt8], y: [UInt8]) {
    let x: [UInt8] = (0..<length).map { _ in rng.unit() < 0.5 ? 1 : 0 }
    let y: [UInt8] = (0..<length).map { t in
      let first = t >= lags.first ? Int(x[t - lags.first]) : 0
      let second = t >= lags.second ? Int(x[t - lags.second]) : 0
      return rng.unit() < probability(first: first, second: second) ? 1 : 0
    }
    return (x, y)
  }

  /// The expected cross-entropy (nats per step) of the best prediction from what a network knows.
  ///
  /// Nothing, `X_{t−3}` alone, or both bits: computed here from the task's definition by
  /// averaging the entropy of `Y` over the equally likely cases.
  public static var baselines: (nothing: Double, first: Double, both: Double) {
    func entropy(_ p: Double) -> Double {
      p <= 0 || p >= 1 ? 0 : -p * log(p) - (1 - p) * log(1 - p)
    }
    let cases = [(0, 0), (0, 1), (1, 0), (1, 1)].map { probability(first: $0.0, second: $0.1) }
    let nothing = entropy(cases.reduce(0, +) / 4)
    let first = (entropy((cases[0] + cases[1]) / 2) + entropy((cases[2] + cases[3]) / 2)) / 2
    let both = cases.map(entropy).reduce(0, +) / 4
    return (nothing, first, both)
  }
}

/// How to train on the echo task; the defaults are R2RT's.
public struct EchoTraining: Sendable {
  /// Hidden size `H` (R2RT's `state_size`).
  public var stateSize = 4
  /// Steps per chunk: how far back TensorFlow-style truncation lets a gradient reach.
  public var numSteps = 10
  /// Rows the series is cut into, trained side by side, each carrying its own state.
  public var batchSize = 200
  /// Steps of one epoch's series (a new series each epoch).
  public var seriesLength = 1_000_000
  /// Epochs, each on a new series.
  public var epochs = 1
  /// Adagrad's learning rate.
  public var learningRate = 0.1
  /// The seed of the initial parameters and of every series.
  public var seed: UInt64 = 0
  /// R2RT's settings: the defaults above (H = 4, 10 steps per chunk, 200 rows, rate 0.1).
  public init() {}

  /// D = 2 (the bit, one-hot), K = 2 (the target bit).
  public var dims: Dims { Dims(D: 2, H: stateSize, K: 2) }
  /// Chunks per epoch: each row of `seriesLength / batchSize` steps cut into `numSteps`.
  public var chunks: Int { seriesLength / batchSize / numSteps }
}

/// Adagrad, as TensorFlow's `AdagradOptimizer` (initial accumulator 0.1).
///
/// Each entry's step is the learning rate divided by the root of its summed squared gradients
/// (Duchi, Hazan and Singer, 2011).
public struct Adagrad: Sendable {
  /// The learning rate `η`.
  public var learningRate: Double
  /// `Σ g²` per entry, by parameter.
  public private(set) var accumulated: [[Double]]

  /// Adagrad for parameters shaped like `p`, every accumulator starting at 0.1.
  public init(learningRate: Double, like p: Parameters<Double>) {
    self.learningRate = learningRate
    accumulated = p.values.map { $0.map { _ in 0.1 } }
  }

  /// `θ ← θ − η g / √(Σ g²)`, entry by entry.
  public mutating func update(_ p: inout Parameters<Double>, with g: Parameters<Double>) {
    for k in p.values.indices {
      for i in p.values[k].indices {
        accumulated[k][i] += g.values[k][i] * g.values[k][i]
        p.values[k][i] -= learningRate * g.values[k][i] / accumulated[k][i].squareRoot()
      }
    }
  }
}

/// One line of progress: the mean cross-entropy per step over the chunks since the last.
public struct EchoReport: Sendable {
  /// The epoch, from 0.
  public var epoch: Int
  /// Chunks of this epoch done.
  public var chunk: Int
  /// Mean `−log ŷ_t[y_t]` over every step of those chunks, in nats.
  public var meanLoss: Double
}

/// A training run's loss curve, read against the task's baselines.
public struct EchoCurve: Sendable {
  /// One mean cross-entropy per logged point, in order.
  public var losses: [Double]
  /// A curve from its points.
  public init(losses: [Double]) { self.losses = losses }

  /// The mean of the curve's last tenth (at least its last point): where it settled.
  public var finalLoss: Double {
    let tail = losses.suffix(max(1, losses.count / 10))
    return tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
  }

  /// What the final loss says was learned: the baseline it is closest to, by the midpoints.
  public var learned: String {
    let base = EchoTask.baselines
    return finalLoss < (base.first + base.both) / 2
      ? "both X_{t−3} and X_{t−8}"
      : finalLoss < (base.nothing + base.first) / 2 ? "X_{t−3} only" : "neither dependency"
  }
}

extension EchoTraining {
  /// Trains `cell` with its own hand-derived gradients, reporting `reports` times an epoch.
  ///
  /// Each epoch draws a new series, cuts it into `batchSize` rows, and walks them chunk by
  /// chunk: every row's chunk runs from that row's carried state (zero at an epoch's start),
  /// the gradients of the chunk's loss (truncated at its first step, as TensorFlow's
  /// `num_steps` does) are averaged over the batch's steps, and Adagrad takes one step.
  // Prespecialized for every cell: `train` reaches the walk through `ModelKind.cell()`.
  @_specialize(where Cell == RNNCell)
  @_specialize(where Cell == LSTMCell)
  @_specialize(where Cell == GRUCell)
  public func train<Cell: RecurrentCell>(
    _ cell: Cell, reports: Int = 10, progress: (EchoReport) -> Void
  ) -> Parameters<Double> {
    var rng = SplitMix64(seed: seed)
    let specs = SequenceModel(cell, xs: [], targets: [], dims: dims).parameters
    var p = Parameters<Double>.random(specs, dims, &rng, scale: 1)
    var optimizer = Adagrad(learningRate: learningRate, like: p)
    let every = max(1, chunks / max(1, reports))
    let zeros = [Double](repeating: 0, count: dims.H)
    let encoded: [[Double]] = [[1, 0], [0, 1]]  // x_t for X_t = 0 and 1, one-hot, made once
    for epoch in 0..<epochs {
      let (x, y) = EchoTask.series(length: seriesLength, rng: &rng)
      let row = seriesLength / batchSize
      var states = (0..<batchSize).map { _ in
        CellState(h: zeros, c: cell.hasCellState ? zeros : nil)
      }
      var (lossSum, steps) = (0.0, 0)
      /// Chunk `chunk`'s step: each row's inputs and targets, the row entering with its state
      /// in `states`.
      func step(_ chunk: Int, entering states: [CellState<Double>]) -> EchoStep<Cell> {
        EchoStep(
          cell,
          rows: (0..<batchSize).map { b in
            let range = (b * row + chunk * numSteps)..<(b * row + (chunk + 1) * numSteps)
            return (xs: range.map { encoded[Int(x[$0])] }, targets: range.map { Int(y[$0]) })
          }, dims: dims, states: states)
      }
      guard chunks > 0 else { continue }  // rows shorter than a chunk: nothing to step on
      var current = step(0, entering: states)
      for chunk in 0..<chunks {
        // The next chunk's rows are made beside this chunk's walks, one more piece of their
        // work: they read the series alone. The states they enter with are this chunk's final
        // ones, set once known (until then, this chunk's stand in).
        let (summedLoss, g, finalStates, following) = current.gradients(
          p, alongside: chunk + 1 < chunks ? { [states] in step(chunk + 1, entering: states) } : nil
        )
        states = finalStates  // carried into the next chunk
        if var following {
          following.states = states
          current = following
        }
        lossSum += summedLoss
        steps += batchSize * numSteps
        optimizer.update(&p, with: g)
        if (chunk + 1) % every == 0 || chunk + 1 == chunks {
          progress(EchoReport(epoch: epoch, chunk: chunk + 1, meanLoss: lossSum / Double(steps)))
          (lossSum, steps) = (0, 0)
        }
      }
    }
    return p
  }
}

/// One training step's objective: the mean cross-entropy over a batch of chunks, as R2RT's
/// `reduce_mean`, each row's chunk starting from the state that row carried out of its last
/// chunk.
///
/// The carried states are constants: the gradient stops at each chunk's first step, as
/// TensorFlow's `num_steps` does. As a forward function it is that mean of the parameters
/// alone, so the oracles check the very gradient `train` steps with.
public struct EchoStep<Cell: RecurrentCell>: ForwardFunction {
  /// One model per row: its chunk's inputs and targets (as `init` made them: no dropout, no
  /// padding, a loss at every step).
  public let rows: [SequenceModel<Cell>]
  /// The state each row enters its chunk with.
  public var states: [CellState<Double>]

  /// One model per row of `cell` at `dims`, each entering its chunk with its row's state.
  public init(
    _ cell: Cell, rows: [(xs: [[Double]], targets: [Int])], dims: Dims,
    states: [CellState<Double>]
  ) {
    precondition(rows.count == states.count, "one carried state per row")
    self.rows = rows.map { SequenceModel(cell, xs: $0.xs, targets: $0.targets, dims: dims) }
    self.states = states
  }

  /// `mean E`: the mean cross-entropy per step.
  public var outputName: String { "mean E" }
  /// Every row's steps.
  public var cost: Int { rows.reduce(0) { $0 + $1.cost } }
  /// The steps the mean is over: every row's.
  var steps: Double { Double(rows.reduce(0) { $0 + $1.xs.count }) }

  /// The mean cross-entropy over every row's steps, each row from its carried state (a constant).
  public func evaluate<T: Scalar>(_ p: Parameters<T>) -> [T] {
    // Every row runs the same cell: its weights read once. No rows: 0 over 0 steps.
    guard let step = rows.first.map({ $0.cell.stepping(p) }) else { return [T(0) / T(steps)] }
    let total = zip(rows, states).reduce(T(0)) { sum, row in
      sum + row.0.walkForward(from: row.1.lifted(), p) { step($0, &$1) }.loss
    }
    return [total / T(steps)]
  }

  /// The rows' summed loss `Σ E` (the objective is that over `steps`), the objective's
  /// hand-derived gradient (each row's walk back through its chunk, summed, over the steps),
  /// and the state each row ends its chunk with.
  ///
  /// Where the cell has a step on rows side by side (`RecurrentCell.sideBySide`) and the rows'
  /// chunks are one length (inputs and targets alike), `Lanes.count` rows run at a time, each
  /// lane its row's walk to the bit (`gradientsSideBySide`); otherwise each row walks on its
  /// own.
  public func gradients(_ p: Parameters<Double>) -> (
    summedLoss: Double, gradients: Parameters<Double>, finalStates: [CellState<Double>]
  ) {
    let (summedLoss, gradients, finalStates, _) = self.gradients(p, alongside: nil as (() -> Void)?)
    return (summedLoss, gradients, finalStates)
  }

  /// `gradients`, and `extra()` run as one more piece of the walks' work on whichever core is
  /// free (`concurrentMap(_:alongside:)`): the training's next chunk set up beside this one.
  func gradients<B>(_ p: Parameters<Double>, alongside extra: (() -> B)?) -> (
    summedLoss: Double, gradients: Parameters<Double>, finalStates: [CellState<Double>],
    extra: B?
  ) {
    let lanes = Parameters<Lanes>(constants: p)
    if let first = rows.first, let step = first.cell.sideBySide(lanes),
      rows.allSatisfy({ $0.xs.count == first.xs.count && $0.targets.count == first.xs.count })
    {
      return gradientsSideBySide(lanes, step, alongside: extra)
    }
    return gradientsRowByRow(p, alongside: extra)
  }

  /// `gradients`, each row's walk on its own (on every core), then their sums in row order.
  func gradientsRowByRow<B>(_ p: Parameters<Double>, alongside extra: (() -> B)?) -> (
    summedLoss: Double, gradients: Parameters<Double>, finalStates: [CellState<Double>],
    extra: B?
  ) {
    let p = p.keepingColumns()  // the weights' column copies made once for every row's walk
    let (walks, extraResult) = Array(zip(rows, states)).concurrentMap(
      { model, state in
        let run = model.forward(p, from: state)
        // ∂E/∂h_{−1} dropped: the state is a constant.
        return (
          loss: run.loss, gradients: model.backward(run, p, keepingUpstream: false).parameters,
          final: run.finalState
        )
      }, alongside: extra)
    var (summedLoss, g) = (0.0, Parameters<Double>.zeros(p.layout))
    let mean = 1 / steps  // the mean: ∂(E/N)/∂θ = (∂E/∂θ)/N
    for k in g.values.indices {
      g.values[k].withUnsafeMutableBufferPointer { sum in
        for walk in walks {  // in row order, in place
          walk.gradients.values[k].withUnsafeBufferPointer { row in
            for i in sum.indices { sum[i] += row[i] }
          }
        }
        for i in sum.indices { sum[i] *= mean }
      }
    }
    for walk in walks { summedLoss += walk.loss }
    return (summedLoss, g, walks.map(\.final), extraResult)
  }
}

extension EchoStep {
  /// `gradients` with the rows side by side: `Lanes.count` rows at a time, lane `i` row
  /// `first + i`, each group's walk on its own core.
  ///
  /// Every lane is its row's walk to the bit: the cell's own forward and backward steps and
  /// the output layer's, on `Lanes` (`+ − × ÷` and the kernels act lane by lane), and the same
  /// sums in the same order (each parameter's shares added t = T−1, …, 0 from 0, the rows'
  /// sums then added in row order), so the result is `gradientsRowByRow`'s, bit for bit
  /// (EchoTests). The step's bookkeeping (arrays, closures, reference counts) is shared by the
  /// rows of a group, and the arithmetic runs on vectors of eight.
  func gradientsSideBySide<B>(
    _ p: Parameters<Lanes>, _ step: SideBySideStep, alongside extra: (() -> B)?
  ) -> (
    summedLoss: Double, gradients: Parameters<Double>, finalStates: [CellState<Double>],
    extra: B?
  ) {
    let groups = stride(from: 0, to: rows.count, by: Lanes.count).map {
      $0..<min($0 + Lanes.count, rows.count)
    }
    let (walks, extraResult) = groups.concurrentMap(
      { walkSideBySide($0, p, step) }, alongside: extra)
    let mean = 1 / steps  // the mean: ∂(E/N)/∂θ = (∂E/∂θ)/N
    // Each entry the rows' sums added in row order from 0, then times the mean.
    let g = p.values.indices.map { k in
      var sum = [Double](repeating: 0, count: p.values[k].count)
      for (group, walk) in zip(groups, walks) {
        Lanes.add(lanes: 0..<group.count, of: walk.gradients[k], to: &sum)
      }
      return sum.map { $0 * mean }
    }
    var summedLoss = 0.0
    for (group, walk) in zip(groups, walks) {
      for lane in 0..<group.count { summedLoss += walk.loss[lane] }
    }
    return (summedLoss, Parameters(p.layout, values: g), walks.flatMap(\.final), extraResult)
  }

  /// One group's chunks forward and back, side by side.
  ///
  /// Returns each lane's loss `E` and gradient sums (per parameter, flat), and each row's
  /// final state. Lanes past the group's last row repeat it; nothing reads them.
  func walkSideBySide(_ group: Range<Int>, _ p: Parameters<Lanes>, _ step: SideBySideStep) -> (
    loss: Lanes, gradients: [[Lanes]], final: [CellState<Double>]
  ) {
    let model = rows[group.lowerBound]
    let (cell, T, dims) = (model.cell, model.xs.count, model.dims)
    // Lane i's row (past the group's last, the last again): its chunk and its state.
    let lanes = (0..<Lanes.count).map { min(group.lowerBound + $0, group.upperBound - 1) }
    let (xs, targets) = (lanes.map { rows[$0].xs }, lanes.map { rows[$0].targets })
    /// Entries `0..<count` side by side: entry `j` of lane `i` is `value(i, j)`.
    func sideBySide(_ count: Int, _ value: (_ lane: Int, _ j: Int) -> Double) -> [Lanes] {
      (0..<count).map { j in Lanes { value($0, j) } }
    }
    let (V, b_y) = (p.matrix(cell.outputNames.weights), p[cell.outputNames.bias])
    var state = CellState(sideBySide: lanes.map { states[$0] })
    // Forward: E = Σ_t E_t, keeping each step's ŷ_t, y_t, s_t = h_t and its step back.
    var (loss, room): (Lanes, OutputStepRoom<Lanes>) = (0, OutputStepRoom())  // room: logits
    var kept: [(yHat: [Lanes], y: [Lanes], s: [Lanes], back: SideBySideBack)] = []
    kept.reserveCapacity(T)
    for t in 0..<T {
      let (next, back) = step(sideBySide(dims.D) { xs[$0][t][$1] }, state)
      let y = sideBySide(dims.K) { targets[$0][t] == $1 ? 1 : 0 }  // each lane's one-hot y_t
      let (yHat, E_t) = outputStepForward(
        s: next.h, V: V, b_y: b_y, target: y, logitsInto: &room)
      loss += E_t
      kept.append((yHat, y, next.h, back))
      state = next
    }
    // Backward: the output layer's shares and ∂E_t/∂h_t, then the cell's, t = T−1, …, 0.
    var sums = LaneSums(p.layout, steps: T)
    var next: CellState<Lanes> = cell.zeroState(dims)
    for t in (0..<T).reversed() {
      let dz = softmaxCrossEntropyBackward(kept[t].yHat, target: kept[t].y)  // ŷ_t − y_t
      let out = outputLayerBackward(dz: dz, s: kept[t].s, V: V)
      out.weights.join(cell.outputNames.weights, into: &sums)  // ∂E_t/∂V = dz ⊗ s_t
      sums.join(cell.outputNames.bias, vector: out.db_y)  // ∂E_t/∂b_y = dz
      // ∂E/∂h_t = ∂E_t/∂h_t + dhNext (`ds .+ dhNext`, the same additions in the same order),
      // written over dhNext's array. dhNext and dcNext are moved out of `next` (one holder
      // each), so that the sum and the step write over them.
      var dh: [Lanes] = []
      swap(&dh, &next.h)
      precondition(dh.count == out.ds.count, "∂E_t/∂h_t and dhNext: H entries each")
      // Its shares join the sums (shared: they add); ∂E/∂h_{t−1} (and c_{t−1}) goes on,
      // dropped at t = 0: the state is a constant.
      next = kept[t].back(
        CellState(
          h: entrywise(consume dh, out.ds) { $1 + $0 }, c: next.c.take(), below: next.below),
        &sums)
    }
    return (loss, sums.total(), (0..<group.count).map(state.lane))
  }
}

/// A group's gradient sums on rows side by side (`EchoStep.walkSideBySide`): what a step back
/// hands its shares to (`SideBySideBack`).
///
/// A weight's shares `a ⊗ b` wait as their factors, the arrays the steps made (kept, not
/// copied), and are added after the last step (`Matrix<Lanes>.addOuters`), as `GradientSums`
/// does on `Double`: the same additions in the same order, each entry's sum held in registers
/// across the steps. A vector's shares are added as they come.
public struct LaneSums: ShareSink {
  /// The variables' names and shapes.
  let layout: Layout
  /// Per variable, what has joined so far (the waiting shares not yet).
  private var sums: [[Lanes]]
  /// Per variable, its outer-product shares still waiting.
  private var waiting: [[(a: [Lanes], b: [Lanes])]]
  /// The variable the last share joined.
  private var last = -1

  /// Zeros in the shape of `layout`, with room for `steps` shares of each weight.
  init(_ layout: Layout, steps: Int) {
    self.layout = layout
    sums = layout.shapes.map { [Lanes](repeating: 0, count: $0.count) }
    waiting = layout.shapes.map { _ in [] }
    for k in waiting.indices where !layout.shapes[k].isVector { waiting[k].reserveCapacity(steps) }
  }

  /// One step's share `a ⊗ b` of `name`'s gradient waits, as its factors, to join the sum.
  public mutating func join(_ name: String, outer a: [Lanes], _ b: [Lanes]) {
    waiting[variable(name)].append((a, b))
  }

  /// One step's share `v` of `name`'s gradient joins the sum.
  public mutating func join(_ name: String, vector v: [Lanes]) {
    let k = variable(name)
    flush(k)  // the shares before this one first: the order of the additions is kept
    sums[k].withUnsafeMutableBufferPointer { sum in for i in v.indices { sum[i] += v[i] } }
  }

  /// Every share added: the sums, per variable.
  mutating func total() -> [[Lanes]] {
    for k in waiting.indices { flush(k) }
    return sums
  }

  /// Variable `k`'s waiting shares added.
  private mutating func flush(_ k: Int) {
    Matrix.addOuters(waiting[k], into: &sums[k])
    waiting[k].removeAll()
  }

  /// Where `name` is, looked for first after the last share's variable.
  private mutating func variable(_ name: String) -> Int {
    last = layout.index(of: name, after: last)
    return last
  }
}

extension CellState<Lanes> {
  /// Rows' states side by side, part by part: entry `j` of lane `i` is row `i`'s (one row a
  /// lane, `Lanes.count` of them).
  init(sideBySide rows: [CellState<Double>]) {
    func sideBySide(_ part: (CellState<Double>) -> [Double]) -> [Lanes] {
      let columns = rows.map(part)  // each row's part, read once
      return columns[0].indices.map { j in Lanes { columns[$0][j] } }
    }
    self.init(
      h: sideBySide { $0.h }, c: rows[0].c.map { _ in sideBySide { $0.cellState } },
      below: rows[0].below.indices.map { l in CellState(sideBySide: rows.map { $0.below[l] }) })
  }

  /// Lane `i`'s state, part by part: the row's walk of that lane.
  func lane(_ i: Int) -> CellState<Double> { mapParts { $0.map { $0[i] } } }
}
