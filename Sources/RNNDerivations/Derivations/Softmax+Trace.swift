// The trace of `rnn-explain show softmax`: the equations of Equations/Softmax.swift, narrated.

/// Softmax as a forward function of the logits (for the oracles).
struct SoftmaxFunction: ForwardFunction {
  var outputName: String { "ŷ" }
  /// The softmax decides from values only through its shift (`Scalar.largestPrimal`): each lane
  /// is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] { softmaxForward(inputs["z"]) }
}

/// How much `g_i − g·ŷ` cancels in `ŷ ⊙ (g − g·ŷ)`: the largest `(|g_i| + Σ_j |g_j ŷ_j|) /
/// |g_i − g·ŷ|` (capped at 1/ε, as the activations' conditioning is).
func vjpConditioning(_ g: [Double], _ y: [Double]) -> Double {
  let (gDotY, magnitude) = (dot(g, y), zip(g, y).reduce(0) { $0 + abs($1.0 * $1.1) })
  return g.reduce(1) { max($0, min((abs($1) + magnitude) / abs($1 - gDotY), 1 / Double.ulpOfOne)) }
}

func softmaxTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let K = config.dims.K
  let z = rng.vector(K, scale: 2 * config.scale)
  let y = softmaxForward(z)
  let J = softmaxJacobian(y)
  let point = [Variable("z", z)]
  var steps = [
    TraceStep(
      "Logits and the stable forward pass",
      equation: "ŷ_i = e^{z_i − m} / Σ_k e^{z_k − m},  m = max_k z_k",
      latex: #"\hat y_i = \frac{e^{z_i - m}}{\sum_k e^{z_k - m}}, \quad m = \max_k z_k"#,
      note: "Source 003 writes the denominator Σ_k e^{z_t}; it means Σ_k e^{z_k} (Errata).",
      values: [NamedValue("z", z), NamedValue("ŷ", y), NamedValue("Σ ŷ", y.reduce(0, +))]),
    TraceStep(
      "The hand-derived Jacobian",
      equation: "∂ŷ_i/∂z_j = ŷ_i (δ_ij − ŷ_j)   (diag: ŷ_i(1 − ŷ_i), off-diag: −ŷ_i ŷ_j)",
      latex: #"\frac{\partial \hat y_i}{\partial z_j} = \hat y_i(\delta_{ij} - \hat y_j)"#,
      note: "Each oracle differentiates softmaxForward itself; none sees this formula.",
      values: [
        NamedValue("∂ŷ/∂z (hand)", J),
        NamedValue(
          "∂ŷ/∂z (dual)",
          Matrix(
            rows: K, cols: K, storage: DualOracle.jacobian(SoftmaxFunction(), at: point, wrt: 0))),
        NamedValue(
          "∂ŷ/∂z (finite differences)",
          Matrix(
            rows: K, cols: K,
            storage: FiniteDifference.jacobian(SoftmaxFunction(), at: point, wrt: 0).values)),
      ],
      checks: verify(
        SoftmaxFunction(), at: point, analytic: [J.storage], seed: config.seed,
        conditioning: sigmoidConditioning(y))),
  ]
  let g = rng.vector(K)
  let dz = softmaxBackward(g, y: y)
  steps.append(
    TraceStep(
      "Backward pass without the Jacobian",
      equation:
        "∂E/∂z_i = (Jᵀ g)_i = ŷ_i(1 − ŷ_i) g_i − ŷ_i Σ_{j≠i} ŷ_j g_j = ŷ_i (g_i − g·ŷ)   for an upstream gradient g = ∂E/∂ŷ",
      latex:
        #"\frac{\partial E}{\partial z_i} = \hat y_i(1 - \hat y_i)\, g_i - \hat y_i \sum_{j \ne i} \hat y_j g_j = \hat y_i\,(g_i - g^\top \hat y)"#,
      note:
        "O(K) instead of the O(K²) Jacobian: the off-diagonal terms sum to −ŷ_i (g·ŷ − ŷ_i g_i); "
        + "−ŷ_i (g·ŷ) is the whole ŷŷᵀ term, diagonal included.",
      values: [NamedValue("g", g), NamedValue("∂E/∂z", dz)],
      checks: verify(
        Projected(SoftmaxFunction(), upstream: g), at: point, analytic: [dz], seed: config.seed,
        conditioning: vjpConditioning(g, y))))
  // K = 2: softmax is exactly the sigmoid of the logit difference.
  let pair = Array(z.prefix(2)) + (K < 2 ? [0] : [])
  let y2 = softmaxForward(pair)
  let s = Double.sigmoid(pair[0] - pair[1])
  steps.append(
    TraceStep(
      "Two classes: softmax is a sigmoid",
      equation: "softmax(z₀, z₁)₀ = 1/(1 + e^{−(z₀ − z₁)}) = σ(z₀ − z₁), ∂ŷ₀/∂z₀ = σ'(z₀ − z₁)",
      latex: #"\mathrm{softmax}(z_0, z_1)_0 = \sigma(z_0 - z_1)"#,
      note:
        "Source 003 calls the diagonal y(1 − y) 'a sigmoid': it has the sigmoid-derivative "
        + "form for any K, but softmax itself is a sigmoid only for K = 2.",
      values: [
        NamedValue("(z₀, z₁)", pair), NamedValue("softmax", y2), NamedValue("σ(z₀ − z₁)", s),
      ],
      checks: [
        GradientCheck(
          quantity: "softmax(z₀, z₁)₀", parameter: "z", reference: "σ(z₀ − z₁)",
          shape: .vector(1), analytic: [y2[0]], expected: [s], tolerance: Tolerances.identity),
        GradientCheck(
          quantity: "∂ŷ₀/∂z₀ = ŷ₀(1 − ŷ₀)", parameter: "z", reference: "σ'(z₀ − z₁) (dual)",
          shape: .vector(1), analytic: [softmaxJacobian(y2)[0, 0]],
          expected: [Dual.sigmoid(Dual(pair[0] - pair[1], derivative: 1)).derivative],
          tolerance: Tolerances.identity, conditioning: sigmoidConditioning(y2)),
      ]))
  return steps
}
