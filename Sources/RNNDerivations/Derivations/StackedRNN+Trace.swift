// The trace of `rnn-explain show stacked-rnn`: the walk of Sequence/SequenceModel.swift running
// the stack of Equations/StackedRNN.swift — an LSTM over a vanilla RNN, then three layers.

extension StackedCell {
  /// The initial state's names in a trace: `h_{−1}^(1)`, `h_{−1}^(2)`, `c_{−1}^(2)`.
  var traceStateNames: [String] {
    layers.enumerated().flatMap { l, cell in
      cell.stateNames.map { Self.layerName("\($0)_{−1}", layer: l + 1) }
    }
  }
}

/// The trace of `stacked-rnn`: layer 1 a vanilla RNN, layer 2 an LSTM (forget_bias 0) reading
/// it; where the gradient enters each layer; every gradient checked, and again for three
/// layers (a GRU, an LSTM, an RNN).
func stackedRNNTrace(_ config: Config) -> [TraceStep] {
  let cell = StackedCell([RNNCell(), LSTMCell(forgetBias: 0)])
  let ex = SequenceExample(cell, config, stateNames: cell.traceStateNames)
  let (g, run, targets) = (ex.gradients, ex.run, ex.model.targets)
  var forward = [
    NamedValue("h_{−1}^(1)", ex.initial.below[0].h), NamedValue("h_{−1}^(2)", ex.initial.h),
    NamedValue("c_{−1}^(2)", ex.initial.cellState),
  ]
  var backward: [NamedValue] = []
  let w = cell.weights(ex.p)
  for t in run.states.indices {
    let state = run.states[t]
    forward += [
      NamedValue("h_\(t)^(1)", state.below[0].h), NamedValue("h_\(t)^(2)", state.h),
      NamedValue("c_\(t)^(2)", state.cellState),
      NamedValue("ŷ_\(t) (k = \(targets[t]))", run.yHats[t]),
    ]
    let step = cell.backwardThroughLayers(g.upstream[t], run.caches[t], w)
    backward += [
      NamedValue("∂E/∂h_\(t)^(2) = Vᵀ(ŷ_\(t) − y_\(t)) + dhNext^(2)", step.handed[1].h),
      NamedValue("from layer 2: ∂E/∂x_\(t)^(2)", step.fromAbove[0]),
      NamedValue("from step \(t + 1): dhNext^(1)", g.upstream[t].below[0].h),
      NamedValue("∂E/∂h_\(t)^(1)", step.handed[0].h),
    ]
  }
  let three = StackedCell([GRUCell(variant: .resetBefore), LSTMCell(forgetBias: 0), RNNCell()])
  let deep = SequenceExample(three, config, stateNames: three.traceStateNames)
  return [
    TraceStep(
      "Forward up the stack, then through time",
      equation:
        "h_t^(1) = tanh(U^(1) x_t + W^(1) h_{t−1}^(1) + b^(1)),  (h_t^(2), c_t^(2)) = "
        + "LSTM(h_t^(1), h_{t−1}^(2), c_{t−1}^(2)),  ŷ_t = softmax(V h_t^(2) + b_y)",
      latex:
        #"h_t^{(1)} = \tanh\big(U^{(1)} x_t + W^{(1)} h_{t-1}^{(1)} + b^{(1)}\big),\ (h_t^{(2)}, c_t^{(2)}) = \mathrm{LSTM}\big(h_t^{(1)}, h_{t-1}^{(2)}, c_{t-1}^{(2)}\big),\ \hat y_t = \mathrm{softmax}(V h_t^{(2)} + b_y)"#,
      note:
        "MultiRNNCell (TF), StackedRNNCells (Keras): layer 2 reads layer 1's h_t as its input "
        + "x_t, so its U_g^(2) are H×H; each layer keeps its own state. Only the top layer's "
        + "h_t reaches the output layer. The walk runs the stack as one cell.",
      values: forward + [NamedValue("E", run.loss)]),
    TraceStep(
      "Backward: two paths into each lower layer",
      equation:
        "∂E/∂h_t^(2) = Vᵀ(ŷ_t − y_t) + dhNext^(2);   ∂E/∂h_t^(1) = ∂E/∂x_t^(2) + dhNext^(1),  "
        + "∂E/∂x_t^(2) = Σ_g U_g^(2)ᵀ da_g^(2),  dhNext^(1) = W^(1)ᵀ da_{t+1}^(1)",
      latex:
        #"\frac{\partial E}{\partial h_t^{(1)}} = \underbrace{\sum_g U_g^{(2)\top} da_{g,t}^{(2)}}_{\text{layer 2, step } t} + \underbrace{W^{(1)\top} da_{t+1}^{(1)}}_{\text{layer 1, step } t+1}"#,
      note:
        "h_t^(1) reaches E up through layer 2 at the same step (layer 2's ∂E/∂x, through its "
        + "four gates) and forward through layer 1's next step (dhNext^(1)). Only the top layer "
        + "receives E_t itself. The walk hands the stack every layer's dhNext; the stack adds "
        + "the path from above, top layer first.",
      values: backward),
    TraceStep(
      "Every gradient, checked",
      equation:
        "U^(1), W^(1), b^(1), the twelve W_g^(2), U_g^(2), b_g^(2), V, b_y, each layer's initial state",
      latex:
        #"\frac{\partial E}{\partial \theta},\ \theta \in \{U^{(1)}, W^{(1)}, b^{(1)}\} \cup \{W_g^{(2)}, U_g^{(2)}, b_g^{(2)}\}_{g} \cup \{V, b_y, h_{-1}^{(1)}, h_{-1}^{(2)}, c_{-1}^{(2)}\}"#,
      values: [
        NamedValue("∂E/∂W^(1)", g.parameters.matrix("W^(1)")),
        NamedValue("∂E/∂U_c^(2)", g.parameters.matrix("U_c^(2)")),
        NamedValue("∂E/∂h_{−1}^(1)", g.initialState.below[0].h),
      ],
      checks: verify(
        ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: g.magnitudes)),
    TraceStep(
      "Three layers: an RNN over an LSTM over a GRU",
      equation:
        "h_t^(1) = GRU(x_t, h_{t−1}^(1)),  h_t^(2) = LSTM(h_t^(1), …),  h_t^(3) = RNN(h_t^(2), h_{t−1}^(3))",
      latex:
        #"h_t^{(1)} = \mathrm{GRU}(x_t, h_{t-1}^{(1)}),\ h_t^{(2)} = \mathrm{LSTM}(h_t^{(1)}, \dots),\ h_t^{(3)} = \mathrm{RNN}(h_t^{(2)}, h_{t-1}^{(3)})"#,
      note:
        "The same rule at every boundary: layer ℓ's ∂E/∂h_t is layer ℓ+1's ∂E/∂x_t plus its "
        + "own dhNext. Layer 1's gradients pass through two layers above it at every step.",
      values: [NamedValue("E", deep.run.loss)],
      checks: verify(
        deep.model, at: deep.point, analytic: deep.gradients.flat, seed: config.seed,
        conditioning: deep.conditioning, magnitudes: deep.gradients.magnitudes)),
  ]
}
