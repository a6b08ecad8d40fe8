// The traces of `rnn-explain show lstm-gates` and `lstm-bptt`: the equations of
// Equations/LSTMCell.swift, narrated, and the walk of Sequence/SequenceModel.swift with `LSTMCell`.

/// `g_h · h_t + g_c · c_t` for one step as a function of the twelve gate parameters, `x_t`
/// and `c_{t−1}`, where `h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1})` as the previous step made it —
/// so `c_{t−1}` reaches the step by both of its paths (for the oracles).
struct LSTMStepFunction: ForwardFunction {
  var forgetBias: Double
  var oPrev, gh, gc: [Double]
  var outputName: String { "(g_h·h_t + g_c·c_t)" }
  /// The step and the projections are arithmetic only: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let hPrev = lstmOutputForward(o: lift(oPrev), c: v["c_{t−1}"]).h
    let k = lstmStepForward(
      x: v["x_t"], hPrev: hPrev, cPrev: v["c_{t−1}"], p: LSTMGates(v), forgetBias: forgetBias)
    return [dot(lift(gh), k.h) + dot(lift(gc), k.c)]
  }
}

func lstmGatesTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let dims = config.dims
  let forgetBias = 1.0
  let cell = LSTMCell(forgetBias: forgetBias)
  let params = Parameters.random(
    cell.parameters + cell.outputParameters, dims, &rng, scale: config.scale)
  let p = LSTMGates(params)
  let x = rng.vector(dims.D)
  let cPrev = rng.vector(dims.H)
  let oPrev = sigmoidForward(rng.vector(dims.H))
  let (hPrev, tanhCPrev) = lstmOutputForward(o: oPrev, c: cPrev)
  let (gh, gc) = (rng.vector(dims.H), rng.vector(dims.H))
  let k = lstmStepForward(x: x, hPrev: hPrev, cPrev: cPrev, p: p, forgetBias: forgetBias).cache
  let g = lstmStepBackward(dh: gh, dc: gc, cache: k, p: p)
  let dcTotal = gc .+ g.dcThroughH
  // Into c_{t−1} via h_{t−1}.
  let dcViaH = lstmOutputBackward(g.dhPrev, o: oPrev, tanhC: tanhCPrev).dc
  let ones = [Double](repeating: 1, count: dims.H)
  // The cell's parameters come first; a single step has no output layer.
  let point =
    Array(params.variables.prefix(cell.parameters.count))
    + [Variable("x_t", x), Variable("c_{t−1}", cPrev)]
  let analytic =
    [g.i, g.f, g.o, g.c].flatMap { [$0.dW.storage, $0.dU.storage, $0.db] }
    + [g.dx, g.dcPrev .+ dcViaH]
  return [
    TraceStep(
      "Gates and candidate",
      equation:
        "i, f, o = σ(W h_{t−1} + U x_t + b) (f adds forget_bias = 1),  c̃ = tanh(W_c h_{t−1} + U_c x_t + b_c)",
      latex:
        #"i_t, f_t, o_t = \sigma(W h_{t-1} + U x_t + b),\quad \tilde c_t = \tanh(W_c h_{t-1} + U_c x_t + b_c)"#,
      note:
        "Source 001 feeds x_{t−1} to the gates and x_t to the candidate; all read x_t (Errata). "
        + "forget_bias is 1 here, the default of TF BasicLSTMCell (source 001's cell); lstm-bptt "
        + "uses 0, the default of grad, so that it walks the function grad computes.",
      values: [
        NamedValue("x_t", x), NamedValue("h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1})", hPrev),
        NamedValue("i_t", k.i), NamedValue("f_t", k.f), NamedValue("o_t", k.o),
        NamedValue("c̃_t", k.candidate),
      ]),
    TraceStep(
      "Cell and output",
      equation: "c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t,   h_t = o_t ⊙ tanh(c_t)",
      latex: #"c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t,\quad h_t = o_t \odot \tanh(c_t)"#,
      note: "Source 001 writes c_t = f_t ⊙ c_t, which is circular: it means c_{t−1} (Errata).",
      values: [NamedValue("c_{t−1}", cPrev), NamedValue("c_t", k.c), NamedValue("h_t", k.h)]),
    TraceStep(
      "Backward through the output and the cell",
      equation:
        "∂E/∂o = dh ⊙ tanh c,  ∂E/∂c = dc + dh ⊙ o ⊙ (1 − tanh²c);  ∂E/∂f = ∂E/∂c ⊙ c_{t−1}, ∂E/∂i = ∂E/∂c ⊙ c̃, ∂E/∂c̃ = ∂E/∂c ⊙ i",
      latex:
        #"\frac{\partial E}{\partial c_t} = \delta c + \delta h \odot o_t \odot (1 - \tanh^2 c_t)"#,
      note: "g_h = ∂E/∂h_t and g_c = ∂E/∂c_t stand for what later steps send back (random here).",
      values: [
        NamedValue("g_h", gh), NamedValue("g_c", gc), NamedValue("∂E/∂c_t (total)", dcTotal),
        NamedValue("∂E/∂f_t", dcTotal .* cPrev), NamedValue("∂E/∂i_t", dcTotal .* k.candidate),
        NamedValue("∂E/∂c̃_t", dcTotal .* k.i), NamedValue("∂E/∂o_t", gh .* k.tanhC),
      ]),
    TraceStep(
      "Each gate's local derivative, then its weights",
      equation:
        "σ' = s(1 − s) for i, f, o;  tanh' = 1 − c̃² for c̃;  then ∂E/∂W = da ⊗ h_{t−1}, ∂E/∂U = da ⊗ x_t, ∂E/∂b = da",
      latex:
        #"\frac{\partial E}{\partial W_g} = \big(\tfrac{\partial E}{\partial g} \odot g'\big) \otimes h_{t-1}"#,
      values: [
        NamedValue("i(1 − i)", sigmoidBackward(ones, s: k.i)),
        NamedValue("f(1 − f)", sigmoidBackward(ones, s: k.f)),
        NamedValue("o(1 − o)", sigmoidBackward(ones, s: k.o)),
        NamedValue("1 − c̃²", tanhBackward(ones, h: k.candidate)),
        NamedValue("∂E/∂W_f", g.f.dW), NamedValue("∂E/∂b_i", g.i.db),
      ]),
    TraceStep(
      "Two paths into c_{t−1}",
      equation: "∂E/∂c_{t−1} = ∂E/∂c_t ⊙ f_t  +  ∂E/∂h_{t−1} ⊙ o_{t−1} ⊙ (1 − tanh² c_{t−1})",
      latex:
        #"\frac{\partial E}{\partial c_{t-1}} = \frac{\partial E}{\partial c_t} \odot f_t + \frac{\partial E}{\partial h_{t-1}} \odot o_{t-1} \odot (1 - \tanh^2 c_{t-1})"#,
      note:
        "Through f the gradient is only scaled (the cell's 'conveyor belt'); through h_{t−1} it "
        + "passes all four gates' weights. The oracles see only the forward pass of both.",
      values: [
        NamedValue("through f: ∂E/∂c_t ⊙ f_t", g.dcPrev),
        NamedValue("∂E/∂h_{t−1} (four gates)", g.dhPrev),
        NamedValue("through h_{t−1}", dcViaH), NamedValue("∂E/∂c_{t−1}", g.dcPrev .+ dcViaH),
      ],
      checks: verify(
        LSTMStepFunction(forgetBias: forgetBias, oPrev: oPrev, gh: gh, gc: gc),
        at: point, analytic: analytic, seed: config.seed, conditioning: cell.conditioning(k))),
  ]
}

func lstmBPTTTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(LSTMCell(forgetBias: 0), config, stateNames: ["h_{−1}", "c_{−1}"])
  let (g, run, targets) = (ex.gradients, ex.run, ex.model.targets)
  var forward = [NamedValue("h_{−1}", ex.initial.h), NamedValue("c_{−1}", ex.initial.cellState)]
  var backward: [NamedValue] = []
  for (t, k) in run.caches.enumerated() {
    forward += [
      NamedValue("c_\(t)", k.c), NamedValue("h_\(t)", k.h),
      NamedValue("ŷ_\(t) (k = \(targets[t]))", run.yHats[t]),
    ]
    let dh = g.upstream[t].h
    backward += [
      NamedValue("∂E/∂h_\(t)", dh),
      NamedValue("∂E/∂c_\(t) through h_\(t)", lstmOutputBackward(dh, o: k.o, tanhC: k.tanhC).dc),
      NamedValue("∂E/∂c_\(t) through c_\(t + 1) (f)", g.upstream[t].cellState),
    ]
  }
  return [
    TraceStep(
      "Forward through time (forget_bias 0)",
      equation:
        "(h_t, c_t) = LSTM(x_t, h_{t−1}, c_{t−1}),  ŷ_t = softmax(V h_t + b_y),  E = Σ_t −log ŷ_t[k_t]",
      latex: #"E = \sum_t -\log \hat y_t[k_t], \quad \hat y_t = \mathrm{softmax}(V h_t + b_y)"#,
      note:
        "forget_bias is 0 here, the default of grad; lstm-gates shows one step with TF "
        + "BasicLSTMCell's default, 1. A forget_bias β is the same function as β added to b_f.",
      values: forward + [NamedValue("E", run.loss)]),
    TraceStep(
      "Backward through time",
      equation:
        "∂E/∂h_t = Vᵀ(ŷ_t − y_t) + dhNext;   ∂E/∂c_t = ∂E/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t) + dcNext,   dcNext = ∂E/∂c_{t+1} ⊙ f_{t+1}",
      latex:
        #"\frac{\partial E}{\partial h_t} = V^\top(\hat y_t - y_t) + \mathrm{dhNext},\quad \frac{\partial E}{\partial c_t} = \frac{\partial E}{\partial h_t} \odot o_t \odot (1 - \tanh^2 c_t) + \underbrace{\frac{\partial E}{\partial c_{t+1}} \odot f_{t+1}}_{\mathrm{dcNext}}"#,
      note:
        "Two carries walk back: dhNext through all four gates, dcNext through f alone. dcNext "
        + "is what step t+1 returns (its dcPrev): it already contains f_{t+1} and is added as is.",
      values: backward),
    TraceStep(
      "Every gradient, checked",
      equation: "twelve gate parameters, V, b_y, h_{−1}, c_{−1}",
      latex:
        #"\frac{\partial E}{\partial \theta},\ \theta \in \{W_g, U_g, b_g\}_{g \in \{i,f,o,c\}} \cup \{V, b_y, h_{-1}, c_{-1}\}"#,
      values: [
        NamedValue("∂E/∂W_f", g.parameters.matrix("W_f")),
        NamedValue("∂E/∂V", g.parameters.matrix("V")),
        NamedValue("∂E/∂h_{−1}", g.initialState.h),
        NamedValue("∂E/∂c_{−1}", g.initialState.cellState),
      ],
      checks: verify(
        ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)),
  ]
}
