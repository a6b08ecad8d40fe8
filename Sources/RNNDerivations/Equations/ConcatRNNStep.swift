// Source 002's concatenated RNN step: S_t = tanh(W (X_t ‖ S_{t−1}) + b_s).

/// `[a ; b]`: two column vectors stacked.
@inlinable public func concatenate<T>(_ a: [T], _ b: [T]) -> [T] { a + b }

/// What `concatRNNStepBackward` needs from the forward pass: `X_t`, `S_{t−1}`, `S_t`.
public struct ConcatRNNStepCache<T: Scalar>: Sendable {
  /// The input `X_t` (D), the previous state `S_{t−1}` (H) and the new state `S_t` (H).
  public var x, sPrev, S: [T]
  /// The three values the forward step keeps.
  @inlinable public init(x: [T], sPrev: [T], S: [T]) {
    (self.x, self.sPrev, self.S) = (x, sPrev, S)
  }
}

/// `S_t = tanh(W [x_t ; S_{t−1}] + b_s)`: one weight matrix over input and state stacked.
/// - Parameters:
///   - x: input `X_t`, `D`; sPrev: `S_{t−1}`, `H`.
///   - W: `H×(D+H)`, input columns first; b_s: `H`.
/// - Returns: the new state `S_t`, `H`, and the cache.
@inlinable public func concatRNNStepForward<T: Scalar>(x: [T], sPrev: [T], W: Matrix<T>, b_s: [T])
  -> (S: [T], cache: ConcatRNNStepCache<T>)
{
  var cache = ConcatRNNStepCache(x: x, sPrev: sPrev, S: [])
  concatRNNStepForward(x: x, sPrev: sPrev, W: W, b_s: b_s, into: &cache)
  return (cache.S, cache)
}

/// The same step written into `cache`: `S_t` into `cache.S`, its array reused where no one else
/// holds it (`ConcatRNNCell.stepping`).
@inlinable public func concatRNNStepForward<T: Scalar>(
  x: [T], sPrev: [T], W: Matrix<T>, b_s: [T], into cache: inout ConcatRNNStepCache<T>
) {
  precondition(b_s.count == W.rows, "W [x ; S] + b_s: \(W.rows) vs \(b_s.count) entries")
  W.times(concatenate(x, sPrev), into: &cache.S)  // W [X_t ; S_{t−1}]
  for j in cache.S.indices { cache.S[j] = cache.S[j] + b_s[j] }  // + b_s, in place
  update(&cache.S) { tanhForward($0) }  // S_t = tanh(…), in place
  (cache.x, cache.sPrev) = (x, sPrev)
}

/// Gradients of one concatenated step, on any `Scalar` (`ConcatRNNStepGradients` on `Double`).
///
/// `∂E/∂W` is an outer product, kept as its two factors (the walk adds it without forming it,
/// as `AffineGradients` does); `∂E/∂X_t`, which only a stack would read, is formed when read.
public struct ConcatRNNStepGradientsOf<T: Scalar>: Sendable {
  /// `∂E/∂a`, through tanh.
  let da: [T]
  /// `[X_t ; S_{t−1}]`, what `W` multiplies.
  let input: [T]
  /// `W`, what `dx` is formed with.
  let W: Matrix<T>
  /// `∂E/∂W = da ⊗ [X_t ; S_{t−1}]` (H×(D+H)), written out.
  public var dW: Matrix<T> { .outer(da, input) }
  /// `∂E/∂b_s = da` (H).
  public var db_s: [T] { da }
  /// `∂E/∂X_t` (D): the first D rows of `Wᵀ da`, formed when read.
  public var dx: [T] { W.transposeTimes(da, columns: 0..<W.cols - W.rows) }
  /// `∂E/∂S_{t−1}` (H): the last H rows of `Wᵀ da`.
  public var dsPrev: [T]
}

/// Gradients of one concatenated step on `Double`.
public typealias ConcatRNNStepGradients = ConcatRNNStepGradientsOf<Double>

/// Backward through one concatenated step, given `dS = ∂E/∂S_t`.
public func concatRNNStepBackward<T: Scalar>(
  _ dS: consuming [T], cache: ConcatRNNStepCache<T>, W: Matrix<T>
) -> ConcatRNNStepGradientsOf<T> {
  let (D, H) = (cache.x.count, cache.sPrev.count)
  let da = tanhBackward(dS, h: cache.S)  // through tanh: 1 − S_t²
  return ConcatRNNStepGradientsOf(
    da: da,  // db_s = da, dW = da ⊗ [x_t ; S_{t−1}]
    input: concatenate(cache.x, cache.sPrev),
    W: W,  // dx = the first D rows of Wᵀ da, formed when read
    dsPrev: W.transposeTimes(da, columns: D..<D + H))  // the last H rows of Wᵀ da: S_{t−1}
}

// MARK: - The cell

/// Source 002's step as a cell, with 002's names: `W` (`H×(D+H)`, input columns first) and
/// `b_s` (`H`); its output layer is `P_t = softmax(U S_t + b_p)` (`U` is the output matrix here).
public struct ConcatRNNCell: RecurrentCell {
  /// Source 002's cell: its parameters are its only settings.
  public init() {}
  /// `W` (H×(D+H)) and `b_s` (H), in that order.
  public var parameters: [ParameterSpec] {
    [ParameterSpec("W", .H, .DPlusH, scale: 0.5), ParameterSpec("b_s", .H, scale: 0.1)]
  }
  /// Source 002's output names: `U` (K×H) and `b_p` (K).
  public var outputNames: (weights: String, bias: String) { ("U", "b_p") }

  /// One step on any `Scalar`: `S_t = tanh(W [X_t ; S_{t−1}] + b_s)`.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    stepOnce(x, state, p)
  }

  /// The step with `W` and `b_s` read once.
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    let (W, b_s) = (p.matrix("W"), p["b_s"])
    let room = PassRooms.room(in: rooms) { ConcatRNNStepCache<T>(x: [], sPrev: [], S: []) }
    return { x, state in
      concatRNNStepForward(x: x, sPrev: state.h, W: W, b_s: b_s, into: &room.value)
      swap(&state.h, &room.value.S)  // S_t; S_{t−1}'s array is room for the next step's
      (room.value.x, room.value.sPrev) = ([], [])  // the inputs let go: one holder each
    }
  }

  /// `W` (H×(D+H)) and `b_s`, read by name.
  public func weights(_ p: Parameters<Double>) -> (W: Matrix<Double>, b_s: [Double]) {
    (p.matrix("W"), p["b_s"])
  }

  /// One step on `Double`, keeping its cache for `backward`.
  public func forward(
    _ x: [Double], _ state: CellState<Double>, _ w: (W: Matrix<Double>, b_s: [Double])
  ) -> (state: CellState<Double>, cache: ConcatRNNStepCache<Double>) {
    let (S, cache) = concatRNNStepForward(x: x, sPrev: state.h, W: w.W, b_s: w.b_s)
    return (CellState(h: S), cache)
  }

  /// Backward through one step, given `∂E/∂S_t`; `∂E/∂W` as its two factors.
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: ConcatRNNStepCache<Double>,
    _ w: (W: Matrix<Double>, b_s: [Double])
  ) -> CellGradients {
    Self.cellGradients(concatRNNStepBackward(dState.handedOn().h, cache: cache, W: w.W))
  }

  /// The same, its shares handed to `sink`.
  public func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: ConcatRNNStepCache<Double>,
    _ w: (W: Matrix<Double>, b_s: [Double]), joining sink: inout S
  ) -> CellState<Double> {
    Self.stepBack(dState, cache, w.W, joining: &sink)
  }

  /// One step back on any `Scalar`, its shares handed to `sink`, `∂E/∂S_{t−1}` returned: the
  /// walk's (`backward(_:_:_:joining:)`) and the echo training's (`sideBySide`).
  static func stepBack<T: Scalar, S: ShareSink<T>>(
    _ dState: consuming CellState<T>, _ cache: ConcatRNNStepCache<T>, _ W: Matrix<T>,
    joining sink: inout S
  ) -> CellState<T> {
    let g = concatRNNStepBackward(dState.handedOn().h, cache: cache, W: W)
    join(g, into: &sink)
    return CellState(h: g.dsPrev)
  }

  /// The step and its backward step on rows side by side, `W` and `b_s` read once.
  public func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep? {
    let (W, b_s) = (p.matrix("W"), p["b_s"])
    return { x, state in
      let (S, cache) = concatRNNStepForward(x: x, sPrev: state.h, W: W, b_s: b_s)
      return (CellState(h: S), { Self.stepBack($0, cache, W, joining: &$1) })
    }
  }

  /// One step's gradients as the walk takes them: by parameter name, then `∂E/∂S_{t−1}`;
  /// `∂E/∂W` as its two factors.
  public static func cellGradients(_ g: consuming ConcatRNNStepGradientsOf<Double>) -> CellGradients
  {
    var parameters = ShareList<Double>(capacity: 2)
    join(g, into: &parameters)
    let dsPrev = g.dsPrev
    let g = consume g  // moved into dx's closure, not copied
    return CellGradientsOf(
      parameters: parameters.list, dStatePrev: CellState(h: dsPrev), dx: g.dx)
  }

  /// One step's shares handed to `sink` by parameter name: `∂E/∂W` as its two factors.
  static func join<T: Scalar, S: ShareSink<T>>(
    _ g: ConcatRNNStepGradientsOf<T>, into sink: inout S
  ) {
    sink.join("W", outer: g.da, g.input)
    sink.join("b_s", vector: g.db_s)
  }

  /// `1 − S_t²`, the only derivative in the step.
  public func conditioning(_ cache: ConcatRNNStepCache<Double>) -> Double {
    tanhConditioning(cache.S)
  }
}
