// The LSTM cell (TF BasicLSTMCell) — source 001's equations, corrected (notes/Errata.md),
// and source 003's prose: forget gate, input gate and candidate, output gate.

/// The candidate `c̃_t = tanh(W_c h_{t−1} + U_c x_t + b_c)`.
@inlinable public func lstmCandidateForward<T: Scalar>(x: [T], hPrev: [T], p: GateParameters<T>)
  -> [T]
{
  var candidate: [T] = []
  lstmCandidateForward(x: x, hPrev: hPrev, p: p, into: &candidate)
  return candidate
}

/// The same written into `candidate`, its array reused where no one else holds it.
@inlinable public func lstmCandidateForward<T: Scalar>(
  x: [T], hPrev: [T], p: GateParameters<T>, into candidate: inout [T]
) {
  // W_c h_{t−1} + U_c x_t + b_c
  affineForward(x: x, hPrev: hPrev, W: p.W, U: p.U, b: p.b, into: &candidate)
  update(&candidate) { tanhForward($0) }  // through tanh, in place
}

/// Backward through the candidate, given `∂E/∂c̃_t`.
public func lstmCandidateBackward<T: Scalar>(
  _ dCandidate: consuming [T], candidate: [T], x: [T], hPrev: [T],
  p: GateParameters<T>
) -> AffineGradientsOf<T> {
  let da = tanhBackward(dCandidate, h: candidate)  // through tanh: 1 − c̃²
  return affineBackward(da, x: x, hPrev: hPrev, W: p.W, U: p.U)
}

/// The cell `c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t` (source 001 writes `f_t ⊙ c_t`: Errata).
@inlinable public func lstmCellForward<T: Scalar>(f: [T], cPrev: [T], i: [T], candidate: [T])
  -> [T]
{
  var c: [T] = []
  lstmCellForward(f: f, cPrev: cPrev, i: i, candidate: candidate, into: &c)
  return c
}

/// The same written into `c`, its array reused where no one else holds it: entry `j` is
/// `f_j c_{t−1,j} + i_j c̃_j` (`f ⊙ c_{t−1} + i ⊙ c̃`, entry by entry).
@inlinable public func lstmCellForward<T: Scalar>(
  f: [T], cPrev: [T], i: [T], candidate: [T], into c: inout [T]
) {
  precondition(
    [cPrev.count, i.count, candidate.count].allSatisfy { $0 == f.count }, "c_t: H entries each")
  resize(&c, to: f.count)
  for j in c.indices { c[j] = f[j] * cPrev[j] + i[j] * candidate[j] }
}

/// Backward through the cell update, given `dc = ∂E/∂c_t`: four products, four gradients.
public func lstmCellBackward<T: Scalar>(
  _ dc: consuming [T], f: [T], cPrev: [T], i: [T], candidate: [T]
) -> (df: [T], dcPrev: [T], di: [T], dCandidate: [T]) {
  // Three products in new arrays, the last written over `dc`'s (a ⊙ b = b ⊙ a, to the bit).
  (
    df: cPrev .* dc,  // ∂c_t/∂f_t = c_{t−1}
    dcPrev: f .* dc,  // ∂c_t/∂c_{t−1} = f_t: the uninterrupted path back in time
    di: candidate .* dc,  // ∂c_t/∂i_t = c̃_t
    dCandidate: dc .* i  // ∂c_t/∂c̃_t = i_t
  )
}

/// The output `h_t = o_t ⊙ tanh(c_t)`, and `tanh(c_t)`, which the backward pass reads.
@inlinable public func lstmOutputForward<T: Scalar>(o: [T], c: [T]) -> (h: [T], tanhC: [T]) {
  var (h, tanhC): ([T], [T]) = ([], [])
  lstmOutputForward(o: o, c: c, into: &h, tanhC: &tanhC)
  return (h, tanhC)
}

/// The same written into `h` and `tanhC`, their arrays reused where no one else holds them.
@inlinable public func lstmOutputForward<T: Scalar>(
  o: [T], c: [T], into h: inout [T], tanhC: inout [T]
) {
  precondition(o.count == c.count, "o ⊙ tanh(c): \(o.count) vs \(c.count) entries")
  resize(&tanhC, to: c.count)
  for j in c.indices { tanhC[j] = c[j] }
  update(&tanhC) { tanhForward($0) }  // tanh(c_t), in place
  resize(&h, to: o.count)
  for j in h.indices { h[j] = o[j] * tanhC[j] }  // o_t ⊙ tanh(c_t)
}

/// Backward through the output, given `dh = ∂E/∂h_t` and the forward pass's `tanh(c_t)`.
public func lstmOutputBackward<T: Scalar>(_ dh: consuming [T], o: [T], tanhC: [T])
  -> (dO: [T], dc: [T])
{
  // The first product in a new array, the second written over `dh`'s (a ⊙ b = b ⊙ a).
  (
    dO: tanhC .* dh,  // ∂h_t/∂o_t = tanh(c_t)
    dc: tanhBackward(dh .* o, h: tanhC)  // ∂h_t/∂c_t = o_t ⊙ (1 − tanh²(c_t))
  )
}

/// The weights of the four LSTM gates, read by name: `W_i U_i b_i`, … `W_c U_c b_c`.
public struct LSTMGates<T: Scalar>: Sendable {
  /// The four gates' `W` (H×H), `U` (H×D) and `b` (H).
  public var i, f, o, c: GateParameters<T>  // input, forget, output gates; candidate
  /// The four gates' weights, given one by one.
  public init(
    i: GateParameters<T>, f: GateParameters<T>, o: GateParameters<T>, c: GateParameters<T>
  ) {
    (self.i, self.f, self.o, self.c) = (i, f, o, c)
  }
  /// The four gates' weights read from `p` by their names.
  @inlinable public init(_ p: Parameters<T>) {
    self.init(
      i: GateParameters(p, LSTMCell.gates.i), f: GateParameters(p, LSTMCell.gates.f),
      o: GateParameters(p, LSTMCell.gates.o), c: GateParameters(p, LSTMCell.gates.c))
  }
}

/// What `lstmStepBackward` needs from the forward pass.
public struct LSTMStepCache<T: Scalar>: Sendable {
  /// The step's inputs: `x_t` (D), `h_{t−1}` and `c_{t−1}` (H each).
  public var x, hPrev, cPrev: [T]
  /// The three gates and the candidate `c̃_t`, each H.
  public var i, f, o, candidate: [T]
  /// The new cell `c_t`, `tanh(c_t)` and the output `h_t`, each H.
  public var c, tanhC, h: [T]
  /// Everything the forward step computed, given one by one.
  @inlinable public init(
    x: [T], hPrev: [T], cPrev: [T], i: [T], f: [T], o: [T], candidate: [T], c: [T], tanhC: [T],
    h: [T]
  ) {
    (self.x, self.hPrev, self.cPrev) = (x, hPrev, cPrev)
    (self.i, self.f, self.o, self.candidate) = (i, f, o, candidate)
    (self.c, self.tanhC, self.h) = (c, tanhC, h)
  }
}

/// One LSTM step: every gate reads `x_t` and `h_{t−1}` (source 001's `x_{t−1}`: Errata).
@inlinable public func lstmStepForward<T: Scalar>(
  x: [T], hPrev: [T], cPrev: [T], p: LSTMGates<T>, forgetBias: Double
) -> (h: [T], c: [T], cache: LSTMStepCache<T>) {
  var cache = LSTMStepCache<T>(
    x: x, hPrev: hPrev, cPrev: cPrev, i: [], f: [], o: [], candidate: [], c: [], tanhC: [], h: [])
  lstmStepForward(x: x, hPrev: hPrev, cPrev: cPrev, p: p, forgetBias: forgetBias, into: &cache)
  return (cache.h, cache.c, cache)
}

/// The same step written into `s`, each array reused where no one else holds it (an oracle's
/// pass hands every step the room the step before left: `LSTMCell.stepping`).
@inlinable public func lstmStepForward<T: Scalar>(
  x: [T], hPrev: [T], cPrev: [T], p: LSTMGates<T>, forgetBias: Double,
  into s: inout LSTMStepCache<T>
) {
  gateForward(x: x, hPrev: hPrev, W: p.i.W, U: p.i.U, b: p.i.b, into: &s.i)
  gateForward(x: x, hPrev: hPrev, W: p.f.W, U: p.f.U, b: p.f.b, bias: forgetBias, into: &s.f)
  gateForward(x: x, hPrev: hPrev, W: p.o.W, U: p.o.U, b: p.o.b, into: &s.o)
  lstmCandidateForward(x: x, hPrev: hPrev, p: p.c, into: &s.candidate)
  lstmCellForward(f: s.f, cPrev: cPrev, i: s.i, candidate: s.candidate, into: &s.c)
  lstmOutputForward(o: s.o, c: s.c, into: &s.h, tanhC: &s.tanhC)
  (s.x, s.hPrev, s.cPrev) = (x, hPrev, cPrev)
}

/// Gradients of one LSTM step, on any `Scalar` (`LSTMStepGradients` on `Double`).
public struct LSTMStepGradientsOf<T: Scalar>: Sendable {
  /// Per gate and the candidate: `dW` (H×H), `dU` (H×D), `db` (H), shares of `dh_{t−1}`, `dx`.
  public var i, f, o, c: AffineGradientsOf<T>
  /// `∂E/∂h_{t−1}` (H): the sum over the four gates.
  public var dhPrev: [T]
  /// `∂E/∂c_{t−1}` (H): through the forget gate only.
  public var dcPrev: [T]
  /// The part of `∂E/∂c_t` that arrived through `h_t = o_t ⊙ tanh(c_t)`.
  public var dcThroughH: [T]
  /// `∂E/∂x_t` given outright (a learner's answer); nil: formed from the gates when read.
  private var givenDx: [T]?
  // Its initialisers, in the extension below, go through the memberwise one: a hand-written one
  // left a copy of this large value at every step (notes/Performance.md, nineteenth round).

  /// `∂E/∂x_t` (D): the sum over the four gates, formed when read (`AffineGradientsOf.dx`).
  public var dx: [T] {
    get { givenDx ?? i.dx .+ f.dx .+ o.dx .+ c.dx }  // x_t feeds all four
    set { givenDx = newValue }
  }
}

extension LSTMStepGradientsOf {
  /// A step's gradients from its gates'; `dx` formed from theirs when read, unless given.
  public init(
    i: AffineGradientsOf<T>, f: AffineGradientsOf<T>, o: AffineGradientsOf<T>,
    c: AffineGradientsOf<T>,
    dhPrev: [T], dcPrev: [T], dx: [T]? = nil, dcThroughH: [T]
  ) {
    self.init(
      i: i, f: f, o: o, c: c, dhPrev: dhPrev, dcPrev: dcPrev, dcThroughH: dcThroughH,
      givenDx: dx)
  }
}

/// Gradients of one LSTM step on `Double`.
public typealias LSTMStepGradients = LSTMStepGradientsOf<Double>

/// Backward through one step, given `dh = ∂E/∂h_t` and `dc = ∂E/∂c_t` from later steps.
public func lstmStepBackward<T: Scalar>(
  dh: consuming [T], dc: consuming [T], cache: LSTMStepCache<T>, p: LSTMGates<T>
) -> LSTMStepGradientsOf<T> {
  // Each gradient a name of its own: its last use hands its array on, worked on in place.
  let (dO, dcThroughH) = lstmOutputBackward(dh, o: cache.o, tanhC: cache.tanhC)
  let dcTotal = dc .+ dcThroughH  // c_t reaches E through h_t and through c_{t+1}
  let (df, dcPrev, di, dCandidate) = lstmCellBackward(
    dcTotal, f: cache.f, cPrev: cache.cPrev, i: cache.i, candidate: cache.candidate)
  let gi = gateBackward(di, gate: cache.i, x: cache.x, hPrev: cache.hPrev, W: p.i.W, U: p.i.U)
  let gf = gateBackward(df, gate: cache.f, x: cache.x, hPrev: cache.hPrev, W: p.f.W, U: p.f.U)
  let go = gateBackward(dO, gate: cache.o, x: cache.x, hPrev: cache.hPrev, W: p.o.W, U: p.o.U)
  let gc = lstmCandidateBackward(
    dCandidate, candidate: cache.candidate, x: cache.x, hPrev: cache.hPrev, p: p.c)
  let dhPrev = gi.dhPrev .+ gf.dhPrev .+ go.dhPrev .+ gc.dhPrev  // h_{t−1} feeds all four
  return LSTMStepGradientsOf(
    i: gi, f: gf, o: go, c: gc, dhPrev: dhPrev,
    dcPrev: dcPrev,  // through f only
    dcThroughH: dcThroughH)
}

// MARK: - The cell

/// The LSTM as a cell: the twelve gate parameters, state `h` and `c`.
public struct LSTMCell: RecurrentCell {
  /// Added to the forget gate's pre-activation (TF BasicLSTMCell uses 1).
  public var forgetBias: Double
  /// An LSTM whose forget gate adds `forgetBias` to its pre-activation.
  public init(forgetBias: Double) { self.forgetBias = forgetBias }

  /// Input, forget and output gates, and the candidate, in the order of the parameters.
  public static let gates = (
    i: GateNames("i"), f: GateNames("f"), o: GateNames("o"), c: GateNames("c")
  )
  /// The twelve parameters gate by gate: `W_i U_i b_i`, `W_f …`, `W_o …`, `W_c U_c b_c`.
  public var parameters: [ParameterSpec] {
    [Self.gates.i, Self.gates.f, Self.gates.o, Self.gates.c].flatMap(\.specs)
  }
  /// The LSTM carries the cell `c` besides `h`.
  public var hasCellState: Bool { true }

  /// One LSTM step on any `Scalar`: the new `h_t` and `c_t`.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    stepOnce(x, state, p)
  }

  /// The LSTM step with the four gates' weights read once.
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    let (gates, forgetBias) = (LSTMGates(p), forgetBias)
    let room = PassRooms.room(in: rooms) {
      LSTMStepCache<T>(
        x: [], hPrev: [], cPrev: [], i: [], f: [], o: [], candidate: [], c: [], tanhC: [], h: [])
    }
    return { x, state in
      lstmStepForward(
        x: x, hPrev: state.h, cPrev: state.cellState, p: gates, forgetBias: forgetBias,
        into: &room.value)
      // h_t and c_t; h_{t−1}'s and c_{t−1}'s arrays are room for the next step's
      swap(&state.h, &room.value.h)
      let cPrev = state.c.take()
      (state.c, room.value.c) = (room.value.c, cPrev ?? [])
      (room.value.x, room.value.hPrev, room.value.cPrev) = ([], [], [])  // one holder each
    }
  }

  /// The four gates' weights, read by name.
  public func weights(_ p: Parameters<Double>) -> LSTMGates<Double> { LSTMGates(p) }

  /// One LSTM step on `Double`, keeping its cache for `backward`.
  public func forward(_ x: [Double], _ state: CellState<Double>, _ w: LSTMGates<Double>)
    -> (state: CellState<Double>, cache: LSTMStepCache<Double>)
  {
    let (h, c, cache) = lstmStepForward(
      x: x, hPrev: state.h, cPrev: state.cellState, p: w, forgetBias: forgetBias)
    return (CellState(h: h, c: c), cache)
  }

  /// Backward through one LSTM step, given `∂E/∂h_t` and `∂E/∂c_t`.
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: LSTMStepCache<Double>,
    _ w: LSTMGates<Double>
  )
    -> CellGradients
  {
    let (dh, dc) = dState.handedOnWithC()
    return Self.cellGradients(lstmStepBackward(dh: dh, dc: dc, cache: cache, p: w))
  }

  /// The same, its shares handed to `sink`.
  public func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: LSTMStepCache<Double>,
    _ w: LSTMGates<Double>, joining sink: inout S
  ) -> CellState<Double> {
    Self.stepBack(dState, cache, w, joining: &sink)
  }

  /// One step back on any `Scalar`, its shares handed to `sink`, `∂E/∂h_{t−1}` and
  /// `∂E/∂c_{t−1}` returned: the walk's (`backward(_:_:_:joining:)`) and the echo training's
  /// (`sideBySide`).
  static func stepBack<T: Scalar, S: ShareSink<T>>(
    _ dState: consuming CellState<T>, _ cache: LSTMStepCache<T>, _ w: LSTMGates<T>,
    joining sink: inout S
  ) -> CellState<T> {
    let (dh, dc) = dState.handedOnWithC()
    let g = lstmStepBackward(dh: dh, dc: dc, cache: cache, p: w)
    join(g, into: &sink)
    return CellState(h: g.dhPrev, c: g.dcPrev)
  }

  /// The LSTM step and its backward step on rows side by side, the four gates' weights read
  /// once.
  public func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep? {
    let (gates, forgetBias) = (LSTMGates(p), forgetBias)
    return { x, state in
      let (h, c, cache) = lstmStepForward(
        x: x, hPrev: state.h, cPrev: state.cellState, p: gates, forgetBias: forgetBias)
      return (CellState(h: h, c: c), { Self.stepBack($0, cache, gates, joining: &$1) })
    }
  }

  /// One step's gradients as the walk takes them: by parameter name, then `∂E/∂h_{t−1}` and
  /// `∂E/∂c_{t−1}`.
  public static func cellGradients(_ g: consuming LSTMStepGradientsOf<Double>) -> CellGradients {
    var parameters = ShareList<Double>(capacity: 12)
    join(g, into: &parameters)
    let dStatePrev = CellState(h: g.dhPrev, c: g.dcPrev)
    let g = consume g  // moved into dx's closure, not copied
    return CellGradientsOf(parameters: parameters.list, dStatePrev: dStatePrev, dx: g.dx)
  }

  /// One step's shares handed to `sink` by parameter name, gate by gate.
  static func join<T: Scalar, S: ShareSink<T>>(_ g: LSTMStepGradientsOf<T>, into sink: inout S) {
    g.i.join(gates.i, into: &sink)
    g.f.join(gates.f, into: &sink)
    g.o.join(gates.o, into: &sink)
    g.c.join(gates.c, into: &sink)
  }

  /// `tanh c_t` and the candidate through tanh; the three gates through σ.
  public func conditioning(_ cache: LSTMStepCache<Double>) -> Double {
    max(
      tanhConditioning(cache.tanhC), tanhConditioning(cache.candidate),
      sigmoidConditioning(cache.i), sigmoidConditioning(cache.f), sigmoidConditioning(cache.o))
  }
}
