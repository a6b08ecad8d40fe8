// The one walk through time: any cell over T steps, the softmax output layer, the loss
// E = Σ_t E_t, and backpropagation through time. Sources 003 and 004 (BPTT), 001 (the cells
// it runs). Steps are counted t = 0..<T from the initial state.

/// Everything the forward pass over a sequence produces.
///
/// `forward` keeps every step (the backward pass and the traces read them); an oracle's pass
/// keeps the loss and the final state alone (`SequenceModel.walkForward`).
public struct SequenceForward<T: Scalar, Cache>: Sendable where Cache: Sendable {
  /// One per step: what the cell's backward step needs.
  public var caches: [Cache] = []
  /// The state after each step: `h_t` (and `c_t`).
  public var states: [CellState<T>] = []
  /// `ŷ_t`, `K` each.
  public var yHats: [[T]] = []
  /// `E = Σ_t −log ŷ_t[k_t]`.
  public var loss: T = 0
  /// The state after the last step run: the initial state when none ran.
  public var finalState: CellState<T>
  /// A forward pass from `initial`: no steps yet, loss 0.
  @inlinable public init(from initial: CellState<T>) { finalState = initial }
}

/// The gradients of `E` from one walk back through time.
public struct SequenceGradients: Sendable {
  /// `∂E/∂θ` for every parameter, in the model's order and shapes.
  public var parameters: Parameters<Double>
  /// `∂E/∂h` (and `∂E/∂c`) of the initial state.
  public var initialState: CellState<Double>
  /// What the walk handed the cell at step t: `∂E/∂h_t` (from `E_t` and every later step) and,
  /// for an LSTM, `dcNext`, the part of `∂E/∂c_t` that came back from `c_{t+1}`; empty where
  /// the walk was not asked to keep it (`keepingUpstream`).
  public var upstream: [CellState<Double>]

  /// Parameters, then the initial state: the order of the point.
  public var flat: [[Double]] { parameters.values + initialState.parts }
  /// Per variable of the point, the largest single step's contribution summed into it (the
  /// initial state's gradient is not a sum: its own largest entry): the scale of rounding.
  public var magnitudes: [Double] {
    parameters.largestAddend + initialState.parts.map(largestMagnitude)
  }
}

/// How one step's contribution joins a parameter's gradient, in place of `+=`.
public typealias Accumulation =
  @Sendable (_ sum: inout Parameters<Double>, _ name: String, _ contribution: StepGradient) -> Void

/// A model a user can hand data to: a forward function with its hand-derived gradients.
public protocol DifferentiableModel: ForwardFunction {
  /// The loss, the gradients in the order of the point (parameters, then initial state),
  /// and the final state by name.
  func gradients(at point: [Variable]) -> ModelGradients
}

/// What `gradients(at:)` returns.
public struct ModelGradients: Sendable {
  /// The loss `E` at the point.
  public var loss: Double
  /// One per variable of the point, same order and shape.
  public var gradients: [[Double]]
  /// Per variable, the largest single step's contribution to its gradient.
  public var magnitudes: [Double]
  /// `h` (and `c`) after the last step.
  public var finalState: [Variable]
  /// Works out `conditioning` from the forward pass's caches.
  let conditioningOfRun: @Sendable () -> Double

  /// How much cancellation magnifies the backward pass's rounding at this point: worked out
  /// when asked (a check asks; gradients alone, as `grad` and training use them, do not).
  public var conditioning: Double { conditioningOfRun() }
}

/// A cell run over a sequence with a softmax output layer:
/// `ŷ_t = softmax(V h_t + b_y)`, `E = Σ_t −log ŷ_t[k_t]`.
///
/// As a forward function, `E` of the parameters and the initial state for fixed data.
public struct SequenceModel<Cell: RecurrentCell>: DifferentiableModel {
  /// The cell run at every step.
  public var cell: Cell
  /// The inputs `x_t`: T rows of D.
  public var xs: [[Double]]
  /// The class index `k_t` of each step, in `0..<K`.
  public var targets: [Int]
  /// The sizes D, H, K.
  public var dims: Dims
  /// How the initial state is named in a point: `h` (and `c`), or a derivation's `s_{−1}`.
  public var stateNames: [String]
  /// The output layer's backward step (`outputLayerBackward`; the catalogue of mistakes
  /// swaps in a wrong one).
  public var outputBackward:
    @Sendable (_ yHat: [Double], _ target: Int, _ s: [Double], _ V: Matrix<Double>) ->
      OutputLayerGradients = { outputLayerBackward(yHat: $0, target: $1, s: $2, V: $3) }
  /// How one step's contribution joins a parameter's gradient; nil: `+=`, since the weights
  /// are shared by every step (the catalogue of mistakes swaps in `=`).
  public var accumulate: Accumulation?

  /// `cell` over `xs` with `targets`; the initial state under the cell's names by default.
  public init(
    _ cell: Cell, xs: [[Double]], targets: [Int], dims: Dims, stateNames: [String]? = nil
  ) {
    (self.cell, self.xs, self.targets, self.dims) = (cell, xs, targets, dims)
    self.stateNames = stateNames ?? cell.stateNames
  }

  /// The cell's parameters, then the output layer's: the order of every output.
  public var parameters: [ParameterSpec] { cell.parameters + cell.outputParameters }
  /// The loss as a trace names it: `E`, or a chunk's `E_B`.
  public var outputName = "E"
  /// `dynamic_rnn`'s `sequence_length`: past it the state is copied through, the outputs are
  /// zero and no step adds to `E` (a sequence padded to a batch's longest); `nil`: every step.
  public var length: Int?
  /// Which steps carry a loss (source 004's sequence types: only the last for an input
  /// sequence, many-to-one); `nil`: every step.
  public var carriesLoss: [Bool]?
  /// DropoutWrapper's fixed masks on the inputs and the outputs, never on the recurrent
  /// state (source 001); `nil`: no dropout.
  public var dropout: Dropout?
  /// T, the steps one evaluation takes (at least 1).
  public var cost: Int { max(1, xs.count) }
  /// Every step it runs multiplies each entry of every weight matrix (a leaf on a tape) by a
  /// vector's entry and adds the product into a sum, `M x`: two recorded nodes per entry per
  /// step, before any bias, activation or loss.
  public var leastTapeNodes: Int {
    2 * stepsRun * (weightEntries(cell.parameters) + weightEntries(cell.outputParameters))
  }
  /// The steps a pass runs: up to `length`.
  var stepsRun: Int { min(length ?? xs.count, xs.count, targets.count) }
  /// How many entries the weight matrices among `specs` have at this model's sizes.
  func weightEntries(_ specs: [ParameterSpec]) -> Int {
    specs.map { $0.shape(dims) }.filter { !$0.isVector }.reduce(0) { $0 + $1.count }
  }
  /// The cells and the output layer decide nothing from values but the softmax's shift
  /// (`Scalar.largestPrimal`); the masks, `length` and the loss-carrying steps are data.
  public var evaluatesLanesApart: Bool { true }

  /// The point the oracles perturb: the parameters, then the initial state.
  public func point(_ p: Parameters<Double>, initial: CellState<Double>) -> [Variable] {
    p.variables + zip(stateNames, initial.parts).map { Variable($0, $1) }
  }

  /// The parameters of a point (its first variables, by the model's names).
  func parameters<T>(of point: Parameters<T>) -> Parameters<T> {
    Parameters(Layout(parameters, dims), values: Array(point.values.prefix(parameters.count)))
  }

  /// The initial state of a point, by `stateNames`.
  func initialState<T>(of point: Parameters<T>) -> CellState<T> {
    cell.state(stateNames.map { point[$0] })
  }

  /// Forward through time with any step function: the one loop over t.
  ///
  /// `restart(t)`, when it gives a state, replaces the one entering step `t`: a truncated
  /// objective's constant (`TruncatedObjective`). With `keepingSteps` every step's cache,
  /// state and `ŷ_t` are kept, for the backward pass and the traces; without, the loss and the
  /// final state alone (an oracle's pass: the same `E`, without the softmax it would throw away,
  /// and each step's state let go as soon as the next is made). With `rooms`, `x_t` and the
  /// output layer's arrays are the pass before's.
  func walkForward<T: Scalar, Cache>(
    from state: consuming CellState<T>, _ p: Parameters<T>, keepingSteps: Bool = false,
    rooms: PassRooms? = nil, restart: (_ t: Int) -> CellState<T>? = { _ in nil },
    step: (_ x: [T], _ state: inout CellState<T>) -> Cache
  ) -> SequenceForward<T, Cache> {
    var run = SequenceForward<T, Cache>(from: CellState(h: []))  // its final state set below
    if keepingSteps {
      run.caches.reserveCapacity(xs.count)
      run.states.reserveCapacity(xs.count)
      run.yHats.reserveCapacity(xs.count)
    }
    let (V, b_y) = (p.matrix(cell.outputNames.weights), p[cell.outputNames.bias])
    // x_t and the output layer's logits (and an oracle's pass's exponentials): arrays made at
    // the first step and written over at every later one; with `rooms`, the pass before's,
    // moved in for the walk and back after.
    var (x_t, output) = ([T](), OutputStepRoom<T>())
    let room = rooms?.room { (x_t: [T](), output: OutputStepRoom<T>()) }
    func exchange() {  // the room's arrays for the walk's, and back after it
      guard let room else { return }
      swap(&x_t, &room.value.x_t)
      swap(&output, &room.value.output)
    }
    exchange()
    defer { exchange() }
    // Past `length` nothing runs: the state is copied through to the end, unchanged.
    for (t, (x, k)) in zip(xs, targets).prefix(length ?? xs.count).enumerated() {
      if let constant = restart(t) { state = constant }
      lift(dropout?.input(x, t) ?? x, into: &x_t)
      let cache = step(x_t, &state)  // the state is now h_t (and c_t)
      // The output layer sees h_t through the output mask; the next step sees h_t itself.
      let s = dropout.map { state.h .* lift($0.outputMasks[t]) } ?? state.h
      let loss: T
      if keepingSteps {
        let yHat: [T]
        (yHat, loss) = outputStepForward(s: s, V: V, b_y: b_y, target: k, logitsInto: &output)
        run.yHats.append(yHat)
        run.caches.append(consume cache)  // moved, not copied: a copy retains each array
        run.states.append(copy state)  // h_t kept; the walk goes on from it
      } else {
        loss = outputStepLoss(s: s, V: V, b_y: b_y, target: k, into: &output)
      }
      if carriesLoss?[t] ?? true { run.loss += loss }  // E_t = −log ŷ_t[k_t]
    }
    run.finalState = state
    return run
  }

  /// `E` on any `Scalar` (for the oracles), with `rooms` the arrays of the pass before.
  ///
  /// The cell and the output layer read their parameters from the point by name; the
  /// initial state's entries, also in the point, are named apart.
  // Prespecialized for every cell and oracle number: `grad` and `bench` reach this through
  // `any DifferentiableModel`, where generic code would run through witness tables. A stack's
  // too in a debug build, which compiles file by file (notes/Performance.md, twentieth round).
  #if DEBUG
    @_specialize(where Cell == StackedCell, T == Double)
    @_specialize(where Cell == StackedCell, T == Dual)
    @_specialize(where Cell == StackedCell, T == DualLanes)
    @_specialize(where Cell == StackedCell, T == Traced)
    @_specialize(where Cell == StackedCell, T == Lanes)
  #endif
  @_specialize(where Cell == RNNCell, T == Double)
  @_specialize(where Cell == RNNCell, T == Dual)
  @_specialize(where Cell == RNNCell, T == DualLanes)
  @_specialize(where Cell == RNNCell, T == Traced)
  @_specialize(where Cell == RNNCell, T == Lanes)
  @_specialize(where Cell == ConcatRNNCell, T == Double)
  @_specialize(where Cell == ConcatRNNCell, T == Dual)
  @_specialize(where Cell == ConcatRNNCell, T == DualLanes)
  @_specialize(where Cell == ConcatRNNCell, T == Traced)
  @_specialize(where Cell == ConcatRNNCell, T == Lanes)
  @_specialize(where Cell == LSTMCell, T == Double)
  @_specialize(where Cell == LSTMCell, T == Dual)
  @_specialize(where Cell == LSTMCell, T == DualLanes)
  @_specialize(where Cell == LSTMCell, T == Traced)
  @_specialize(where Cell == LSTMCell, T == Lanes)
  @_specialize(where Cell == GRUCell, T == Double)
  @_specialize(where Cell == GRUCell, T == Dual)
  @_specialize(where Cell == GRUCell, T == DualLanes)
  @_specialize(where Cell == GRUCell, T == Traced)
  @_specialize(where Cell == GRUCell, T == Lanes)
  public func evaluate<T: Scalar>(_ point: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    guard let rooms else {
      let step = cell.stepping(point)  // the weights read once
      return [walkForward(from: initialState(of: point), point) { step($0, &$1) }.loss]
    }
    rooms.startPass()
    let step = cell.stepping(point, keeping: rooms)
    // The state's arrays: the pass before's final state, the point's initial state copied in,
    // moved out of the room for the walk (one holder: written over in place) and back after.
    let kept = rooms.room { initialState(of: point) }
    kept.value.updateParts { q, part in overwrite(&part, with: point[stateNames[q]]) }
    var state = CellState<T>(h: [])
    swap(&state, &kept.value)
    var run = walkForward(from: consume state, point, rooms: rooms) { step($0, &$1) }
    swap(&run.finalState, &kept.value)
    return [run.loss]
  }

  /// `E` on any `Scalar`, nothing kept.
  public func evaluate<T: Scalar>(_ point: Parameters<T>) -> [T] {
    evaluate(point, keeping: nil)
  }

  /// The forward pass on `Double`, keeping every step's cache for `backward`.
  public func forward(_ p: Parameters<Double>, from state: CellState<Double>)
    -> SequenceForward<Double, Cell.Cache>
  {
    let p = p.keepingColumns()  // every weight is read at every step: M x from its columns
    let w = cell.weights(p)  // read by name once, not at every step
    return walkForward(from: state, p, keepingSteps: true) { x, state in
      let (next, cache) = cell.forward(x, state, w)
      state = next
      return cache
    }
  }

  /// Backpropagation through time: walk the caches backwards, carrying `dhNext` (and
  /// `dcNext`) from the future steps, and accumulate `+=` into the shared parameters.
  ///
  /// With `truncation`, each error goes back only as far as the style allows
  /// (`TruncatedObjective` is the function whose gradient that is). `eachStep` sees every
  /// step's contribution to every parameter's gradient as it joins the sum: step `t`, the
  /// parameter's name, the values written out (what `grad --compare` fits). Without
  /// `keepingUpstream` the gradients' `upstream` is empty: what the walk handed each step is
  /// for the traces, and a step's backward pass can then work on it in place (`gradients`,
  /// training).
  public func backward(
    _ run: SequenceForward<Double, Cell.Cache>, _ p: Parameters<Double>,
    truncation: Truncation = .none, keepingUpstream: Bool = true,
    eachStep: ((_ t: Int, _ name: String, _ contribution: [Double]) -> Void)? = nil
  ) -> SequenceGradients {
    if case .window(let n) = truncation {
      return backward(run, p, window: n, keepingUpstream: keepingUpstream, eachStep: eachStep)
    }
    var d = WatchedSums(
      GradientSums(p.layout, accumulate: accumulate, steps: run.caches.count), eachStep)
    let (V, w) = (p.matrix(cell.outputNames.weights), cell.weights(p))
    // dhNext (and dcNext): nothing comes back from beyond the last step.
    var next: CellState<Double> = cell.zeroState(dims)
    var upstream: [CellState<Double>] = []
    if keepingUpstream { upstream.reserveCapacity(run.caches.count) }
    for t in run.caches.indices.reversed() {
      d.t = t
      let ds = outputGradients(run, t, V, joining: &d)
      // ∂E/∂h_t: from E_t, and from every later E through h_{t+1} (dhNext); dcNext (and a
      // stack's lower layers' dhNext) as it came, dcNext moved out of `next`, so that the step
      // writes its first gradient over it (`RecurrentCell.backward`).
      let dState = CellState(h: ds .+ next.h, c: next.c.take(), below: next.below)
      if keepingUpstream { upstream.append(dState) }
      // Its shares join the sums (shared weights: gradients add); what step t owes to h_{t−1}
      // (and c_{t−1}) goes on.
      next = cell.backward(dState, run.caches[t], w, joining: &d)
      // A chunk's first step: nothing goes back past it (TensorFlow-style truncation).
      if truncation.stops(before: t) { next = cell.zeroState(dims) }
    }
    return SequenceGradients(
      parameters: d.sums.total(), initialState: next, upstream: upstream.reversed())
  }

  /// Step `t`'s output layer backwards: hands `∂E_t/∂V` and `∂E_t/∂b_y` to `sink`, returns
  /// `∂E_t/∂h_t = Vᵀ(ŷ_t − y_t)`; zeros where step `t` carries no loss.
  func outputGradients<S: ShareSink<Double>>(
    _ run: SequenceForward<Double, Cell.Cache>, _ t: Int, _ V: Matrix<Double>,
    joining sink: inout S
  ) -> [Double] {
    guard carriesLoss?[t] ?? true else { return [Double](repeating: 0, count: dims.H) }
    let mask = dropout?.outputMasks[t]
    let s = mask.map { run.states[t].h .* $0 } ?? run.states[t].h
    let out = outputBackward(run.yHats[t], targets[t], s, V)
    out.weights.join(cell.outputNames.weights, into: &sink)  // Σ_t (ŷ_t − y_t) ⊗ s_t
    sink.join(cell.outputNames.bias, vector: out.db_y)
    return mask.map { out.ds .* $0 } ?? out.ds  // ∂s_t/∂h_t = diag(mask_t)
  }

  /// True truncation: each error `E_t` carried back through its own `n` steps.
  ///
  /// One `dhNext` cannot do this: errors that started at different steps stop at different
  /// steps, so each is walked back on its own (T·n backward steps instead of T). Without a
  /// window they would all stop at the start, and since a backward step is linear in what it
  /// is handed, carrying their sum is the same: that is why full BPTT needs one `dhNext`.
  func backward(
    _ run: SequenceForward<Double, Cell.Cache>, _ p: Parameters<Double>, window n: Int,
    keepingUpstream: Bool,
    eachStep: ((_ t: Int, _ name: String, _ contribution: [Double]) -> Void)?
  ) -> SequenceGradients {
    // Each step is walked back once for every error whose window covers it.
    let walked = run.caches.count * min(n, run.caches.count)
    var d = WatchedSums(GradientSums(p.layout, accumulate: accumulate, steps: walked), eachStep)
    let (V, w) = (p.matrix(cell.outputNames.weights), cell.weights(p))
    let nothing: CellState<Double> = cell.zeroState(dims)
    var initial = nothing
    // What reaches step t, summed over the errors whose windows cover it.
    var upstream = keepingUpstream ? run.caches.map { _ in nothing } : []
    for t in run.caches.indices.reversed() {
      d.t = t
      let ds = outputGradients(run, t, V, joining: &d)
      var dState = CellState(h: ds, c: nothing.c, below: nothing.below)  // E_t's own ∂E_t/∂h_t
      for j in stride(from: t, through: max(0, t - n + 1), by: -1) {
        if keepingUpstream { upstream[j] = upstream[j] + dState }
        d.t = j
        dState = cell.backward(dState, run.caches[j], w, joining: &d)  // one step further back
      }
      if t < n { initial = initial + dState }  // the window reached the initial state
    }
    return SequenceGradients(
      parameters: d.sums.total(), initialState: initial, upstream: upstream)
  }

  /// The largest conditioning of any step of `run`: the cell's (`RecurrentCell.conditioning`)
  /// and the output layer's, whose `ŷ − y` cancels as a prediction nears certainty
  /// (`1 / (1 − ŷ)`, the same for every oracle that differentiates `log Σ e^z − z`).
  public func conditioning(_ run: SequenceForward<Double, Cell.Cache>) -> Double {
    max(
      run.caches.reduce(1) { max($0, cell.conditioning($1)) },
      run.yHats.reduce(1) { max($0, sigmoidConditioning($1)) })
  }

  /// The loss and the hand-derived gradients at `point`, untruncated.
  @_specialize(where Cell == RNNCell)
  @_specialize(where Cell == ConcatRNNCell)
  @_specialize(where Cell == LSTMCell)
  @_specialize(where Cell == GRUCell)
  public func gradients(at point: [Variable]) -> ModelGradients {
    gradients(at: point, truncation: .none)
  }

  /// The loss, and the gradients as `truncation` cuts them (`TruncatedObjective`'s).
  @_specialize(where Cell == RNNCell)
  @_specialize(where Cell == ConcatRNNCell)
  @_specialize(where Cell == LSTMCell)
  @_specialize(where Cell == GRUCell)
  public func gradients(at point: [Variable], truncation: Truncation) -> ModelGradients {
    let all = Parameters(point)
    let (p, initial) = (parameters(of: all), initialState(of: all))
    let run = forward(p, from: initial)
    let g = backward(run, p, truncation: truncation, keepingUpstream: false)
    let final = run.finalState
    return ModelGradients(
      loss: run.loss, gradients: g.flat, magnitudes: g.magnitudes,
      finalState: zip(cell.stateNames, final.parts).map { Variable($0, $1) },
      conditioningOfRun: { conditioning(run) })
  }
}

/// A walk's sums, each share shown first to `eachStep` when it is given (`SequenceModel.backward`):
/// the step it came from, the parameter's name, the share written out.
struct WatchedSums: ShareSink {
  /// The sums the shares join.
  var sums: GradientSums
  /// Who sees each share before it joins; nil: nobody.
  let eachStep: ((_ t: Int, _ name: String, _ contribution: [Double]) -> Void)?
  /// The step whose shares come now.
  var t = 0

  /// `sums`, each share shown to `eachStep` first.
  init(_ sums: GradientSums, _ eachStep: ((Int, String, [Double]) -> Void)?) {
    (self.sums, self.eachStep) = (sums, eachStep)
  }

  mutating func join(_ name: String, outer a: [Double], _ b: [Double]) {
    eachStep?(t, name, StepGradientOf.outer(a, b).values)
    sums.join(name, outer: a, b)
  }

  mutating func join(_ name: String, vector v: [Double]) {
    eachStep?(t, name, v)
    sums.join(name, vector: v)
  }
}
