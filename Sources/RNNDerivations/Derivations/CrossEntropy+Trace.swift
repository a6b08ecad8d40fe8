// The traces of `rnn-explain show cross-entropy` and `softmax-cross-entropy`: the equations
// of Equations/CrossEntropy.swift, narrated.

/// `E(ŷ)` for a fixed target (for the oracles).
struct CrossEntropyFunction: ForwardFunction {
  var target: [Double]
  var outputName: String { "E" }
  /// Arithmetic and `log` only: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    [crossEntropyForward(inputs["ŷ"], target: lift(target))]
  }
}

/// `E(z)` through softmax for a fixed target (for the oracles).
struct SoftmaxCrossEntropyFunction: ForwardFunction {
  var target: [Double]
  var outputName: String { "E" }
  /// The softmax decides from values only through its shift (`Scalar.largestPrimal`): each lane
  /// is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    [softmaxCrossEntropyForward(inputs["z"], target: lift(target))]
  }
}

/// A one-hot and a soft target for `K` classes.
private func targets(_ rng: inout SplitMix64, _ K: Int) -> [(String, [Double])] {
  [("one-hot", oneHot(rng.index(below: K), K)), ("soft", softmaxForward(rng.vector(K, scale: 2)))]
}

func crossEntropyTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let yHat = softmaxForward(rng.vector(config.dims.K, scale: 2 * config.scale))
  var probabilities = Variable("ŷ", yHat)
  probabilities.stepScale = 0  // log ŷ: finite-difference steps relative to ŷ
  let steps = targets(&rng, config.dims.K).map { kind, y in
    let dyHat = crossEntropyBackward(yHat, target: y)
    return TraceStep(
      "Cross-entropy, \(kind) target",
      equation: "E = −Σ_k y_k log ŷ_k,   ∂E/∂ŷ_k = −y_k / ŷ_k",
      latex:
        #"E = -\sum_k y_k \log \hat y_k, \quad \frac{\partial E}{\partial \hat y_k} = -\frac{y_k}{\hat y_k}"#,
      note: kind == "one-hot"
        ? "With a one-hot y only the target class contributes: E = −log ŷ_target."
        : "A soft target spreads the loss over every class.",
      values: [
        NamedValue("ŷ", yHat), NamedValue("y", y),
        NamedValue("E", crossEntropyForward(yHat, target: y)), NamedValue("∂E/∂ŷ", dyHat),
      ],
      checks: verify(
        CrossEntropyFunction(target: y), at: [probabilities], analytic: [dyHat],
        seed: config.seed))
  }
  return steps
}

func softmaxCrossEntropyTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let z = rng.vector(config.dims.K, scale: 2 * config.scale)
  let yHat = softmaxForward(z)
  let steps = targets(&rng, config.dims.K).map { kind, y in
    let direct = softmaxCrossEntropyBackward(yHat, target: y)
    let chained = softmaxBackward(crossEntropyBackward(yHat, target: y), y: yHat)
    return TraceStep(
      "Softmax + cross-entropy, \(kind) target",
      equation: "∂E/∂z = (∂ŷ/∂z)ᵀ ∂E/∂ŷ = −y + ŷ Σ_k y_k = ŷ − y",
      latex: #"\frac{\partial E}{\partial z} = \hat y - y"#,
      note:
        "Source 003's bracket [−y_t/ŷ_t · ŷ_t(1 − ŷ_t) − Σ_{k≠t} y_k/ŷ_k · (−ŷ_t ŷ_k)] "
        + "is this chain written out for one class t; it collapses to ŷ_t − y_t.",
      values: [
        NamedValue("z", z), NamedValue("ŷ", yHat), NamedValue("y", y),
        NamedValue("ŷ − y (direct)", direct),
        NamedValue("softmaxBackward(−y/ŷ) (chained)", chained),
      ],
      checks: [
        GradientCheck(
          quantity: "∂E/∂z direct", parameter: "z", reference: "chained", shape: .vector(z.count),
          analytic: direct, expected: chained, tolerance: Tolerances.identity,
          conditioning: sigmoidConditioning(yHat))  // the chain's g − g·ŷ cancels as ŷ → 1
      ]
        + verify(
          SoftmaxCrossEntropyFunction(target: y), at: [Variable("z", z)], analytic: [direct],
          seed: config.seed, conditioning: sigmoidConditioning(yHat)))
  }
  return steps
}
