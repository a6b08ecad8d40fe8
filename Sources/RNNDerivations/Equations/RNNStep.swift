// The vanilla RNN step — sources 000/001 (`h_t = φ(W h_{t−1} + U x_t + b)`), 003, 004.

/// What `rnnStepBackward` needs from the forward pass.
public struct RNNStepCache<T: Scalar>: Sendable {
  /// The input `x_t` (D).
  public var x: [T]
  /// The previous state `h_{t−1}` (H).
  public var hPrev: [T]
  /// The new state `h_t` (H): `1 − h_t²` is tanh's derivative.
  public var h: [T]
  /// The three values the forward step keeps.
  @inlinable public init(x: [T], hPrev: [T], h: [T]) {
    (self.x, self.hPrev, self.h) = (x, hPrev, h)
  }
}

/// `h_t = tanh(W h_{t−1} + U x_t + b)`.
/// - Parameters:
///   - x: input `x_t`, `D`.
///   - hPrev: previous state `h_{t−1}`, `H`.
///   - W: recurrent weights, `H×H`.
///   - U: input weights, `H×D`.
///   - b: bias, `H`.
/// - Returns: the new state `h_t`, `H`, and the cache.
@inlinable public func rnnStepForward<T: Scalar>(
  x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>, b: [T]
) -> (h: [T], cache: RNNStepCache<T>) {
  var cache = RNNStepCache(x: x, hPrev: hPrev, h: [])
  rnnStepForward(x: x, hPrev: hPrev, W: W, U: U, b: b, into: &cache)
  return (cache.h, cache)
}

/// The same step written into `cache`: `h_t` into `cache.h`, its array reused where no one
/// else holds it (an oracle's pass hands every step the room the step before left: `stepping`).
@inlinable public func rnnStepForward<T: Scalar>(
  x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>, b: [T], into cache: inout RNNStepCache<T>
) {
  affineForward(x: x, hPrev: hPrev, W: W, U: U, b: b, into: &cache.h)  // a = W h_{t−1} + U x_t + b
  update(&cache.h) { tanhForward($0) }  // h_t = tanh(a), in place
  (cache.x, cache.hPrev) = (x, hPrev)
}

/// Backward through one step, given `dh = ∂E/∂h_t` from above.
/// - Parameters:
///   - dh: upstream gradient `∂E/∂h_t`, `H`.
///   - cache: from `rnnStepForward`.
///   - W: recurrent weights, `H×H`; U: input weights, `H×D`.
public func rnnStepBackward<T: Scalar>(
  _ dh: consuming [T], cache: RNNStepCache<T>, W: Matrix<T>, U: Matrix<T>
) -> AffineGradientsOf<T> {
  let da = tanhBackward(dh, h: cache.h)  // through tanh: 1 − h_t²
  return affineBackward(da, x: cache.x, hPrev: cache.hPrev, W: W, U: U)
}

// MARK: - The affine map every cell shares

/// `a = W h_{t−1} + U x_t + b`: the pre-activation of the RNN step and of every gate, written
/// into `a`, its array reused where no one else holds it.
@inlinable public func affineForward<T: Scalar>(
  x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>, b: [T], into a: inout [T]
) {
  // W * hPrev .+ U * x .+ b, the same additions in one array instead of four.
  Matrix.affine(W, hPrev, U, x, b, into: &a)
}

/// Gradients of `a = W h_{t−1} + U x_t + b` with respect to everything it reads, on any
/// `Scalar` (`AffineGradients` on `Double`).
///
/// The weight gradients are outer products, kept as their two factors: `dW` and `dU` write
/// them out when read; the walk adds them into its sums without forming them
/// (`OuterGradientOf.join`).
public struct AffineGradientsOf<T: Scalar>: Sendable {
  /// `∂E/∂a`, what `dx` is formed from.
  let da: [T]
  /// `∂E/∂W = da ⊗ h_{t−1}` and `∂E/∂U = da ⊗ x_t`, unless given outright.
  var weights: (W: OuterGradientOf<T>, U: OuterGradientOf<T>)
  /// `∂E/∂b = da` (`∂a/∂b = I`), unless given outright.
  public var db: [T]
  /// `∂E/∂h_{t−1} = Wᵀ da` (H).
  public var dhPrev: [T]
  /// `U`, what `dx` is formed with.
  let U: Matrix<T>
  /// `∂E/∂x_t` given outright; nil: formed from `U` when read.
  var givenDx: [T]?
  // Its initialisers, in the extension below, go through the memberwise one: a hand-written one
  // left a copy of this large value at every step (notes/Performance.md, nineteenth round).

  /// `∂E/∂x_t = Uᵀ da` (D), formed when read, unless given outright.
  ///
  /// Only a stack's upper layer reads it, to hand it to the layer below. A single layer's walk
  /// never does (`x_t` is data, not a variable), and skips its H·D multiply–adds at every step.
  public var dx: [T] {
    get { givenDx ?? U.transposeTimes(da) }  // ∂a/∂x_t = U: Uᵀ da
    set { givenDx = newValue }
  }

  /// `da ⊗ h_{t−1}`: `∂a_i/∂W_ij = h_{t−1,j}`.
  public var dW: Matrix<T> {
    get { weights.W.matrix }
    set { weights.W.matrix = newValue }
  }
  /// `da ⊗ x_t`: `∂a_i/∂U_ij = x_j`.
  public var dU: Matrix<T> {
    get { weights.U.matrix }
    set { weights.U.matrix = newValue }
  }
}

extension AffineGradientsOf {
  /// The factors, as the backward pass leaves them: `dW`, `dU` and `db` formed from them, and
  /// `dx` from `U` when read.
  public init(da: [T], hPrev: [T], x: [T], dhPrev: [T], U: Matrix<T>) {
    self.init(da: da, W: OuterGradientOf(da, hPrev), x: x, dhPrev: dhPrev, U: U)
  }

  /// The same with `∂E/∂W` given as other factors (a reset-after GRU candidate's:
  /// `GRUCandidateGradients`).
  init(da: [T], W: OuterGradientOf<T>, x: [T], dhPrev: [T], U: Matrix<T>) {
    self.init(da: da, weights: (W, OuterGradientOf(da, x)), db: da, dhPrev: dhPrev, U: U)
  }

  /// Every gradient written out (a learner's answer, a catalogued mistake); `da` is `db`
  /// (`∂a/∂b = I`).
  public init(
    dW: Matrix<T>, dU: Matrix<T>, db: [T], dhPrev: [T], dx: [T]
  ) {
    self.init(
      da: db, weights: (OuterGradientOf(given: dW), OuterGradientOf(given: dU)), db: db,
      dhPrev: dhPrev, U: .zeros(0, 0), givenDx: dx)
  }
}

/// The gradients of an affine map on `Double`: what a step's backward pass returns.
public typealias AffineGradients = AffineGradientsOf<Double>

/// Backward through `a = W h_{t−1} + U x_t + b`, given `da = ∂E/∂a`.
public func affineBackward<T: Scalar>(
  _ da: [T], x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>
) -> AffineGradientsOf<T> {
  AffineGradientsOf(
    da: da, hPrev: hPrev, x: x,  // dW = da ⊗ h_{t−1}, dU = da ⊗ x_t, db = da
    dhPrev: W.transposeTimes(da),  // ∂a/∂h_{t−1} = W: Wᵀ da
    U: U)  // dx = Uᵀ da, formed when read
}

/// The weights of one gate: `W` (`H×H`) on `h_{t−1}`, `U` (`H×D`) on `x_t`, bias `b` (`H`).
public struct GateParameters<T: Scalar>: Sendable {
  /// The recurrent weights `W` (H×H), on `h_{t−1}`.
  public var W: Matrix<T>
  /// The input weights `U` (H×D), on `x_t`.
  public var U: Matrix<T>
  /// The bias `b` (H).
  public var b: [T]
  /// A gate's weights, given one by one.
  public init(W: Matrix<T>, U: Matrix<T>, b: [T]) { (self.W, self.U, self.b) = (W, U, b) }

  /// Gate `g`'s `W_g`, `U_g`, `b_g`, read by name (looked for first where a cell declares
  /// them: together, in that order).
  @inlinable public init(_ p: Parameters<T>, _ g: GateNames) {
    let W = p.layout.index(of: g.W)
    let U = p.layout.index(of: g.U, guess: W + 1)
    let b = p.layout.index(of: g.b, guess: U + 1)
    self.init(W: p.matrix(at: W), U: p.matrix(at: U), b: p.values[b])
  }
}

extension AffineGradientsOf {
  /// This step's gradients of gate `g`'s weights, by name.
  public func named(_ g: GateNames) -> [(name: String, gradient: StepGradientOf<T>)] {
    var shares = ShareList<T>(capacity: 3)
    join(g, into: &shares)
    return shares.list
  }

  /// The same three handed to `sink`: a cell's gates one after another.
  func join<S: ShareSink<T>>(_ g: GateNames, into sink: inout S) {
    weights.W.join(g.W, into: &sink)
    weights.U.join(g.U, into: &sink)
    sink.join(g.b, vector: db)
  }
}

/// A sigmoid gate `σ(W h_{t−1} + U x_t + b + bias)` (LSTM input/forget/output, GRU reset/update).
@inlinable public func gateForward<T: Scalar>(
  x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>, b: [T], bias: Double = 0
) -> [T] {
  var gate: [T] = []
  gateForward(x: x, hPrev: hPrev, W: W, U: U, b: b, bias: bias, into: &gate)
  return gate
}

/// The same gate written into `gate`, its array reused where no one else holds it.
@inlinable public func gateForward<T: Scalar>(
  x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>, b: [T], bias: Double = 0,
  into gate: inout [T]
) {
  affineForward(x: x, hPrev: hPrev, W: W, U: U, b: b, into: &gate)  // a = W h_{t−1} + U x_t + b
  for i in gate.indices { gate[i] = gate[i] + T(bias) }  // in place: no array for a + bias
  update(&gate) { sigmoidForward($0) }  // σ in place too
}

/// Backward through a sigmoid gate, given `dGate = ∂E/∂gate` and the gate's output.
public func gateBackward<T: Scalar>(
  _ dGate: consuming [T], gate: [T], x: [T], hPrev: [T], W: Matrix<T>, U: Matrix<T>
) -> AffineGradientsOf<T> {
  let da = sigmoidBackward(dGate, s: gate)  // through σ: gate(1 − gate)
  return affineBackward(da, x: x, hPrev: hPrev, W: W, U: U)
}

// MARK: - The cell

/// The vanilla RNN as a cell: parameters `U` (`H×D`), `W` (`H×H`), `b` (`H`).
public struct RNNCell: RecurrentCell {
  /// The vanilla RNN cell: its parameters are its only settings.
  public init() {}
  /// The step's names, `W`, `U` and `b`, without a gate's suffix.
  public static let names = GateNames(W: "W", U: "U", b: "b")
  /// `U` (H×D), `W` (H×H), `b` (H), in that order.
  public var parameters: [ParameterSpec] {
    [
      ParameterSpec(Self.names.U, .H, .D, scale: 0.6),
      ParameterSpec(Self.names.W, .H, .H, scale: 0.5), ParameterSpec(Self.names.b, .H, scale: 0.1),
    ]
  }

  /// One RNN step on any `Scalar`: `h_t = tanh(W h_{t−1} + U x_t + b)`.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    stepOnce(x, state, p)
  }

  /// The RNN step with `W`, `U` and `b` read once.
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    let w = Self.gate(p)
    let room = PassRooms.room(in: rooms) { RNNStepCache<T>(x: [], hPrev: [], h: []) }
    return { x, state in
      rnnStepForward(x: x, hPrev: state.h, W: w.W, U: w.U, b: w.b, into: &room.value)
      swap(&state.h, &room.value.h)  // h_t; h_{t−1}'s array is room for the next step's
      (room.value.x, room.value.hPrev) = ([], [])  // the inputs let go: one holder each
    }
  }

  /// `W`, `U` and `b`, read by name.
  public func weights(_ p: Parameters<Double>) -> GateParameters<Double> { Self.gate(p) }

  /// `W`, `U` and `b` of `p`, each looked up by its name: `GateParameters(p, names)` guesses
  /// each name after the last in a gate's order, `W, U, b`, where this cell's is `U, W, b`, and
  /// two missed guesses cost the oracles' pass 3–4% at the tiny size.
  static func gate<T: Scalar>(_ p: Parameters<T>) -> GateParameters<T> {
    GateParameters(W: p.matrix(names.W), U: p.matrix(names.U), b: p[names.b])
  }

  /// One RNN step on `Double`, keeping its cache for `backward`.
  public func forward(_ x: [Double], _ state: CellState<Double>, _ w: GateParameters<Double>)
    -> (state: CellState<Double>, cache: RNNStepCache<Double>)
  {
    let (h, cache) = rnnStepForward(x: x, hPrev: state.h, W: w.W, U: w.U, b: w.b)
    return (CellState(h: h), cache)
  }

  /// Backward through one RNN step, given `∂E/∂h_t`.
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: RNNStepCache<Double>,
    _ w: GateParameters<Double>
  )
    -> CellGradients
  {
    Self.cellGradients(rnnStepBackward(dState.handedOn().h, cache: cache, W: w.W, U: w.U))
  }

  /// The same, its shares handed to `sink`.
  public func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: RNNStepCache<Double>,
    _ w: GateParameters<Double>, joining sink: inout S
  ) -> CellState<Double> {
    Self.stepBack(dState, cache, w, joining: &sink)
  }

  /// One step back on any `Scalar`, its shares handed to `sink`, `∂E/∂h_{t−1}` returned: the
  /// walk's (`backward(_:_:_:joining:)`) and the echo training's (`sideBySide`).
  static func stepBack<T: Scalar, S: ShareSink<T>>(
    _ dState: consuming CellState<T>, _ cache: RNNStepCache<T>, _ w: GateParameters<T>,
    joining sink: inout S
  ) -> CellState<T> {
    let g = rnnStepBackward(dState.handedOn().h, cache: cache, W: w.W, U: w.U)
    join(g, into: &sink)
    return CellState(h: g.dhPrev)
  }

  /// The RNN step and its backward step on rows side by side, `W`, `U` and `b` read once.
  public func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep? {
    let w = Self.gate(p)
    return { x, state in
      let (h, cache) = rnnStepForward(x: x, hPrev: state.h, W: w.W, U: w.U, b: w.b)
      return (CellState(h: h), { Self.stepBack($0, cache, w, joining: &$1) })
    }
  }

  /// One step's gradients as the walk takes them: by parameter name, then `∂E/∂h_{t−1}`.
  public static func cellGradients(_ g: consuming AffineGradients) -> CellGradients {
    let dhPrev = g.dhPrev
    var parameters = ShareList<Double>(capacity: 3)
    join(g, into: &parameters)
    let g = consume g  // moved into dx's closure, not copied
    return CellGradientsOf(
      parameters: parameters.list,
      dStatePrev: CellState(h: dhPrev),
      dx: g.dx)
  }

  /// One step's shares handed to `sink` by parameter name, in the parameters' order.
  static func join<T: Scalar, S: ShareSink<T>>(_ g: AffineGradientsOf<T>, into sink: inout S) {
    g.weights.U.join(names.U, into: &sink)
    g.weights.W.join(names.W, into: &sink)
    sink.join(names.b, vector: g.db)
  }

  /// `1 − h_t²`, the only derivative in the step.
  public func conditioning(_ cache: RNNStepCache<Double>) -> Double { tanhConditioning(cache.h) }
}
