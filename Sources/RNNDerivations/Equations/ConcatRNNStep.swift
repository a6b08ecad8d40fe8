// Source 002's concatenated RNN step: S_t = tanh(W (X_t ‖ S_{t−1}) + b_s).

/// `[a ; b]`: two column vectors stacked.
@inlinable public func concatenate<T>(_ a: [T], _ b: [T]) -> [T] { a + b }

/// What `concatRNNStepBackward` needs from the forward pass: `X_t`, `S_{t−1}`, `S_t`.
public struct ConcatRNNStepCache<T: Scalar>: Sendable {
  public var x, sPrev, S: [T]
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
  let S = tanhForward(W * concatenate(x, sPrev) .+ b_s)
  return (S, ConcatRNNStepCache(x: x, sPrev: sPrev, S: S))
}

/// Gradients of one concatenated step.
public struct ConcatRNNStepGradients: Sendable {
  public var dW: Matrix<Double>
  public var db_s: [Double]
  public var dx: [Double]
  public var dsPrev: [Double]
}

/// Backward through one concatenated step, given `dS = ∂E/∂S_t`.
public func concatRNNStepBackward(
  _ dS: [Double], cache: ConcatRNNStepCache<Double>, W: Matrix<Double>
) -> ConcatRNNStepGradients {
  let (x, sPrev) = (cache.x, cache.sPrev)
  let da = tanhBackward(dS, h: cache.S)  // through tanh: 1 − S_t²
  let dInput = W.transposeTimes(da)  // Wᵀ da, for [x_t ; S_{t−1}] stacked
  return ConcatRNNStepGradients(
    dW: .outer(da, concatenate(x, sPrev)),  // da ⊗ [x_t ; S_{t−1}]
    db_s: da,
    dx: Array(dInput[..<x.count]),  // the first D rows belong to x_t
    dsPrev: Array(dInput[x.count...]))  // the last H rows to S_{t−1}
}

// MARK: - The cell

/// Source 002's step as a cell, with 002's names: `W` (`H×(D+H)`, input columns first) and
/// `b_s` (`H`); its output layer is `P_t = softmax(U S_t + b_p)` (`U` is the output matrix here).
public struct ConcatRNNCell: RecurrentCell {
  public init() {}
  public var parameters: [ParameterSpec] {
    [ParameterSpec("W", .H, .DPlusH, scale: 0.5), ParameterSpec("b_s", .H, scale: 0.1)]
  }
  public var outputNames: (weights: String, bias: String) { ("U", "b_p") }

  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    CellState(h: concatRNNStepForward(x: x, sPrev: state.h, W: p.matrix("W"), b_s: p["b_s"]).S)
  }

  public func forward(_ x: [Double], _ state: CellState<Double>, _ p: Parameters<Double>)
    -> (state: CellState<Double>, cache: ConcatRNNStepCache<Double>)
  {
    let (S, cache) = concatRNNStepForward(x: x, sPrev: state.h, W: p.matrix("W"), b_s: p["b_s"])
    return (CellState(h: S), cache)
  }

  public func backward(
    _ dState: CellState<Double>, _ cache: ConcatRNNStepCache<Double>, _ p: Parameters<Double>
  ) -> CellGradients {
    let g = concatRNNStepBackward(dState.h, cache: cache, W: p.matrix("W"))
    return CellGradients(
      parameters: [("W", .vector(g.dW.storage)), ("b_s", .vector(g.db_s))],
      dStatePrev: CellState(h: g.dsPrev),
      dx: g.dx)
  }

  public func conditioning(_ cache: ConcatRNNStepCache<Double>) -> Double {
    tanhConditioning(cache.S)
  }
}
