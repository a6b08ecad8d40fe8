// The trace of `rnn-explain show rnn-step`: the equations of Equations/RNNStep.swift, narrated.

/// `g · h_t` as a function of `(W, U, b, h_{t−1}, x_t)` (for the oracles).
struct RNNStepFunction: ForwardFunction {
  var upstream: [Double]
  var outputName: String { "(g·h_t)" }
  /// The step and the projection are arithmetic only: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let h = rnnStepForward(
      x: v["x_t"], hPrev: v["h_{t−1}"], W: v.matrix("W"), U: v.matrix("U"), b: v["b"]
    ).h
    return [dot(lift(upstream), h)]
  }
}

func rnnStepTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let (D, H) = (config.dims.D, config.dims.H)
  let W = rng.matrix(H, H, scale: 0.5 * config.scale)
  let U = rng.matrix(H, D, scale: 0.5 * config.scale)
  let b = rng.vector(H, scale: 0.1 * config.scale)
  let hPrev = rng.vector(H)
  let x = rng.vector(D)
  let g = rng.vector(H)
  let (h, cache) = rnnStepForward(x: x, hPrev: hPrev, W: W, U: U, b: b)
  let grads = rnnStepBackward(g, cache: cache, W: W, U: U)
  let point = [
    Variable("W", W), Variable("U", U), Variable("b", b), Variable("h_{t−1}", hPrev),
    Variable("x_t", x),
  ]
  return [
    TraceStep(
      "Forward",
      equation: "h_t = tanh(a_t),   a_t = W h_{t−1} + U x_t + b",
      latex: #"h_t = \tanh(W h_{t-1} + U x_t + b)"#,
      note: "Sources 000/001 write W h_{t_1}: it means h_{t−1} (Errata).",
      values: [
        NamedValue("x_t", x), NamedValue("h_{t−1}", hPrev), NamedValue("W", W),
        NamedValue("U", U), NamedValue("b", b), NamedValue("h_t", h),
      ]),
    TraceStep(
      "Through tanh",
      equation: "∂E/∂a_t = ∂E/∂h_t ⊙ (1 − h_t²)",
      latex:
        #"\frac{\partial E}{\partial a_t} = \frac{\partial E}{\partial h_t} \odot (1 - h_t^2)"#,
      note: "g stands for ∂E/∂h_t, whatever sits above this step (a random vector here).",
      values: [NamedValue("g = ∂E/∂h_t", g), NamedValue("∂E/∂a_t", grads.db)]),
    TraceStep(
      "To every input of the step",
      equation:
        "∂E/∂W = da ⊗ h_{t−1},  ∂E/∂U = da ⊗ x_t,  ∂E/∂b = da,  ∂E/∂h_{t−1} = Wᵀ da,  ∂E/∂x_t = Uᵀ da",
      latex:
        #"\frac{\partial E}{\partial W} = \delta\, h_{t-1}^\top,\ \frac{\partial E}{\partial U} = \delta\, x_t^\top,\ \frac{\partial E}{\partial b} = \delta,\ \frac{\partial E}{\partial h_{t-1}} = W^\top \delta,\ \frac{\partial E}{\partial x_t} = U^\top \delta"#,
      note:
        "A weight gradient is an outer product: entry (i, j) is da_i times the input j it scales.",
      values: [
        NamedValue("∂E/∂W", grads.dW), NamedValue("∂E/∂U", grads.dU),
        NamedValue("∂E/∂h_{t−1}", grads.dhPrev), NamedValue("∂E/∂x_t", grads.dx),
      ],
      checks: verify(
        RNNStepFunction(upstream: g), at: point,
        analytic: [grads.dW.storage, grads.dU.storage, grads.db, grads.dhPrev, grads.dx],
        seed: config.seed, conditioning: RNNCell().conditioning(cache))),
  ]
}
