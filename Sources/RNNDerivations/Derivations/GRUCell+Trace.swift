// The traces of `rnn-explain show gru-gates` and `gru-bptt`: the equations of
// Equations/GRUCell.swift, narrated, and the walk of Sequence/SequenceModel.swift with `GRUCell`.

/// `g · h_t` for one step as a function of the nine gate parameters, `x_t` and `h_{t−1}`.
struct GRUStepFunction: ForwardFunction {
  var variant: GRUVariant
  var g: [Double]
  var outputName: String { "(g·h_t)" }
  /// The step and the projection are arithmetic only: each lane is its own point.
  var evaluatesLanesApart: Bool { true }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let h = gruStepForward(x: v["x_t"], hPrev: v["h_{t−1}"], p: GRUGates(v), variant: variant).h
    return [dot(lift(g), h)]
  }
}

func gruGatesTrace(_ config: Config) -> [TraceStep] {
  var rng = SplitMix64(seed: config.seed)
  let dims = config.dims
  let cell = GRUCell(variant: .resetBefore)  // the parameters are the same in both conventions
  let params = Parameters.random(
    cell.parameters + cell.outputParameters, dims, &rng, scale: config.scale)
  let p = GRUGates(params)
  let x = rng.vector(dims.D)
  let hPrev = rng.vector(dims.H)
  let g = rng.vector(dims.H)
  // The cell's parameters come first; a single step has no output layer.
  let point =
    Array(params.variables.prefix(cell.parameters.count))
    + [Variable("x_t", x), Variable("h_{t−1}", hPrev)]
  let before = gruStepForward(x: x, hPrev: hPrev, p: p, variant: .resetBefore).cache
  let after = gruStepForward(x: x, hPrev: hPrev, p: p, variant: .resetAfter).cache
  var steps = [
    TraceStep(
      "Reset and update gates (the same in both conventions)",
      equation: "r_t = σ(W_r h_{t−1} + U_r x_t + b_r),   z_t = σ(W_z h_{t−1} + U_z x_t + b_z)",
      latex:
        #"r_t = \sigma(W_r h_{t-1} + U_r x_t + b_r),\quad z_t = \sigma(W_z h_{t-1} + U_z x_t + b_z)"#,
      note: "Source 001 feeds x_{t−1} to both gates; they read x_t (Errata).",
      values: [
        NamedValue("x_t", x), NamedValue("h_{t−1}", hPrev), NamedValue("r_t", before.r),
        NamedValue("z_t", before.z),
      ]),
    TraceStep(
      "Candidate: where the conventions part",
      equation:
        "reset-before: h̃ = tanh(W_h (r ⊙ h_{t−1}) + U_h x + b_h);  reset-after: h̃ = tanh(r ⊙ (W_h h_{t−1}) + U_h x + b_h)",
      latex:
        #"\tilde h^{\text{before}} = \tanh(W_h (r_t \odot h_{t-1}) + \dots),\quad \tilde h^{\text{after}} = \tanh(r_t \odot (W_h h_{t-1}) + \dots)"#,
      note:
        "Source 001 and TF GRUCell reset before the matrix product; PyTorch, cuDNN and Keras "
        + "(reset_after=True) after it. Same weights, different functions.",
      values: [
        NamedValue("h̃ reset-before", before.candidate),
        NamedValue("h̃ reset-after", after.candidate),
        NamedValue("h_t reset-before", before.h), NamedValue("h_t reset-after", after.h),
        NamedValue(
          "‖h_t(before) − h_t(after)‖",
          (before.h .- after.h).map { $0 * $0 }.reduce(0, +).squareRoot()),
      ]),
  ]
  for (variant, k) in [(GRUVariant.resetBefore, before), (.resetAfter, after)] {
    let grads = gruStepBackward(g, cache: k, p: p, variant: variant)
    let analytic =
      [grads.r, grads.z].flatMap { [$0.dW.storage, $0.dU.storage, $0.db] }
      + [grads.h.dW.storage, grads.h.dU.storage, grads.h.db, grads.dx, grads.dhPrev]
    let update = gruUpdateBackward(g, z: k.z, hPrev: hPrev, candidate: k.candidate)
    steps.append(
      TraceStep(
        "Backward, \(variant.rawValue)",
        equation: variant == .resetBefore
          ? "∂E/∂W_h = da ⊗ (r ⊙ h_{t−1}),  ∂E/∂r = (W_hᵀ da) ⊙ h_{t−1},  ∂E/∂h_{t−1} ∋ (W_hᵀ da) ⊙ r"
          : "∂E/∂W_h = (r ⊙ da) ⊗ h_{t−1},  ∂E/∂r = da ⊙ (W_h h_{t−1}),  ∂E/∂h_{t−1} ∋ W_hᵀ (r ⊙ da)",
        latex: variant == .resetBefore
          ? #"\frac{\partial E}{\partial W_h} = \delta \otimes (r_t \odot h_{t-1})"#
          : #"\frac{\partial E}{\partial W_h} = (r_t \odot \delta) \otimes h_{t-1}"#,
        note:
          "Shared by both: ∂h_t/∂z = h_{t−1} − h̃, ∂h_t/∂h̃ = 1 − z, ∂h_t/∂h_{t−1} (direct) = z; "
          + "da = ∂E/∂h̃ ⊙ (1 − h̃²).",
        values: [
          NamedValue("∂E/∂z_t", update.dz), NamedValue("∂E/∂h̃_t", update.dCandidate),
          NamedValue("∂E/∂r_t", grads.h.dr), NamedValue("∂E/∂W_h", grads.h.dW),
          NamedValue("∂E/∂h_{t−1}", grads.dhPrev),
        ],
        checks: verify(
          GRUStepFunction(variant: variant, g: g), at: point, analytic: analytic,
          seed: config.seed, conditioning: GRUCell(variant: variant).conditioning(k))))
  }
  return steps
}

func gruBPTTTrace(_ config: Config) -> [TraceStep] {
  [GRUVariant.resetBefore, .resetAfter].map { variant in
    let ex = SequenceExample(GRUCell(variant: variant), config, stateNames: ["h_{−1}"])
    let (run, g) = (ex.run, ex.gradients)
    return TraceStep(
      "\(variant.rawValue): forward, backward through time, every gradient",
      equation: "∂E/∂h_t = Vᵀ(ŷ_t − y_t) + dhNext,  dhNext = z ⊙ δh + W_zᵀ δz + W_rᵀ δr + "
        + (variant == .resetBefore ? "r ⊙ (W_hᵀ δa)" : "W_hᵀ (r ⊙ δa)"),
      latex:
        #"\frac{\partial E}{\partial h_t} = V^\top(\hat y_t - y_t) + \mathrm{dhNext},\quad \mathrm{dhNext} = z_{t+1} \odot \delta h_{t+1} + W_z^\top \delta z + W_r^\top \delta r + "#
        + (variant == .resetBefore
          ? #"r_{t+1} \odot (W_h^\top \delta a)"# : #"W_h^\top (r_{t+1} \odot \delta a)"#),
      note:
        "dhNext is what step t+1 sends back to h_t: the direct path z ⊙ δh and three weight "
        + "paths. All of step t+1: z, r, δh = ∂E/∂h_{t+1}, and δz, δr, δa, the gradients at the "
        + "pre-activations of z, r and h̃.",
      values: run.states.indices.map { NamedValue("h_\($0)", run.states[$0].h) }
        + [NamedValue("E", run.loss)]
        + g.upstream.indices.map { NamedValue("∂E/∂h_\($0)", g.upstream[$0].h) }
        + [
          NamedValue("∂E/∂W_h", g.parameters.matrix("W_h")),
          NamedValue("∂E/∂h_{−1}", g.initialState.h),
        ],
      checks: verify(
        ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes))
  }
}
