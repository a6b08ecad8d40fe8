// The trace of `rnn-explain show output-layer`: the equations of Equations/OutputLayer.swift,
// narrated.

/// `E(V, b_y)` over fixed states (for the oracles).
struct OutputLayerFunction: ForwardFunction {
  var states: [[Double]]
  var targets: [Int]
  var outputName: String { "E" }
  /// The softmax decides from values only through its shift (`Scalar.largestPrimal`): each lane
  /// is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    [sequenceLoss(states: states.map(lift), targets: targets, V: v.matrix("V"), b_y: v["b_y"])]
  }
}

func outputLayerTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let (H, K, T) = (config.dims.H, config.dims.K, config.steps)
  let V = rng.matrix(K, H, scale: 0.5 * config.scale)
  let b_y = rng.vector(K, scale: 0.1 * config.scale)
  let states = (0..<T).map { _ in rng.vector(H) }
  let targets = (0..<T).map { _ in rng.index(below: K) }
  var dV = Matrix<Double>.zeros(K, H)
  var db_y = [Double](repeating: 0, count: K)
  var steps = [
    TraceStep(
      "The output layer's parameters",
      equation: "ŷ_t = softmax(V s_t + b_y),   V: K×H,   E = Σ_t E_t",
      latex: #"\hat y_t = \mathrm{softmax}(V s_t + b_y)"#,
      note: "The states s_t are random here: this derivation starts where the recurrence ends.",
      values: [
        NamedValue("V", V), NamedValue("b_y", b_y),
        NamedValue("E", sequenceLoss(states: states, targets: targets, V: V, b_y: b_y)),
      ])
  ]
  var conditioning = 1.0  // ŷ − y cancels as a prediction nears certainty
  for t in 0..<T {
    let yHat = outputLayerForward(s: states[t], V: V, b_y: b_y)
    conditioning = max(conditioning, sigmoidConditioning(yHat))
    let grads = outputLayerBackward(yHat: yHat, target: targets[t], s: states[t], V: V)
    dV += grads.dV  // ∂E/∂V = Σ_t ∂E_t/∂V
    db_y = db_y .+ grads.db_y
    steps.append(
      TraceStep(
        "Step t = \(t): ∂E_t/∂V",
        equation: "∂E_t/∂V = (ŷ_t − y_t) ⊗ s_t,   target class k_t = \(targets[t])",
        latex: #"\frac{\partial E_t}{\partial V} = (\hat y_t - y_t) \otimes s_t"#,
        values: [
          NamedValue("s_t", states[t]), NamedValue("ŷ_t", yHat),
          NamedValue("ŷ_t − y_t", grads.db_y), NamedValue("∂E_t/∂V", grads.dV),
        ]))
  }
  steps.append(
    TraceStep(
      "Sum over time",
      equation: "∂E/∂V = Σ_t (ŷ_t − y_t) ⊗ s_t,   ∂E/∂b_y = Σ_t (ŷ_t − y_t)",
      latex: #"\frac{\partial E}{\partial V} = \sum_t (\hat y_t - y_t) \otimes s_t"#,
      note:
        "Source 003 writes (ŷ_t − y_t) • s_t; the product is the outer product, K×H like V. "
        + "V is shared by every step, so the step gradients add.",
      values: [NamedValue("∂E/∂V", dV), NamedValue("∂E/∂b_y", db_y)],
      checks: verify(
        OutputLayerFunction(states: states, targets: targets),
        at: [Variable("V", V), Variable("b_y", b_y)], analytic: [dV.storage, db_y],
        seed: config.seed, conditioning: conditioning)))
  return steps
}
