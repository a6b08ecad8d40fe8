// The traces of `rnn-explain show sequence-mask` and `sequence-types`: which steps of the one
// walk (Sequence/SequenceModel.swift) run, take an input and carry a loss.

/// 1 where `flags` is true, 0 elsewhere: a row of a trace.
private func indicator(_ flags: [Bool]) -> [Double] { flags.map { $0 ? 1 : 0 } }

/// The trace of `sequence-mask`: a batch of three sequences padded to T, of lengths T,
/// ⌈T/2⌉ and 1, whose padding is random (it must not matter).
func sequenceMaskTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let T = config.steps
  var rng = SplitMix64(seed: config.seed ^ 0xBA7C4)
  let lengths = [T, (T + 1) / 2, 1]
  let sequences = lengths.map { length -> SequenceModel<RNNCell> in
    var model = ex.model
    let (xs, targets) = rng.sequence(config.dims, steps: T)
    (model.xs, model.targets, model.length) = (xs, targets, length)
    return model
  }
  let batch = SequenceBatch(sequences)
  let total = batch.gradients(at: ex.point)
  let each = total.each
  // The shortest sequence with its padding replaced by zeros: nothing may change.
  var short = sequences[2]
  for t in 1..<T { short.xs[t] = short.xs[t].map { _ in 0 } }
  let zeroed = short.gradients(at: ex.point).gradients
  let names = ex.point.map(\.name)
  return [
    TraceStep(
      "A batch padded to T = \(T)",
      equation: "sequence_length = \(lengths),  E = Σ_b Σ_{t < length_b} −log ŷ_{b,t}[k_{b,t}]",
      latex: #"E = \sum_b \sum_{t < \ell_b} -\log \hat y_{b,t}[k_{b,t}]"#,
      note:
        "dynamic_rnn runs each sequence to its own length: past it the state is copied through "
        + "and the outputs are zero, so a padded step adds nothing to E. The padding here is "
        + "random on purpose.",
      values: sequences.indices.flatMap { b in
        [
          NamedValue("sequence \(b): runs at step", indicator((0..<T).map { $0 < lengths[b] })),
          NamedValue("E_\(b)", each[b].loss),
          NamedValue(
            "final s of sequence \(b) (that of step \(lengths[b] - 1))",
            each[b].finalState[0].values),
        ]
      }),
    TraceStep(
      "A padded step's gradient is exactly zero",
      equation: "∂E_b/∂θ with the padding of sequence 2 random = with it zero, bit for bit",
      latex:
        #"\frac{\partial E_2}{\partial \theta}\Big|_{\text{random padding}} = \frac{\partial E_2}{\partial \theta}\Big|_{\text{zero padding}}"#,
      note:
        "No padded step runs, so none sends a gradient back: the two are the same floating-point "
        + "numbers, not merely close.",
      checks: names.indices.map { k in
        GradientCheck(
          quantity: "∂E_2/∂\(names[k]) (random padding)", parameter: names[k],
          reference: "zero padding", shape: ex.point[k].shape, analytic: each[2].gradients[k],
          expected: zeroed[k], tolerance: 0)
      }),
    TraceStep(
      "The batch's gradient",
      equation: "∂E/∂θ = Σ_b ∂E_b/∂θ",
      latex: #"\frac{\partial E}{\partial \theta} = \sum_b \frac{\partial E_b}{\partial \theta}"#,
      note: "The oracles differentiate the whole batch's E: every sequence, masks included.",
      values: [
        NamedValue(
          "∂E/∂W",
          Matrix(
            rows: config.dims.H, cols: config.dims.H,
            storage: total.gradients[names.firstIndex(of: "W") ?? 0]))
      ],
      checks: verify(
        batch, at: ex.point, analytic: total.gradients, seed: config.seed,
        conditioning: total.conditioning, magnitudes: total.magnitudes)),
  ]
}

/// The trace of `sequence-types`: source 004's four kinds of sequence, as which steps take an
/// input and which carry a loss, on one rnn.
func sequenceTypesTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let T = config.steps
  let m = (T + 1) / 2
  let all = [Bool](repeating: true, count: T)
  let kinds: [(String, input: [Bool], loss: [Bool], note: String)] = [
    (
      "Synchronised input and output sequences", all, all,
      "Every step takes x_t and is scored: frame-by-frame video labelling (source 004)."
    ),
    (
      "Unsynchronised input and output sequences", (0..<T).map { $0 < m }, (0..<T).map { $0 >= m },
      "Inputs for the first \(m) steps, losses for the rest: the output is read only after the "
        + "input has been seen (translation)."
    ),
    (
      "Input sequences (many to one)", all, (0..<T).map { $0 == T - 1 },
      "Only the last step is scored (sentiment of a sentence): every gradient comes back from "
        + "E_\(T - 1)."
    ),
    (
      "Output sequences (one to many)", (0..<T).map { $0 == 0 }, all,
      "One input at the first step, a loss at every step (captioning an image)."
    ),
  ]
  return kinds.map { title, input, loss, note in
    var model = ex.model
    model.xs = zip(model.xs, input).map { x, takes in takes ? x : x.map { _ in 0 } }
    model.carriesLoss = loss
    let run = model.forward(ex.p, from: ex.initial)
    let g = model.backward(run, ex.p)
    return TraceStep(
      title, equation: "E = Σ_{t scored} −log ŷ_t[k_t],  x_t = 0 where no input",
      latex:
        #"E = \sum_{t\ \text{scored}} -\log \hat y_t[k_t],\quad x_t = 0 \text{ where no input}"#,
      note: note,
      values: [
        NamedValue("input at step", indicator(input)), NamedValue("loss at step", indicator(loss)),
        NamedValue("E", model.evaluate(Parameters(ex.point))[0]),
        NamedValue("∂E/∂W", g.parameters.matrix("W")), NamedValue("∂E/∂s_{−1}", g.initialState.h),
      ],
      checks: verify(
        model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: model.conditioning(run), magnitudes: g.magnitudes))
  }
}
