// The traces of `rnn-explain show truncated-bptt` and `state-carry`: the walk of
// Sequence/SequenceModel.swift with a `Truncation`, and the objectives of Sequence/Truncation.swift.

extension Truncation {
  /// Row `t`, column `j`: 1 where `E_t`'s gradient passes through step `j`, over `T` steps.
  func reach(_ T: Int) -> Matrix<Double> {
    let entries = (0..<T * T).map { k -> Double in
      let (t, j) = (k / T, k % T)
      let first: Int
      switch self {
      case .none: first = 0
      case .chunks(let n): first = t / n * n  // its chunk's first step
      case .window(let n): first = max(0, t - n + 1)
      }
      return j >= first && j <= t ? 1 : 0
    }
    return Matrix(rows: T, cols: T, storage: entries)
  }
}

/// The trace of `truncated-bptt`: the rnn of the BPTT traces, `n = ⌈T/2⌉`.
func truncatedBPTTTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let (T, n) = (config.steps, (config.steps + 1) / 2)
  func backward(_ style: Truncation, _ title: String, equation: String, latex: String, note: String)
    -> TraceStep
  {
    let g = ex.model.backward(ex.run, ex.p, truncation: style)
    return TraceStep(
      title, equation: equation, latex: latex, note: note,
      values: [
        NamedValue("reach (row t: E_t, column j: step j)", style.reach(T)),
        NamedValue("∂E/∂W", g.parameters.matrix("W")),
        NamedValue("∂E/∂U", g.parameters.matrix("U")),
        NamedValue("∂E/∂s_{−1}", g.initialState.h),
      ],
      checks: verify(
        TruncatedObjective(ex.model, style, at: ex.point), at: ex.point, analytic: g.flat,
        seed: config.seed, conditioning: ex.conditioning, magnitudes: g.magnitudes))
  }
  let full = ex.gradients.parameters["W"]
  let chunks = ex.model.backward(ex.run, ex.p, truncation: .chunks(n)).parameters["W"]
  let window = ex.model.backward(ex.run, ex.p, truncation: .window(n)).parameters["W"]
  let scale = largestMagnitude(full)
  func gap(_ a: [Double], _ b: [Double]) -> Double { largestMagnitude(a .- b) / scale }
  return [
    ex.forwardStep,
    backward(
      .chunks(n), "TensorFlow style: chunks of n = \(n)",
      equation:
        "∂E/∂s_t = Vᵀ(ŷ_t − y_t) + dhNext,  dhNext = Wᵀ(∂E/∂s_{t+1} ⊙ (1 − s_{t+1}²)), "
        + "or 0 where t + 1 starts a chunk (t + 1 ≡ 0 mod n)",
      latex:
        #"\frac{\partial E}{\partial s_t} = V^\top(\hat y_t - y_t) + [\,t+1 \not\equiv 0 \bmod n\,]\, W^\top\big(\tfrac{\partial E}{\partial s_{t+1}} \odot (1 - s_{t+1}^2)\big)"#,
      note:
        "The series is cut into chunks of n steps (num_steps); the state is carried into the next "
        + "chunk but the gradient is not: E_t reaches back only to its chunk's first step, so the "
        + "last error of a chunk travels n steps and the first travels one. The oracles "
        + "differentiate E with the state entering each chunk held constant."),
    backward(
      .window(n), "True truncation: every error back n = \(n) steps",
      equation: "∂E/∂θ = Σ_t Σ_{k = t−n+1 … t} ∂E_t/∂s_k · ∂s_k/∂θ (direct)",
      latex:
        #"\frac{\partial E}{\partial \theta} = \sum_t \sum_{k=t-n+1}^{t} \frac{\partial E_t}{\partial s_k}\frac{\partial s_k}{\partial \theta}\Big|_{\text{direct}}"#,
      note:
        "Each E_t is walked back on its own through exactly n steps (fewer near the start, "
        + "where it reaches s_{−1}): one dhNext cannot carry errors that stop at different steps. "
        + "The oracles differentiate Σ_t E_t with s_{t−n} held constant in E_t."),
    TraceStep(
      "What each truncation changes",
      equation: "max |∂E/∂W (style) − ∂E/∂W (full)| / max |∂E/∂W (full)|",
      latex:
        #"\max_{ij} \big|\partial E/\partial W^{\text{style}} - \partial E/\partial W^{\text{full}}\big| \,/\, \max_{ij} |\partial E/\partial W^{\text{full}}|"#,
      note:
        "The loss is the same in every style: only the gradient changes. The two truncations "
        + "differ from full BPTT and from each other (R2RT, Styles of Truncated "
        + "Backpropagation); with n ≥ T both are full BPTT.",
      values: [
        NamedValue("∂E/∂W (full BPTT)", ex.gradients.parameters.matrix("W")),
        NamedValue("chunks vs full", gap(chunks, full)),
        NamedValue("window vs full", gap(window, full)),
        NamedValue("chunks vs window", gap(chunks, window)),
      ]),
  ]
}

/// The trace of `state-carry`: the series cut in two at `m = ⌈T/2⌉`, the second half run
/// from the first's final state (source 001's `initial_state`), and from zeros.
func stateCarryTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let m = (config.steps + 1) / 2
  func half(_ range: Range<Int>, from initial: CellState<Double>, name: String)
    -> SequenceExample<RNNCell>
  {
    var part = ex
    part.model.outputName = "E_\(name)"
    if range.lowerBound > 0 { part.model.stateNames = ["s_\(range.lowerBound - 1)"] }
    part.model.xs = Array(ex.model.xs[range])
    part.model.targets = Array(ex.model.targets[range])
    part.initial = initial
    part.run = part.model.forward(part.p, from: initial)
    part.gradients = part.model.backward(part.run, part.p)
    return part
  }
  let a = half(0..<m, from: ex.initial, name: "A")
  let carried = a.run.finalState
  let b = half(m..<config.steps, from: carried, name: "B")
  let zeros = [Double](repeating: 0, count: config.dims.H)
  let fresh = half(m..<config.steps, from: CellState(h: zeros), name: "B")
  let chunked = ex.model.backward(ex.run, ex.p, truncation: .chunks(m))
  let sum = zip(a.gradients.parameters.values, b.gradients.parameters.values).map { $0 .+ $1 }
  let names = ex.p.layout.names
  func identity(
    _ label: String, _ values: [Double], _ expected: [Double], reference: String,
    shape: Shape? = nil
  ) -> GradientCheck {
    GradientCheck(
      quantity: label, parameter: label, reference: reference,
      shape: shape ?? .vector(values.count),
      analytic: values, expected: expected, tolerance: Tolerances.identity)
  }
  return [
    ex.forwardStep,
    TraceStep(
      "Carry the state: the split is invisible to the forward pass",
      equation:
        "chunk A: steps 0 … \(m - 1) from s_{−1};  chunk B: steps \(m) … \(config.steps - 1) from "
        + "s_\(m - 1), A's final state;  E_A + E_B = E",
      latex: #"E_A(s_{-1}) + E_B(s_{m-1}) = E,\quad s_{m-1} = \text{A's final state}"#,
      note:
        "Source 001 feeds each batch's final state back as the next batch's initial state "
        + "(dynamic_rnn's initial_state). The forward pass is then exactly the unsplit one.",
      values: [
        NamedValue("s_\(m - 1) (A's final state, B's initial state)", carried.h),
        NamedValue("E_A", a.run.loss), NamedValue("E_B", b.run.loss), NamedValue("E", ex.run.loss),
      ],
      checks: [identity("E_A + E_B", [a.run.loss + b.run.loss], [ex.run.loss], reference: "E")]),
    TraceStep(
      "What carrying does not carry: the gradient",
      equation:
        "∂E_A/∂θ + ∂E_B/∂θ = ∂E/∂θ truncated at chunks of \(m);  ∂E_B/∂s_\(m - 1) is computed, "
        + "then dropped",
      latex:
        #"\frac{\partial E_A}{\partial \theta} + \frac{\partial E_B}{\partial \theta} = \frac{\partial E}{\partial \theta}\Big|_{\text{chunks}},\quad \frac{\partial E_B}{\partial s_{m-1}} \text{ dropped}"#,
      note:
        "Chunk B's gradients are those of a sequence model whose initial state is a variable: "
        + "the oracles check them, ∂E_B/∂s_\(m - 1) included. Training on chunks never hands "
        + "∂E_B/∂s_\(m - 1) to chunk A, so the two chunks' gradients add up to TensorFlow-style "
        + "truncation, not to full BPTT.",
      values: [
        NamedValue("∂E_B/∂W", b.gradients.parameters.matrix("W")),
        NamedValue("∂E_B/∂s_\(m - 1)", b.gradients.initialState.h),
        NamedValue(
          "∂E_A/∂W + ∂E_B/∂W",
          Matrix(
            rows: config.dims.H, cols: config.dims.H,
            storage: sum[names.firstIndex(of: "W") ?? 0])),
      ],
      checks: verify(
        b.model, at: b.point, analytic: b.gradients.flat, seed: config.seed,
        conditioning: b.conditioning, magnitudes: b.gradients.magnitudes)
        + names.indices.map { k in
          identity(
            "∂E_A/∂\(names[k]) + ∂E_B/∂\(names[k])", sum[k], chunked.parameters.values[k],
            reference: "chunks(\(m))", shape: ex.point[k].shape)
        }),
    TraceStep(
      "Without the carry: chunk B from zeros",
      equation: "chunk B from s = 0:  E_B changes, and so does every gradient of B",
      latex: #"E_B(0) \ne E_B(s_{m-1})"#,
      note:
        "Resetting the state at each chunk (source 001's loop, which never assigns sess.run's "
        + "result to training_state, does this) makes chunk B forget chunk A: a dependency "
        + "longer than a chunk can then never be learned.",
      values: [
        NamedValue("E_B from s_\(m - 1)", b.run.loss), NamedValue("E_B from 0", fresh.run.loss),
        NamedValue("∂E_B/∂W from 0", fresh.gradients.parameters.matrix("W")),
      ]),
  ]
}
