// The trace of `rnn-explain show vanishing-gradients` and the figures of `rnn-explain
// vanishing`: the Jacobian products of Equations/VanishingGradients.swift for the vanilla RNN,
// the LSTM and the GRU, each checked against the oracles through the one walk through time.

/// The cells `rnn-explain vanishing --model` runs.
public enum VanishingModel: String, Sendable, CaseIterable {
  case rnn, lstm, gru

  /// The same model as `grad` names it, whose `cell()` builds it.
  public var kind: ModelKind {
    switch self {
    case .rnn: .rnn
    case .lstm: .lstm
    case .gru: .gru
    }
  }
}

/// `state_t` as a function of the initial state `state_0`: the first `t` steps of the walk
/// through time (`SequenceModel.walkForward`) with the cell's generic `step`, every parameter
/// a constant (for the oracles).
struct StatePropagation<Cell: RecurrentCell>: ForwardFunction {
  /// The walk over the first `t` inputs; its `stateNames` name the point's variables.
  var model: SequenceModel<Cell>
  var p: Parameters<Double>
  var outputName: String
  var cost: Int { model.cost }
  /// As `model`'s walk: the weights are constants.
  var evaluatesLanesApart: Bool { model.evaluatesLanesApart }

  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] { evaluate(v, keeping: nil) }

  /// The same, the weights lifted once for every pass and the step's arrays kept in `rooms`.
  func evaluate<T: Scalar>(_ v: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    rooms?.startPass()
    let constants = rooms?.room { Parameters<T>(constants: p) }.value ?? Parameters(constants: p)
    let step = model.cell.stepping(constants, keeping: rooms)
    let run = model.walkForward(from: model.initialState(of: v), constants, rooms: rooms) {
      step($0, &$1)
    }
    return run.finalState.parts.flatMap { $0 }
  }
}

/// A run of one cell for the vanishing-gradient figures: random weights with every recurrent
/// matrix rescaled to spectral norm `scale`, small inputs, and every step's state Jacobian.
struct VanishingExample<Cell: RecurrentCell> {
  var model: SequenceModel<Cell>
  var p: Parameters<Double>
  var initial: CellState<Double>
  var run: SequenceForward<Double, Cell.Cache>
  var jacobians: StateJacobians
  /// The recurrent matrices (`H×H`: `W`, or `W_i … W_c`, `W_r … W_h`) by name, each with its
  /// spectral norm measured after rescaling.
  var recurrent: [(name: String, norm: Double)]

  /// Draws the parameters, each recurrent matrix rescaled to spectral norm `config.scale`.
  ///
  /// The cell's parameters are drawn at their declared scales; each recurrent matrix is then
  /// divided by its spectral norm and multiplied by `config.scale`, so that `‖W‖₂ = scale`:
  /// below 1 the vanilla RNN's products must vanish, above it they may explode. Inputs and the
  /// initial state are small (uniform in ±0.1) so that units start unsaturated.
  init(_ cell: Cell, _ config: Config) {
    var rng = SplitMix64(seed: config.seed)
    let dims = config.dims
    var p = Parameters.random(cell.parameters + cell.outputParameters, dims, &rng)
    let names = cell.parameters.filter { $0.rows == .H && $0.cols == .H }.map(\.name)
    for name in names {
      let W = p.matrix(name)
      let norm = spectralNorm(W)
      p.replace(name, with: W.storage.map { $0 / norm * config.scale })
    }
    let xs = (0..<config.steps).map { _ in rng.vector(dims.D, scale: 0.1) }
    let targets = (0..<config.steps).map { _ in rng.index(below: dims.K) }
    let h = rng.vector(dims.H, scale: 0.1)
    initial = CellState(h: h, c: cell.hasCellState ? rng.vector(dims.H, scale: 0.1) : nil)
    model = SequenceModel(
      cell, xs: xs, targets: targets, dims: dims,
      stateNames: cell.hasCellState ? ["h_0", "c_0"] : ["h_0"])
    self.p = p
    run = model.forward(p, from: initial)
    jacobians = stateJacobians(cell, run.caches, p, hidden: dims.H)
    recurrent = names.map { ($0, spectralNorm(p.matrix($0))) }
  }

  var H: Int { model.dims.H }

  /// `P_t`'s block `∂h_t/∂h_0` (`t = lag`).
  func dh(_ lag: Int) -> Matrix<Double> {
    jacobians.products[lag - 1].block(rows: 0..<H, cols: 0..<H)
  }

  /// `P_t`'s block `∂c_t/∂c_0`, for a cell that carries `c`.
  func dc(_ lag: Int) -> Matrix<Double> {
    jacobians.products[lag - 1].block(rows: H..<2 * H, cols: H..<2 * H)
  }

  /// The hand-derived `∂state_t/∂state_0` against every oracle, through the first `lag` steps
  /// of the walk: one check per part of the initial state (`h_0`, and `c_0`).
  func check(lag: Int, seed: UInt64) -> [GradientCheck] {
    let cell = model.cell
    let prefix = SequenceModel(
      cell, xs: Array(model.xs.prefix(lag)), targets: Array(model.targets.prefix(lag)),
      dims: model.dims, stateNames: model.stateNames)
    let output = cell.hasCellState ? "(h_\(lag), c_\(lag))" : "h_\(lag)"
    let f = StatePropagation(model: prefix, p: p, outputName: output)
    let point = zip(model.stateNames, initial.parts).map { Variable($0, $1) }
    let P = jacobians.products[lag - 1]
    let columns = point.indices.map { $0 * H..<($0 + 1) * H }  // h_0, then c_0
    // Rounding scale: the product of the absolute Jacobians, per initial-state part.
    let magnitude = jacobians.magnitudes[lag - 1]
    return verify(
      f, at: point, analytic: columns.map { P.columns($0).storage }, seed: seed,
      conditioning: run.caches.prefix(lag).reduce(1) { max($0, cell.conditioning($1)) },
      magnitudes: columns.map { magnitude.columns($0).storage.max() ?? 0 })
  }

  /// The figures of `rnn-explain vanishing`: norms by lag, the bound for the vanilla RNN, and
  /// the step and whole-product checks.
  func report(_ kind: VanishingModel, _ config: Config) -> VanishingReport {
    let lags = Array(1...config.steps)
    let W = recurrent.first?.norm ?? 0
    return VanishingReport(
      model: kind, config: config, recurrent: recurrent, lags: lags,
      normH: lags.map { spectralNorm(dh($0)) },
      normC: model.cell.hasCellState ? lags.map { spectralNorm(dc($0)) } : nil,
      bound: kind == .rnn
        ? lags.map { vanishingBound(gamma: tanhGamma, spectralNorm: W, lag: $0) } : nil,
      largestState: run.states.map { largestMagnitude($0.h) },
      checks: check(lag: 1, seed: config.seed)
        + (config.steps > 1 ? check(lag: config.steps, seed: config.seed) : []))
  }
}

/// The norms of `∂h_t/∂h_0` (and `∂c_t/∂c_0`) against the lag `t`, for one cell and config:
/// what `rnn-explain vanishing` prints and plots.
public struct VanishingReport: Sendable {
  /// The cell whose products are measured: `rnn`, `lstm` or `gru`.
  public var model: VanishingModel
  /// The seed, sizes and `T`; `scale` is every recurrent matrix's spectral norm.
  public var config: Config
  /// Each recurrent matrix and its spectral norm (power iteration on `WᵀW`): `config.scale`.
  public var recurrent: [(name: String, norm: Double)]
  /// `1…T`.
  public var lags: [Int]
  /// `‖∂h_t/∂h_0‖₂` (spectral norm, by power iteration) at each lag.
  public var normH: [Double]
  /// `‖∂c_t/∂c_0‖₂` for the LSTM, nil otherwise.
  public var normC: [Double]?
  /// `(γ ‖W‖₂)^t`, `γ = 1` for tanh: the vanilla RNN's bound; nil for the gated cells.
  public var bound: [Double]?
  /// `max_i |h_{t,i}|`: how close the units are to saturation (1) at each step.
  public var largestState: [Double]
  /// The hand-derived step Jacobian (lag 1) and whole product (lag T) against every oracle.
  public var checks: [GradientCheck]

  /// Runs `model` at `config` (`config.scale` is the spectral norm of each recurrent matrix).
  public init(_ model: VanishingModel, _ config: Config) {
    switch model {
    case .rnn: self = VanishingExample(RNNCell(), config).report(model, config)
    case .lstm: self = VanishingExample(lstmCell, config).report(model, config)
    case .gru: self = VanishingExample(gruCell, config).report(model, config)
    }
  }

  init(
    model: VanishingModel, config: Config, recurrent: [(name: String, norm: Double)],
    lags: [Int], normH: [Double], normC: [Double]?, bound: [Double]?, largestState: [Double],
    checks: [GradientCheck]
  ) {
    (self.model, self.config, self.recurrent, self.lags) = (model, config, recurrent, lags)
    (self.normH, self.normC, self.bound) = (normH, normC, bound)
    (self.largestState, self.checks) = (largestState, checks)
  }

  /// `‖∂h_t/∂h_0‖₂ / (γ‖W‖₂)^t` at each lag: at most 1 for the vanilla RNN.
  public var ratio: [Double]? { bound.map { zip(normH, $0).map { $0 / $1 } } }

  /// Every check passed.
  public var passed: Bool { checks.allSatisfy(\.passed) }

  /// The table as a matrix, one row per lag: `t`, `‖∂h‖`, then `‖∂c‖` or the bound and the
  /// ratio, then `max|h_t|` (how a trace shows it).
  public var table: Matrix<Double> {
    var columns: [[Double]] = [lags.map(Double.init), normH]
    if let normC { columns.append(normC) }
    if let bound, let ratio { columns += [bound, ratio] }
    columns.append(largestState)
    return Matrix(
      rows: lags.count, cols: columns.count,
      storage: lags.indices.flatMap { t in columns.map { $0[t] } })
  }

  /// The table's column names, in order.
  public var columnNames: [String] {
    ["t − k", "‖∂h_t/∂h_k‖₂"] + (normC == nil ? [] : ["‖∂c_t/∂c_k‖₂"])
      + (bound == nil ? [] : ["(γ‖W‖₂)^(t−k)", "ratio"]) + ["max|h_t|"]
  }
}

/// The LSTM of the figures: TF `BasicLSTMCell`'s forget bias 1, so `f ≈ σ(1) = 0.73` at first.
let lstmCell = LSTMCell(forgetBias: 1)
/// The GRU of the figures: reset-before, as source 001 and TF `GRUCell`.
let gruCell = GRUCell(variant: .resetBefore)

func vanishingGradientsTrace(_ config: Config) -> [TraceStep] {
  let rnn = VanishingExample(RNNCell(), config)
  let report = rnn.report(.rnn, config)
  let W = rnn.p.matrix("W")
  let J1 = rnn.jacobians.steps[0]
  let h1 = rnn.run.states[0].h
  let explicit = W.scalingRows(by: h1.map { 1 - $0 * $0 })  // diag(1 − h_1²) W, formed directly
  let identity = GradientCheck(
    quantity: "∂h_1/∂h_0 (backward on unit vectors)", parameter: "h_0",
    reference: "diag(1 − h_1²) W", shape: .matrix(J1.rows, J1.cols), analytic: J1.storage,
    expected: explicit.storage, tolerance: Tolerances.identity)
  let T = config.steps
  var steps = [
    TraceStep(
      "The regime: ‖W‖₂ = scale",
      equation: "‖W‖₂ = σ_max(W) = √λ_max(WᵀW),  v ← WᵀW v / ‖WᵀW v‖,  ‖W v‖ → ‖W‖₂",
      latex:
        #"\lVert W\rVert_2 = \sigma_{\max}(W) = \sqrt{\lambda_{\max}(W^\top W)}"#,
      note:
        "W is drawn, divided by its spectral norm (power iteration on WᵀW from v = 1/√H) and "
        + "multiplied by the scale (\(config.scale)): ‖W‖₂ = scale. Inputs and h_0 are uniform "
        + "in ±0.1, so units start near 0, where tanh' = 1. States are counted as grad counts "
        + "them: h_0 the initial state, h_t after input x_t; here k = 0.",
      values: [NamedValue("W", W), NamedValue("‖W‖₂ (power iteration)", rnn.recurrent[0].norm)]),
    TraceStep(
      "rnn: one step's Jacobian from the backward pass",
      equation:
        "∂h_j/∂h_{j−1} = diag(1 − h_j²) W;  row i = backward(e_i) = Jᵀ e_i,  H backward calls",
      latex:
        #"\frac{\partial h_j}{\partial h_{j-1}} = \operatorname{diag}(1 - h_j^2)\,W"#,
      note:
        "No Jacobian is written by hand: the cell's backward step returns ∂E/∂h_{j−1} = Jᵀ ∂E/∂h_j, "
        + "so ∂E/∂h_j = e_i gives row i. The same code gives the LSTM's and the GRU's.",
      values: [NamedValue("h_1", h1), NamedValue("∂h_1/∂h_0", J1)],
      checks: [identity] + report.checks.filter { $0.quantity.hasPrefix("∂h_1/") }),
    TraceStep(
      "rnn: the product over \(T) steps, beside the bound",
      equation:
        "‖∂h_t/∂h_k‖₂ = ‖Π_{j=k+1..t} diag(1 − h_j²) W‖₂ ≤ Π ‖diag(1 − h_j²)‖₂ ‖W‖₂ ≤ (γ‖W‖₂)^(t−k)",
      latex:
        #"\Big\lVert \prod_{j=k+1}^{t} \operatorname{diag}(1-h_j^2)\,W \Big\rVert_2 \le (\gamma\lVert W\rVert_2)^{t-k},\ \gamma = \max\tanh' = 1"#,
      note:
        "Norms are spectral (power iteration on PᵀP). γ = max tanh' = 1 (a logistic sigmoid's "
        + "would be 1/4). Below ‖W‖₂ = 1 the product must vanish geometrically. Above it, it can "
        + "grow while the units stay near 0; but growth drives h towards ±1, where 1 − h² → 0 "
        + "shrinks every later factor: saturation, visible in max|h_t|, bounds the growth.",
      values: [NamedValue(report.columnNames.joined(separator: " | "), report.table)],
      checks: T > 1 ? report.checks.filter { $0.quantity.hasPrefix("∂h_\(T)/") } : []),
  ]
  steps.append(gatedStep(VanishingExample(lstmCell, config), .lstm, config))
  steps.append(gatedStep(VanishingExample(gruCell, config), .gru, config))
  return steps
}

/// The LSTM's or the GRU's products: the same generic code, with `∂c` for the LSTM.
private func gatedStep<Cell>(
  _ ex: VanishingExample<Cell>, _ kind: VanishingModel, _ config: Config
) -> TraceStep {
  let report = ex.report(kind, config)
  let lstm = kind == .lstm
  return TraceStep(
    lstm ? "lstm: ∂h and ∂c through the forget gate" : "gru: ∂h through the update gate",
    equation: lstm
      ? "∂c_t/∂c_{t−1} = diag(f_t) + (paths through h_{t−1});  ∂(h_t, c_t)/∂(h_0, c_0) = Π J_j, 2H×2H"
      : "∂h_t/∂h_{t−1} = diag(z_t) + (paths through the gates and h̃_t);  ∂h_t/∂h_0 = Π J_j",
    latex: lstm
      ? #"\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t) + \dots"#
      : #"\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(z_t) + \dots"#,
    note: lstm
      ? "2H backward calls per step (unit vectors in h, then c). Every W_* has ‖W_*‖₂ = scale. "
        + "The cell path f_t ⊙ c_{t−1} has no W and no tanh': ∂c_t/∂c_k is close to "
        + "diag(Π_j f_j), whose norm is that of the unit whose forget gate stays nearest 1 "
        + "(forget bias 1 here, as TF BasicLSTMCell). It decays far slower than ∂h: the reason "
        + "LSTMs remember."
      : "H backward calls per step. The direct path z_t ⊙ h_{t−1} carries ∂h back without W, "
        + "scaled by z: a unit whose update gate stays near 1 keeps its past. With random gates "
        + "z is near 1/2, and ∂h decays much as the vanilla RNN's does.",
    values: [NamedValue(report.columnNames.joined(separator: " | "), report.table)],
    checks: report.checks)
}
