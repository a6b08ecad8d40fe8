// The trace of `rnn-explain show rnn-concat-step`: Equations/ConcatRNNStep.swift, narrated.

/// `g · S_t` as a function of `(W, b_s, X_t, S_{t−1})` (for the oracles).
struct ConcatRNNStepFunction: ForwardFunction {
  var upstream: [Double]
  var outputName: String { "(g·S_t)" }
  /// The step and the projection are arithmetic only: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let S = concatRNNStepForward(x: v["X_t"], sPrev: v["S_{t−1}"], W: v.matrix("W"), b_s: v["b_s"])
      .S
    return [dot(lift(upstream), S)]
  }
}

func concatRNNStepTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let (D, H) = (config.dims.D, config.dims.H)
  let W = rng.matrix(H, D + H, scale: 0.5 * config.scale)
  let b_s = rng.vector(H, scale: 0.1 * config.scale)
  let x = rng.vector(D)
  let sPrev = rng.vector(H)
  let g = rng.vector(H)
  let (S, cache) = concatRNNStepForward(x: x, sPrev: sPrev, W: W, b_s: b_s)
  let grads = concatRNNStepBackward(g, cache: cache, W: W)
  // The same step as rnn-step, with W split into its input and recurrent blocks.
  let (U_in, W_rec) = (W.columns(0..<D), W.columns(D..<D + H))
  let (h, splitCache) = rnnStepForward(x: x, hPrev: sPrev, W: W_rec, U: U_in, b: b_s)
  let split = rnnStepBackward(g, cache: splitCache, W: W_rec, U: U_in)
  let joined = Matrix.sideBySide(split.dU, split.dW)
  func identity(_ q: String, _ a: [Double], _ b: [Double], _ shape: Shape) -> GradientCheck {
    GradientCheck(
      quantity: q, parameter: "W", reference: "rnn-step", shape: shape, analytic: a, expected: b,
      tolerance: Tolerances.identity)
  }
  return [
    TraceStep(
      "Forward on the stacked vector",
      equation: "S_t = tanh(W [X_t ; S_{t−1}] + b_s),   W: H×(D+H)",
      latex: #"S_t = \tanh\big(W (X_t \,\|\, S_{t-1}) + b_s\big)"#,
      note:
        "Source 002 gives W ∈ R^{d×(2+d)} for its 2-dim input; here D+H. Its P_t = U S_t + b_p "
        + "is logits: it needs a softmax to be probabilities (Errata).",
      values: [
        NamedValue("[X_t ; S_{t−1}]", concatenate(x, sPrev)), NamedValue("W", W),
        NamedValue("b_s", b_s), NamedValue("S_t", S),
      ]),
    TraceStep(
      "The same step, split",
      equation:
        "W [x ; s] = W[:, :D] x + W[:, D:] s   so   S_t = rnn-step with U = W[:, :D], W = W[:, D:]",
      latex: #"W\,(x \| s) = U_{in}\, x + W_{rec}\, s, \quad W = [\,U_{in} \mid W_{rec}\,]"#,
      values: [
        NamedValue("U_in = W[:, :D]", U_in), NamedValue("W_rec = W[:, D:]", W_rec),
        NamedValue("h_t (rnn-step)", h),
      ],
      checks: [identity("S_t (concatenated)", S, h, .vector(H))]),
    TraceStep(
      "Backward: the block gradient is the two gradients side by side",
      equation: "∂E/∂W = da ⊗ [x ; s] = [ da ⊗ x | da ⊗ s ] = [ ∂E/∂U_in | ∂E/∂W_rec ]",
      latex:
        #"\frac{\partial E}{\partial W} = \Big[\frac{\partial E}{\partial U_{in}} \;\Big|\; \frac{\partial E}{\partial W_{rec}}\Big]"#,
      values: [
        NamedValue("g = ∂E/∂S_t", g), NamedValue("∂E/∂W", grads.dW),
        NamedValue("[∂E/∂U_in | ∂E/∂W_rec]", joined),
      ],
      checks: [
        identity("∂E/∂W (concatenated)", grads.dW.storage, joined.storage, .matrix(H, D + H))
      ]
        + verify(
          ConcatRNNStepFunction(upstream: g),
          at: [
            Variable("W", W), Variable("b_s", b_s), Variable("X_t", x),
            Variable("S_{t−1}", sPrev),
          ],
          analytic: [grads.dW.storage, grads.db_s, grads.dx, grads.dsPrev], seed: config.seed,
          conditioning: ConcatRNNCell().conditioning(cache))),
  ]
}
