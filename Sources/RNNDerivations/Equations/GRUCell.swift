// The GRU cell — source 001's equations (TF GRUCell, reset before the matrix product),
// corrected (gates read x_t), and the reset-after convention of PyTorch, cuDNN and Keras.

/// The two GRU conventions.
public enum GRUVariant: String, Sendable, CaseIterable {
  /// Source 001, TF GRUCell: `h̃ = tanh(W_h (r ⊙ h_{t−1}) + U_h x_t + b_h)`.
  case resetBefore = "reset-before"
  /// PyTorch, cuDNN, Keras default: `h̃ = tanh(r ⊙ (W_h h_{t−1} + b_hn) + U_h x_t + b_h)`,
  /// where the recurrent bias `b_hn` (PyTorch's `bias_hh` n-part, Keras's recurrent bias) is
  /// optional: zero when a model has none.
  case resetAfter = "reset-after"
}

/// The candidate `h̃_t` in either convention.
/// - reset-before: `tanh(W_h (r_t ⊙ h_{t−1}) + U_h x_t + b_h)`
/// - reset-after: `tanh(r_t ⊙ (W_h h_{t−1} + b_hn) + U_h x_t + b_h)`, `b_hn` nil: none
@inlinable public func gruCandidateForward<T: Scalar>(
  x: [T], hPrev: [T], r: [T], p: GateParameters<T>, variant: GRUVariant, b_hn: [T]? = nil
) -> [T] {
  var candidate: [T] = []
  gruCandidateForward(
    x: x, hPrev: hPrev, r: r, p: p, variant: variant, b_hn: b_hn, into: &candidate)
  return candidate
}

/// The same written into `candidate`, its array reused where no one else holds it.
@inlinable public func gruCandidateForward<T: Scalar>(
  x: [T], hPrev: [T], r: [T], p: GateParameters<T>, variant: GRUVariant, b_hn: [T]? = nil,
  into candidate: inout [T]
) {
  switch variant {
  case .resetBefore: p.W.times(r .* hPrev, into: &candidate)  // W_h (r ⊙ h_{t−1})
  case .resetAfter:
    p.W.times(hPrev, into: &candidate)  // W_h h_{t−1}
    if let b_hn {  // r ⊙ (W_h h_{t−1} + b_hn)
      for j in candidate.indices { candidate[j] = r[j] * (candidate[j] + b_hn[j]) }
    } else {  // r ⊙ W_h h_{t−1}
      for j in candidate.indices { candidate[j] = r[j] * candidate[j] }
    }
  }
  p.U.add(x, plus: p.b, to: &candidate)  // + U_h x_t + b_h
  update(&candidate) { tanhForward($0) }  // through tanh, in place
}

/// Gradients of the candidate, including what it sends to the reset gate, on any `Scalar`
/// (`GRUCandidateGradients` on `Double`).
///
/// The candidate's affine map `W_h (·) + U_h x_t + b_h` has the gradients of any
/// (`AffineGradientsOf`), with `∂E/∂W_h` kept as the factors its convention gives.
public struct GRUCandidateGradientsOf<T: Scalar>: Sendable {
  /// `∂E/∂W_h`, `∂E/∂U_h = da ⊗ x_t`, `∂E/∂b_h = da`, `∂E/∂x_t`; its `dhPrev` is the
  /// candidate's whole `∂E/∂h_{t−1}`, through `W_h` and `r_t`.
  var affine: AffineGradientsOf<T>
  /// `∂E/∂r_t` (H), what the candidate sends to the reset gate.
  public var dr: [T]
  /// `∂E/∂b_hn`, when the reset-after candidate has a recurrent bias.
  public var db_hn: [T]? = nil
  // Its initialisers, in the extension below, go through the memberwise one: a hand-written one
  // left a copy of this large value at every step (notes/Performance.md, nineteenth round).

  /// `∂E/∂W_h` (H×H), written out from its factors unless given outright; settable.
  public var dW: Matrix<T> {
    get { affine.dW }
    set { affine.dW = newValue }
  }
  /// `∂E/∂U_h = da ⊗ x_t` (H×D), unless given outright; settable.
  public var dU: Matrix<T> {
    get { affine.dU }
    set { affine.dU = newValue }
  }
  /// `∂E/∂b_h = da` (H), unless given outright; settable.
  public var db: [T] {
    get { affine.db }
    set { affine.db = newValue }
  }
  /// `∂E/∂h_{t−1}` (H), through `W_h` and `r_t`.
  public var dhPrev: [T] {
    get { affine.dhPrev }
    set { affine.dhPrev = newValue }
  }
  /// `∂E/∂x_t = U_hᵀ da` (D), formed when read unless given outright (`AffineGradientsOf.dx`).
  public var dx: [T] {
    get { affine.dx }
    set { affine.dx = newValue }
  }
}

extension GRUCandidateGradientsOf {
  /// The factors, as the backward pass leaves them: `∂E/∂W_h = dWRows ⊗ dWColumns`; `dx`
  /// formed from `U` when read.
  public init(
    dWRows: [T], dWColumns: [T], da: [T], x: [T], dr: [T],
    dhPrev: [T], U: Matrix<T>, db_hn: [T]? = nil
  ) {
    self.init(
      affine: AffineGradientsOf(
        da: da, W: OuterGradientOf(dWRows, dWColumns), x: x, dhPrev: dhPrev, U: U),
      dr: dr, db_hn: db_hn)
  }

  /// Every gradient written out (a learner's answer, a catalogued mistake); `da` is `db`.
  public init(
    dW: Matrix<T>, dU: Matrix<T>, db: [T], dr: [T], dhPrev: [T],
    dx: [T], db_hn: [T]? = nil
  ) {
    self.init(
      affine: AffineGradientsOf(dW: dW, dU: dU, db: db, dhPrev: dhPrev, dx: dx), dr: dr,
      db_hn: db_hn)
  }
}

/// Gradients of the candidate on `Double`.
public typealias GRUCandidateGradients = GRUCandidateGradientsOf<Double>

/// Backward through the candidate, given `∂E/∂h̃_t`.
///
/// The conventions differ only in how `W_h`, `r` and `h_{t−1}` meet.
public func gruCandidateBackward<T: Scalar>(
  _ dCandidate: consuming [T], candidate: [T], x: [T], hPrev: [T], r: [T],
  p: GateParameters<T>, variant: GRUVariant, b_hn: [T]? = nil
) -> GRUCandidateGradientsOf<T> {
  let da = tanhBackward(dCandidate, h: candidate)  // through tanh: 1 − h̃²
  let (dW, dr, dhPrev): ((rows: [T], columns: [T]), [T], [T])
  var db_hn: [T]? = nil
  switch variant {
  case .resetBefore:
    let dReset = p.W.transposeTimes(da)  // ∂/∂(r ⊙ h_{t−1}) = W_hᵀ da
    dW = (da, r .* hPrev)  // da ⊗ (r ⊙ h_{t−1})
    dr = dReset .* hPrev  // ∂(r ⊙ h)/∂r = h_{t−1}
    dhPrev = dReset .* r  // ∂(r ⊙ h)/∂h = r
  case .resetAfter:
    let dGated = da .* r  // ∂/∂(W_h h_{t−1}) = r ⊙ da
    dW = (dGated, hPrev)  // (r ⊙ da) ⊗ h_{t−1}
    // ∂(r ⊙ (W_h h + b_hn))/∂r = W_h h_{t−1} + b_hn
    dr = da .* (b_hn.map { p.W * hPrev .+ $0 } ?? p.W * hPrev)
    dhPrev = p.W.transposeTimes(dGated)  // W_hᵀ (r ⊙ da)
    if b_hn != nil { db_hn = dGated }  // ∂(r ⊙ (W_h h + b_hn))/∂b_hn = r: r ⊙ da
  }
  return GRUCandidateGradientsOf(
    dWRows: dW.rows, dWColumns: dW.columns, da: da, x: x, dr: dr, dhPrev: dhPrev,
    U: p.U, db_hn: db_hn)  // dU = da ⊗ x_t, db = da; dx = U_hᵀ da when read
}

/// The update `h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t`.
@inlinable public func gruUpdateForward<T: Scalar>(z: [T], hPrev: [T], candidate: [T]) -> [T] {
  var h: [T] = []
  gruUpdateForward(z: z, hPrev: hPrev, candidate: candidate, into: &h)
  return h
}

/// The same written into `h`, its array reused where no one else holds it: entry `j` is
/// `z_j h_{t−1,j} + (1 − z_j) h̃_j`.
@inlinable public func gruUpdateForward<T: Scalar>(
  z: [T], hPrev: [T], candidate: [T], into h: inout [T]
) {
  precondition(hPrev.count == z.count && candidate.count == z.count, "h_t: H entries each")
  resize(&h, to: z.count)
  for j in h.indices { h[j] = z[j] * hPrev[j] + (1 - z[j]) * candidate[j] }
}

/// Backward through the update, given `dh = ∂E/∂h_t`.
public func gruUpdateBackward<T: Scalar>(
  _ dh: consuming [T], z: [T], hPrev: [T], candidate: [T]
) -> (dz: [T], dhPrev: [T], dCandidate: [T]) {
  // A factor made here comes first: its array is the product's, no copy (a ⊙ b = b ⊙ a); the
  // last product is written over `dh`'s array.
  let dz = (hPrev .- candidate) .* dh  // ∂h_t/∂z_t = h_{t−1} − h̃_t
  let dCandidate = z.map { 1 - $0 } .* dh  // ∂h_t/∂h̃_t = 1 − z_t
  return (dz: dz, dhPrev: dh .* z, dCandidate: dCandidate)  // ∂h_t/∂h_{t−1} (direct) = z_t
}

/// The weights of the GRU's gates, read by name: `W_r U_r b_r`, `W_z U_z b_z`, `W_h U_h b_h`.
public struct GRUGates<T: Scalar>: Sendable {
  /// The reset gate's, the update gate's and the candidate's `W` (H×H), `U` (H×D) and `b` (H).
  public var r, z, h: GateParameters<T>  // reset, update gates; candidate
  /// The reset-after candidate's recurrent bias `b_hn`; nil: none.
  public var b_hn: [T]?
  /// The gates' weights, given one by one; `b_hn` nil: none.
  public init(
    r: GateParameters<T>, z: GateParameters<T>, h: GateParameters<T>, b_hn: [T]? = nil
  ) {
    (self.r, self.z, self.h, self.b_hn) = (r, z, h, b_hn)
  }
  /// The gates by name, and `b_hn` when `p` has one.
  @inlinable public init(_ p: Parameters<T>) {
    let b_hn = GRUCell.recurrentBias
    self.init(
      r: GateParameters(p, GRUCell.gates.r), z: GateParameters(p, GRUCell.gates.z),
      h: GateParameters(p, GRUCell.gates.h),
      b_hn: p.layout.names.contains(b_hn) ? p[b_hn] : nil)
  }
}

/// What `gruStepBackward` needs from the forward pass.
public struct GRUStepCache<T: Scalar>: Sendable {
  /// The step's inputs `x_t` (D) and `h_{t−1}` (H), the gates `r_t`, `z_t`, the candidate `h̃_t`
  /// and `h_t` (H each).
  public var x, hPrev, r, z, candidate, h: [T]
  /// Everything the forward step computed, given one by one.
  @inlinable public init(x: [T], hPrev: [T], r: [T], z: [T], candidate: [T], h: [T]) {
    (self.x, self.hPrev, self.r, self.z, self.candidate, self.h) = (x, hPrev, r, z, candidate, h)
  }
}

/// One GRU step: reset and update gates read `x_t` (source 001's `x_{t−1}`: Errata).
@inlinable public func gruStepForward<T: Scalar>(
  x: [T], hPrev: [T], p: GRUGates<T>, variant: GRUVariant
) -> (h: [T], cache: GRUStepCache<T>) {
  var cache = GRUStepCache(x: x, hPrev: hPrev, r: [], z: [], candidate: [], h: [])
  gruStepForward(x: x, hPrev: hPrev, p: p, variant: variant, into: &cache)
  return (cache.h, cache)
}

/// The same step written into `s`, each array reused where no one else holds it (an oracle's
/// pass hands every step the room the step before left: `GRUCell.stepping`).
@inlinable public func gruStepForward<T: Scalar>(
  x: [T], hPrev: [T], p: GRUGates<T>, variant: GRUVariant, into s: inout GRUStepCache<T>
) {
  gateForward(x: x, hPrev: hPrev, W: p.r.W, U: p.r.U, b: p.r.b, into: &s.r)
  gateForward(x: x, hPrev: hPrev, W: p.z.W, U: p.z.U, b: p.z.b, into: &s.z)
  gruCandidateForward(
    x: x, hPrev: hPrev, r: s.r, p: p.h, variant: variant, b_hn: p.b_hn, into: &s.candidate)
  gruUpdateForward(z: s.z, hPrev: hPrev, candidate: s.candidate, into: &s.h)
  (s.x, s.hPrev) = (x, hPrev)
}

/// Gradients of one GRU step, on any `Scalar` (`GRUStepGradients` on `Double`).
public struct GRUStepGradientsOf<T: Scalar>: Sendable {
  /// The reset and update gates' gradients: `dW` (H×H), `dU` (H×D), `db` (H), their shares of
  /// `dh_{t−1}`, `dx`.
  public var r, z: AffineGradientsOf<T>
  /// The candidate's gradients, its share to the reset gate included.
  public var h: GRUCandidateGradientsOf<T>
  /// `∂E/∂h_{t−1}` (H), the sum of four paths.
  public var dhPrev: [T]
  /// `∂E/∂x_t` given outright (a learner's answer); nil: formed from the gates when read.
  private var givenDx: [T]?
  // Its initialisers, in the extension below, go through the memberwise one: a hand-written one
  // left a copy of this large value at every step (notes/Performance.md, nineteenth round).

  /// `∂E/∂x_t` (D): the sum of three paths, formed when read (`AffineGradientsOf.dx`).
  public var dx: [T] {
    get { givenDx ?? h.dx .+ r.dx .+ z.dx }  // x_t feeds the candidate and both gates
    set { givenDx = newValue }
  }
}

extension GRUStepGradientsOf {
  /// A step's gradients from its gates' and candidate's; `dx` formed from theirs when read,
  /// unless given.
  public init(
    r: AffineGradientsOf<T>, z: AffineGradientsOf<T>, h: GRUCandidateGradientsOf<T>, dhPrev: [T],
    dx: [T]? = nil
  ) {
    self.init(r: r, z: z, h: h, dhPrev: dhPrev, givenDx: dx)
  }
}

/// Gradients of one GRU step on `Double`.
public typealias GRUStepGradients = GRUStepGradientsOf<Double>

/// Backward through one step, given `dh = ∂E/∂h_t`.
public func gruStepBackward<T: Scalar>(
  _ dh: consuming [T], cache: GRUStepCache<T>, p: GRUGates<T>, variant: GRUVariant
) -> GRUStepGradientsOf<T> {
  // Each gradient a name of its own: its last use hands its array on, worked on in place.
  let (dz, dhPrevDirect, dCandidate) = gruUpdateBackward(
    dh, z: cache.z, hPrev: cache.hPrev, candidate: cache.candidate)
  let gh = gruCandidateBackward(
    dCandidate, candidate: cache.candidate, x: cache.x, hPrev: cache.hPrev, r: cache.r,
    p: p.h, variant: variant, b_hn: p.b_hn)
  let gr = gateBackward(gh.dr, gate: cache.r, x: cache.x, hPrev: cache.hPrev, W: p.r.W, U: p.r.U)
  let gz = gateBackward(dz, gate: cache.z, x: cache.x, hPrev: cache.hPrev, W: p.z.W, U: p.z.U)
  let dhPrev = dhPrevDirect .+ gh.dhPrev .+ gr.dhPrev .+ gz.dhPrev  // four paths to h_{t−1}
  return GRUStepGradientsOf(r: gr, z: gz, h: gh, dhPrev: dhPrev)
}

// MARK: - The cell

/// The GRU as a cell, in either convention: the nine gate parameters (and, reset-after,
/// optionally the recurrent candidate bias `b_hn`), state `h`.
public struct GRUCell: RecurrentCell {
  /// Which convention the candidate follows: reset before or after the matrix product.
  public var variant: GRUVariant
  /// Whether the candidate has the recurrent bias `b_hn` (reset-after only).
  public var hasRecurrentBias: Bool
  /// A GRU in `variant`; `hasRecurrentBias` (reset-after only) adds `b_hn`.
  public init(variant: GRUVariant, hasRecurrentBias: Bool = false) {
    precondition(!hasRecurrentBias || variant == .resetAfter, "b_hn is a reset-after bias")
    (self.variant, self.hasRecurrentBias) = (variant, hasRecurrentBias)
  }

  /// Reset and update gates, and the candidate, in the order of the parameters.
  public static let gates = (r: GateNames("r"), z: GateNames("z"), h: GateNames("h"))
  /// The reset-after candidate's recurrent bias, inside `r ⊙ (W_h h_{t−1} + b_hn)`.
  public static let recurrentBias = "b_hn"
  /// The nine parameters gate by gate, `W_r U_r b_r`, `W_z U_z b_z`, `W_h U_h b_h`; then `b_hn`.
  public var parameters: [ParameterSpec] {
    [Self.gates.r, Self.gates.z, Self.gates.h].flatMap(\.specs)
      + (hasRecurrentBias ? [ParameterSpec(Self.recurrentBias, .H, scale: 0.2)] : [])
  }

  /// One GRU step on any `Scalar`: the new `h_t`.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    stepOnce(x, state, p)
  }

  /// The GRU step with the gates' weights (and `b_hn`) read once.
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    let (gates, variant) = (GRUGates(p), variant)
    let room = PassRooms.room(in: rooms) {
      GRUStepCache<T>(x: [], hPrev: [], r: [], z: [], candidate: [], h: [])
    }
    return { x, state in
      gruStepForward(x: x, hPrev: state.h, p: gates, variant: variant, into: &room.value)
      swap(&state.h, &room.value.h)  // h_t; h_{t−1}'s array is room for the next step's
      (room.value.x, room.value.hPrev) = ([], [])  // the inputs let go: one holder each
    }
  }

  /// The gates' weights (and `b_hn`), read by name.
  public func weights(_ p: Parameters<Double>) -> GRUGates<Double> { GRUGates(p) }

  /// One GRU step on `Double`, keeping its cache for `backward`.
  public func forward(_ x: [Double], _ state: CellState<Double>, _ w: GRUGates<Double>)
    -> (state: CellState<Double>, cache: GRUStepCache<Double>)
  {
    let (h, cache) = gruStepForward(x: x, hPrev: state.h, p: w, variant: variant)
    return (CellState(h: h), cache)
  }

  /// Backward through one GRU step, given `∂E/∂h_t`.
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: GRUStepCache<Double>, _ w: GRUGates<Double>
  )
    -> CellGradients
  {
    Self.cellGradients(gruStepBackward(dState.handedOn().h, cache: cache, p: w, variant: variant))
  }

  /// The same, its shares handed to `sink`.
  public func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: GRUStepCache<Double>, _ w: GRUGates<Double>,
    joining sink: inout S
  ) -> CellState<Double> {
    Self.stepBack(dState, cache, w, variant, joining: &sink)
  }

  /// One step back on any `Scalar`, its shares handed to `sink`, `∂E/∂h_{t−1}` returned: the
  /// walk's (`backward(_:_:_:joining:)`) and the echo training's (`sideBySide`).
  static func stepBack<T: Scalar, S: ShareSink<T>>(
    _ dState: consuming CellState<T>, _ cache: GRUStepCache<T>, _ w: GRUGates<T>,
    _ variant: GRUVariant, joining sink: inout S
  ) -> CellState<T> {
    let g = gruStepBackward(dState.handedOn().h, cache: cache, p: w, variant: variant)
    join(g, into: &sink)
    return CellState(h: g.dhPrev)
  }

  /// The GRU step and its backward step on rows side by side, the gates' weights (and `b_hn`)
  /// read once.
  public func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep? {
    let (gates, variant) = (GRUGates(p), variant)
    return { x, state in
      let (h, cache) = gruStepForward(x: x, hPrev: state.h, p: gates, variant: variant)
      return (CellState(h: h), { Self.stepBack($0, cache, gates, variant, joining: &$1) })
    }
  }

  /// One step's gradients as the walk takes them: by parameter name, then `∂E/∂h_{t−1}`.
  public static func cellGradients(_ g: consuming GRUStepGradientsOf<Double>) -> CellGradients {
    var parameters = ShareList<Double>(capacity: 10)
    join(g, into: &parameters)
    let dStatePrev = CellState(h: g.dhPrev)
    let g = consume g  // moved into dx's closure, not copied
    return CellGradientsOf(parameters: parameters.list, dStatePrev: dStatePrev, dx: g.dx)
  }

  /// One step's shares handed to `sink` by parameter name, in the parameters' order.
  static func join<T: Scalar, S: ShareSink<T>>(_ g: GRUStepGradientsOf<T>, into sink: inout S) {
    g.r.join(gates.r, into: &sink)
    g.z.join(gates.z, into: &sink)
    g.h.affine.join(gates.h, into: &sink)  // the candidate's W_h, U_h, b_h
    if let db_hn = g.h.db_hn { sink.join(recurrentBias, vector: db_hn) }
  }

  /// The candidate through tanh; the two gates through σ (and `1 − z` in the update).
  public func conditioning(_ cache: GRUStepCache<Double>) -> Double {
    max(
      tanhConditioning(cache.candidate), sigmoidConditioning(cache.r),
      sigmoidConditioning(cache.z))
  }
}
