// The trace of `rnn-explain show activations`: the equations of Equations/Activations.swift,
// narrated.

/// `tanh` or `σ` applied element-wise (for the oracles).
struct ActivationFunction: ForwardFunction {
  var sigmoid: Bool
  var outputName: String { sigmoid ? "σ" : "tanh" }
  /// σ's and tanh's branches are taken lane by lane: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    sigmoid ? sigmoidForward(inputs["a"]) : tanhForward(inputs["a"])
  }
}

func activationsTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let a = rng.vector(config.dims.H, scale: 3 * config.scale)
  let ones = [Double](repeating: 1, count: a.count)
  let h = tanhForward(a)
  let s = sigmoidForward(a)
  // Backward with upstream 1 gives the element-wise derivative; the Jacobian is its diagonal.
  let dTanh = tanhBackward(ones, h: h)
  let dSigmoid = sigmoidBackward(ones, s: s)
  func diagonal(_ d: [Double]) -> [Double] {
    Matrix<Double>.identity(d.count).scalingRows(by: d).storage
  }
  let point = [Variable("a", a)]
  return [
    TraceStep(
      "tanh",
      equation: "h = tanh(a),   ∂h/∂a = 1 − tanh²(a) = 1 − h²",
      latex: #"\frac{d}{da}\tanh a = 1 - \tanh^2 a"#,
      note: "The derivative is read off the output h, which the forward pass keeps.",
      values: [NamedValue("a", a), NamedValue("h", h), NamedValue("1 − h²", dTanh)],
      checks: verify(
        ActivationFunction(sigmoid: false), at: point, analytic: [diagonal(dTanh)],
        seed: config.seed, conditioning: tanhConditioning(h))),
    TraceStep(
      "sigmoid",
      equation: "s = σ(a) = 1/(1 + e^{−a}),   ∂s/∂a = σ(a)(1 − σ(a)) = s(1 − s)",
      latex: #"\frac{d}{da}\sigma(a) = \sigma(a)\,(1 - \sigma(a))"#,
      note:
        "The dual oracle uses e^{−|a|}/(1 + e^{−|a|})², not s(1 − s), so this is a real check.",
      values: [NamedValue("s", s), NamedValue("s(1 − s)", dSigmoid)],
      checks: verify(
        ActivationFunction(sigmoid: true), at: point, analytic: [diagonal(dSigmoid)],
        seed: config.seed, conditioning: sigmoidConditioning(s))),
  ]
}
