// The trace of `rnn-explain show gradient-clipping`: the clipping of Equations/GradientClipping.swift
// applied to the vanilla RNN's BPTT gradient, the Jacobian of global-norm clipping checked like
// any other, and why a clipped gradient cannot pass a gradient check.

/// Clipping by global norm as a function of the gradient it is applied to, every parameter's
/// gradient a variable of its own (for the oracles).
struct GlobalNormClipping: ForwardFunction {
  var clipNorm: Double
  var outputName: String { "clip(g)" }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    clipByGlobalNorm(v.values, clipNorm: clipNorm).flatMap { $0 }
  }
}

func gradientClippingTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let names = ex.model.parameters.map(\.name)  // U, W, b, V, b_y: what an optimiser updates
  let g = ex.gradients.parameters.values
  let norm = globalNorm(g)
  // Thresholds that act at every seed: in training c is a fixed hyperparameter (TF's clip_norm;
  // min-char-rnn clips values at 5), here half of what this gradient has.
  let c = norm / 2
  let largest = largestMagnitude(Array(g.joined()))
  let cValue = largest / 2
  let byNorm = clipByGlobalNorm(g, clipNorm: c)
  let byValue = clipByValue(g, clipValue: cValue)
  let cut = g.joined().filter { abs($0) > cValue }.count
  let entries = g.joined().count
  let perParameter = "per parameter (" + names.joined(separator: ", ") + ")"
  func norms(_ g: [[Double]]) -> [Double] { g.map { globalNorm([$0]) } }

  let point = zip(names, g).map { Variable("g_" + $0, $1) }
  let jacobian = clipByGlobalNormJacobian(g, clipNorm: c)
  var offset = 0
  let blocks = g.map { entries -> [Double] in
    defer { offset += entries.count }
    return jacobian.columns(offset..<offset + entries.count).storage  // ∂clip(g)/∂g_p
  }
  let unit = g.map { $0.map { $0 / norm } }  // ĝ
  let alongG = jacobian * unit.flatMap { $0 }  // J ĝ = c/‖g‖ (ĝ − ĝ (ĝ·ĝ)) = 0

  // The clipped gradient as if it were ∂E/∂θ: the initial state's gradient is not clipped (it
  // is no parameter), so only the parameters' checks are shown.
  let clippedAsGradient = verify(
    ex.model, at: ex.point, analytic: byNorm + ex.gradients.initialState.parts,
    seed: config.seed, conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes
  ).filter { names.contains($0.parameter) }.map { check in
    var check = check
    check.quantity = "clip(g)_\(check.parameter) as ∂E/∂\(check.parameter)"
    return check
  }
  return [
    TraceStep(
      "The gradient, unclipped",
      equation: "g = ∂E/∂θ for θ = (U, W, b, V, b_y),  ‖g‖ = √(Σ_θ Σ_i g_θ,i²)",
      latex:
        #"g = \frac{\partial E}{\partial \theta},\quad \lVert g\rVert = \sqrt{\textstyle\sum_\theta \sum_i g_{\theta,i}^2}"#,
      note:
        "BPTT's gradient (bptt-recursive), checked as always: clipping comes after the backward "
        + "pass, so the derivative checked is the unclipped one.",
      values: [NamedValue("‖g_θ‖ " + perParameter, norms(g)), NamedValue("‖g‖ (global)", norm)],
      checks: verify(
        ex.model, at: ex.point, analytic: ex.gradients.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)),
    TraceStep(
      "Clip by global norm (tf.clip_by_global_norm)",
      equation: "g ← g · c/‖g‖  if ‖g‖ > c:  one factor for every parameter",
      latex: #"g \leftarrow g\,\frac{c}{\lVert g\rVert}\quad\text{if } \lVert g\rVert > c"#,
      note:
        "c = ‖g‖/2 here, so that clipping acts at every seed. The norm becomes c and the "
        + "direction is kept: cos ∠(g, clip(g)) = 1.",
      values: [
        NamedValue("c", c), NamedValue("c/‖g‖", c / norm),
        NamedValue("‖clip(g)_θ‖ " + perParameter, norms(byNorm)),
        NamedValue("‖clip(g)‖", globalNorm(byNorm)),
        NamedValue("cos ∠(g, clip(g))", cosine(g, byNorm)),
      ]),
    TraceStep(
      "Clip by value (tf.clip_by_value, np.clip)",
      equation: "g_i ← min(max(g_i, −c_v), c_v):  each entry on its own",
      latex: #"g_i \leftarrow \min(\max(g_i, -c_v), c_v)"#,
      note:
        "c_v = max|g_i|/2 here. Entries inside [−c_v, c_v] are kept and the large ones cut, so "
        + "the direction turns towards the small entries: cos ∠ < 1 whenever an entry is cut.",
      values: [
        NamedValue("c_v", cValue),
        NamedValue("entries cut: \(cut) of \(entries), a fraction", Double(cut) / Double(entries)),
        NamedValue("‖clip_v(g)_θ‖ " + perParameter, norms(byValue)),
        NamedValue("‖clip_v(g)‖", globalNorm(byValue)),
        NamedValue("cos ∠(g, clip_v(g))", cosine(g, byValue)),
      ]),
    TraceStep(
      "The Jacobian of global-norm clipping",
      equation: "∂clip(g)/∂g = c/‖g‖ (I − ĝĝᵀ),  ĝ = g/‖g‖  (‖g‖ > c)",
      latex:
        #"\frac{\partial\,\mathrm{clip}(g)}{\partial g} = \frac{c}{\lVert g\rVert}\Big(I - \frac{g g^\top}{\lVert g\rVert^2}\Big)"#,
      note:
        "The scaling c/‖g‖, minus the projection onto g: along g the clipped gradient does not "
        + "move (its norm stays c), J ĝ = 0. Checked per parameter block against the oracles.",
      values: [NamedValue("‖J ĝ‖", globalNorm([alongG]))],
      checks: verify(
        GlobalNormClipping(clipNorm: c), at: point, analytic: blocks, seed: config.seed)
    ),
    TraceStep(
      "A clipped gradient checked against the oracles: FAIL, as it must",
      equation: "clip(g) = (c/‖g‖) ∂E/∂θ ≠ ∂E/∂θ:  off by 1 − c/‖g‖ of every entry",
      latex:
        #"\mathrm{clip}(g) = \frac{c}{\lVert g\rVert}\frac{\partial E}{\partial\theta} \ne \frac{\partial E}{\partial\theta}"#,
      note:
        "The oracles differentiate E; clipping rescales the update, not the loss, so no function "
        + "of θ has clip(g) as its gradient here. Each entry is off by 1 − c/‖g‖ = "
        + "\(format(1 - c / norm)) of itself, far above 1e-12 of the largest: these checks fail, "
        + "and are shown, not counted. Check gradients before clipping them.",
      expectedFailures: clippedAsGradient),
  ]
}
