// The trace of `rnn-explain show dropout`: the walk of Sequence/SequenceModel.swift with the
// fixed masks of Sequence/Dropout.swift.

/// The trace of `dropout`: the rnn of the BPTT traces, inputs and outputs kept with
/// probability 0.5, masks drawn from the config's seed.
func dropoutTrace(_ config: Config) -> [TraceStep] {
  var ex = SequenceExample(rnn: config)
  var rng = SplitMix64(seed: config.seed ^ 0xD80)
  let dropout = Dropout(keep: 0.5, dims: config.dims, steps: config.steps, rng: &rng)
  ex.model.dropout = dropout
  ex.run = ex.model.forward(ex.p, from: ex.initial)
  ex.gradients = ex.model.backward(ex.run, ex.p)
  let g = ex.gradients
  var forward: [NamedValue] = [NamedValue("keep", dropout.keep)]
  for t in ex.run.states.indices {
    forward += [
      NamedValue("m_\(t) (input mask)", dropout.inputMasks[t]),
      NamedValue("x_\(t) ⊙ m_\(t)", dropout.input(ex.model.xs[t], t)),
      NamedValue("s_\(t) (the state, unmasked)", ex.run.states[t].h),
      NamedValue("m′_\(t) (output mask)", dropout.outputMasks[t]),
      NamedValue("ŷ_\(t) (k_\(t) = \(ex.model.targets[t]))", ex.run.yHats[t]),
    ]
  }
  forward.append(NamedValue("E", ex.run.loss))
  return [
    TraceStep(
      "Forward with dropout on the inputs and the outputs",
      equation:
        "s_t = tanh(U (x_t ⊙ m_t) + W s_{t−1} + b),  ŷ_t = softmax(V (s_t ⊙ m′_t) + b_y);  "
        + "m, m′ ∈ {0, 1/keep}",
      latex:
        #"s_t = \tanh\big(U (x_t \odot m_t) + W s_{t-1} + b\big),\ \hat y_t = \mathrm{softmax}\big(V (s_t \odot m'_t) + b_y\big),\ m, m' \in \{0, 1/\mathrm{keep}\}"#,
      note:
        "DropoutWrapper (source 001) masks what enters the cell and what leaves it for the output "
        + "layer, never the state passed to the next step. A kept unit is scaled by 1/keep "
        + "(inverted dropout), so its expected value is unchanged. The masks are drawn once, so "
        + "the forward pass is one fixed function the oracles can differentiate.",
      values: forward),
    TraceStep(
      "Backward: the mask enters where it multiplied",
      equation:
        "∂E/∂s_t = m′_t ⊙ Vᵀ(ŷ_t − y_t) + dhNext,  dhNext = Wᵀ(∂E/∂s_{t+1} ⊙ (1 − s_{t+1}²)) "
        + "unmasked,  ∂E/∂U = Σ_t da_t ⊗ (x_t ⊙ m_t),  ∂E/∂V = Σ_t (ŷ_t − y_t) ⊗ (s_t ⊙ m′_t)",
      latex:
        #"\frac{\partial E}{\partial s_t} = m'_t \odot V^\top(\hat y_t - y_t) + W^\top\big(\tfrac{\partial E}{\partial s_{t+1}} \odot (1 - s_{t+1}^2)\big),\ \frac{\partial E}{\partial U} = \sum_t da_t \otimes (x_t \odot m_t),\ \frac{\partial E}{\partial V} = \sum_t (\hat y_t - y_t) \otimes (s_t \odot m'_t)"#,
      note:
        "A dropped output unit sends nothing back from E_t, yet still receives dhNext from "
        + "later steps: the recurrent path has no mask. A dropped input entry zeroes that column "
        + "of the step's ∂E/∂U contribution.",
      values: [
        NamedValue("∂E/∂U", g.parameters.matrix("U")),
        NamedValue("∂E/∂W", g.parameters.matrix("W")),
        NamedValue("∂E/∂V", g.parameters.matrix("V")), NamedValue("∂E/∂s_{−1}", g.initialState.h),
      ],
      checks: verify(
        ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: g.magnitudes)),
  ]
}
