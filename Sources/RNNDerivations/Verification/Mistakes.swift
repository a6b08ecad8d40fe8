// The catalogue of wrong derivations: plausible learners' mistakes, each a real cell (or the
// real output step) with one thing changed, run through the library's own walk and checked
// by the oracles. The verifier is honest only if it catches every one of them.

/// A real cell with one thing changed in its backward step.
///
/// The forward step is the real one and the walk through time is the library's own;
/// `backwardStep` (the real backward step with one change) replaces only the cell's backward.
public struct MistakenCell<Base: RecurrentCell>: RecurrentCell {
  /// The real cell: its forward step, parameters and state.
  public var base: Base
  /// The backward step with one thing changed, in place of `base`'s.
  public var backwardStep:
    @Sendable (_ dState: CellState<Double>, _ cache: Base.Cache, _ p: Parameters<Double>) ->
      CellGradients

  /// `base` with its backward step replaced by `backwardStep`.
  public init(
    base: Base,
    backwardStep:
      @escaping @Sendable (CellState<Double>, Base.Cache, Parameters<Double>) ->
      CellGradients
  ) {
    (self.base, self.backwardStep) = (base, backwardStep)
  }

  /// The real cell's parameters.
  public var parameters: [ParameterSpec] { base.parameters }
  /// Whether the real cell carries `c` besides `h`.
  public var hasCellState: Bool { base.hasCellState }
  /// The real cell's output names.
  public var outputNames: (weights: String, bias: String) { base.outputNames }
  /// The real forward step, on any `Scalar`.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>)
    -> CellState<T>
  {
    base.step(x, state, p)
  }
  /// The real forward step, its weights read once.
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    base.stepping(p, keeping: rooms)
  }
  /// The real cell's weights, and the parameters themselves: the mistaken backward step reads
  /// them by name.
  public func weights(_ p: Parameters<Double>) -> (
    base: Base.Weights, parameters: Parameters<Double>
  ) {
    (base.weights(p), p)
  }
  /// The real forward step on `Double`, keeping the real cache.
  public func forward(
    _ x: [Double], _ state: CellState<Double>,
    _ w: (base: Base.Weights, parameters: Parameters<Double>)
  ) -> (state: CellState<Double>, cache: Base.Cache) {
    base.forward(x, state, w.base)
  }
  /// The mistaken backward step.
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: Base.Cache,
    _ w: (base: Base.Weights, parameters: Parameters<Double>)
  ) -> CellGradients {
    backwardStep(dState, cache, w.parameters)
  }
  /// The real cell's conditioning.
  public func conditioning(_ cache: Base.Cache) -> Double { base.conditioning(cache) }
}

extension CellGradients {
  /// This step's gradient of `name`.
  func value(_ name: String) -> [Double] {
    parameters.first { $0.name == name }?.gradient.values ?? []
  }

  /// The same gradients with `name`'s replaced.
  func setting(_ name: String, _ values: [Double]) -> CellGradients {
    var g = self
    g.parameters = parameters.map { $0.name == name ? (name, .vector(values)) : $0 }
    return g
  }

  /// The same gradients with gate `g`'s pre-activation gradient replaced by `da`.
  ///
  /// As if gate `g`'s pre-activation gradient were `da`: its weight
  /// gradients recomputed (`da ⊗ h_{t−1}`, `da ⊗ x_t`, `da`), and the change sent on to
  /// `h_{t−1}` and `x_t` through `Wᵀ` and `Uᵀ`. The real `da` is the bias gradient.
  func replacingGate(
    _ g: GateNames, da: [Double], x: [Double], hPrev: [Double], p: Parameters<Double>
  ) -> CellGradients {
    let change = da .- value(g.b)
    var out = setting(g.W, Matrix.outer(da, hPrev).storage).setting(
      g.U, Matrix.outer(da, x).storage
    )
    .setting(g.b, da)
    out.dStatePrev.h = out.dStatePrev.h .+ p.matrix(g.W).transposeTimes(change)
    out.dx = out.dx .+ p.matrix(g.U).transposeTimes(change)
    return out
  }
}

/// One wrong derivation: what the learner did, and the parameters whose checks must name it.
public struct Mistake: Sendable {
  /// The mistake's id, as `rnn-explain mistakes ID` takes it: `rnn-dW-sign`.
  public let id: String
  /// The model whose backward pass is wrong: a mistake runs only on an input of this model.
  public let model: ModelVariant
  /// The mistake, in one sentence.
  public let summary: String
  /// Parameters the mistake corrupts directly: their checks must fail.
  public let names: [String]
  let wrongGradients: @Sendable (GradInput) -> [[Double]]

  /// Whether `input` is a model this mistake can be made in (kind and GRU convention).
  public func applies(to input: GradInput) -> Bool { model == input.modelVariant }

  /// The mistaken gradients at `input`'s point, through the library's own walk: the
  /// parameters, then the initial state, in `grad`'s order and shapes.
  public func gradients(_ input: GradInput) -> [[Double]] { wrongGradients(input) }

  /// The oracle checks of the mistaken gradients against the real forward pass, at the
  /// random example of `config`.
  public func checks(_ config: Config = Mistakes.config) -> [GradientCheck] {
    func run(_ cell: some RecurrentCell) -> [GradientCheck] {
      let ex = SequenceExample(cell, config, stateNames: model.kind.stateNames)
      return verify(
        ex.model, at: ex.point, analytic: gradients(ex.input(model)), seed: config.seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)
    }
    return run(model.kind.cell(variant: model.variant))
  }

  /// What the checks say of this mistake at `config`.
  public func verdict(_ config: Config = Mistakes.config) -> Verdict {
    Verdict(failing: checks(config).filter { !$0.passed })
  }

  /// The checks a mistake fails, and what they amount to.
  public struct Verdict: Sendable {
    /// The checks that failed.
    public var failing: [GradientCheck]
    /// At least one check failed: the mistake is caught.
    public var caught: Bool { !failing.isEmpty }
    /// The oracles that catch it, in `Oracle` order.
    public var caughtBy: [String] {
      Oracle.allCases.map(\.rawValue).filter { o in failing.contains { $0.reference == o } }
    }
    /// The parameters the failing checks name, in the order of the point.
    public var named: [String] {
      var seen: [String] = []
      for check in failing where !seen.contains(check.parameter) { seen.append(check.parameter) }
      return seen
    }
  }
}

extension SequenceExample {
  /// This example as a `grad` input of `model`: the data, parameters and initial state a
  /// mistake's gradients run on.
  func input(_ model: ModelVariant) -> GradInput {
    let count = p.values.count
    return GradInput(
      model: model.kind, variant: model.variant, inputs: self.model.xs,
      targets: self.model.targets, dims: self.model.dims, params: Array(point.prefix(count)),
      initialState: Array(point.dropFirst(count)))
  }
}

/// A cell the catalogue can rebuild for a `grad` input: the model it stands for, and its
/// configuration taken from the input.
protocol CatalogueCell: RecurrentCell {
  var model: ModelVariant { get }
  func configured(for input: GradInput) -> Self
}

extension RNNCell: CatalogueCell {
  var model: ModelVariant { ModelVariant(kind: .rnn) }
  func configured(for _: GradInput) -> Self { self }
}

extension ConcatRNNCell: CatalogueCell {
  var model: ModelVariant { ModelVariant(kind: .rnnConcat) }
  func configured(for _: GradInput) -> Self { self }
}

extension LSTMCell: CatalogueCell {
  var model: ModelVariant { ModelVariant(kind: .lstm) }
  /// The input's forget bias.
  ///
  /// The mistakes' backward steps may call the catalogue's `lstm` (forget bias 0): a backward
  /// step reads the forget gate from its cache, never the bias.
  func configured(for input: GradInput) -> Self { LSTMCell(forgetBias: input.forgetBias) }
}

extension GRUCell: CatalogueCell {
  var model: ModelVariant { ModelVariant(kind: .gru, variant: variant) }
  /// With the input's `b_hn`, if it has one: the backward steps read it from the parameters.
  func configured(for input: GradInput) -> Self {
    GRUCell(variant: variant, hasRecurrentBias: input.hasRecurrentBias)
  }
}

/// The catalogue, by id.
public enum Mistakes {
  /// Where `rnn-explain mistakes` and the tests run every mistake: non-square sizes, T = 3.
  public static let config = Config(seed: 0, dims: Dims(D: 3, H: 5, K: 4), steps: 3)

  /// The mistake with id `id`, if the catalogue has one.
  public static func mistake(_ id: String) -> Mistake? { all.first { $0.id == id } }

  /// A mistake in `base`'s backward step, in the output layer's, or in how the walk adds up
  /// the steps' gradients; everything else is the library's own.
  static func cell<C: CatalogueCell>(
    _ id: String, _ summary: String, names: [String], _ base: C,
    backward: (
      @Sendable (_ dState: CellState<Double>, _ cache: C.Cache, _ p: Parameters<Double>) ->
        CellGradients
    )? = nil,
    output: (
      @Sendable (_ yHat: [Double], _ target: Int, _ s: [Double], _ V: Matrix<Double>) ->
        OutputLayerGradients
    )? = nil,
    accumulate: (
      @Sendable (_ sum: inout Parameters<Double>, _ name: String, _ contribution: StepGradient) ->
        Void
    )? = nil
  ) -> Mistake {
    Mistake(id: id, model: base.model, summary: summary, names: names) { input in
      let real = base.configured(for: input)
      // The input's own sequence_length, null targets and truncation: the mistake is made in
      // the objective `grad` differentiates.
      var wrong = input.sequence(
        MistakenCell(base: real, backwardStep: backward ?? { real.backward($0, $1, reading: $2) }))
      if let output { wrong.outputBackward = output }
      if let accumulate { wrong.accumulate = accumulate }
      return input.objective(wrong).gradients(at: input.point).gradients
    }
  }

  static let rnn = RNNCell()
  static let lstm = LSTMCell(forgetBias: 0)
  static let gru = GRUCell(variant: .resetBefore)
  static let gruAfter = GRUCell(variant: .resetAfter)

  /// The vanilla step with `da` computed by `through` instead of `∂E/∂h ⊙ (1 − h²)`.
  static func rnnActivation(
    _ id: String, _ summary: String, _ through: @escaping @Sendable ([Double], [Double]) -> [Double]
  ) -> Mistake {
    cell(id, summary, names: ["U", "W", "b"], rnn) { dState, k, p in
      let g = rnn.backward(dState, k, reading: p)
      return g.replacingGate(
        RNNCell.names, da: through(dState.h, k.h), x: k.x, hPrev: k.hPrev, p: p)
    }
  }

  /// Every mistake, in the order of notes/Verification.md's table.
  public static let all: [Mistake] = [
    rnnActivation("rnn-1-minus-h", "tanh' written 1 − h instead of 1 − h²") { dh, h in
      dh .* h.map { 1 - $0 }
    },
    rnnActivation("rnn-sigmoid-prime-for-tanh", "σ' = h(1 − h) used for tanh'") { dh, h in
      dh .* h.map { $0 * (1 - $0) }
    },
    rnnActivation("rnn-no-activation-derivative", "∂E/∂a taken as ∂E/∂h: tanh' forgotten") {
      dh, _ in dh
    },
    cell(
      "rnn-missing-transpose", "W da sent to h_{t−1} instead of Wᵀ da",
      names: ["h", "U", "W", "b"], rnn
    ) { dState, k, p in
      var g = rnn.backward(dState, k, reading: p)
      g.dStatePrev.h = p.matrix("W") * g.value("b")  // wrong: W da, not Wᵀ da
      return g
    },
    cell(
      "rnn-no-dhnext", "dhNext not carried: each step sees only its own E_t",
      names: ["h", "U", "W", "b"], rnn
    ) { dState, k, p in
      var g = rnn.backward(dState, k, reading: p)
      g.dStatePrev.h = g.dStatePrev.h.map { _ in 0 }
      return g
    },
    cell(
      "rnn-no-accumulation",
      "∂E/∂θ = (not +=) for every parameter: each step overwrites the gradient",
      names: ["U", "W", "b", "V", "b_y"], rnn,
      accumulate: { sum, name, contribution in sum.replace(name, with: contribution.values) }),
    cell("rnn-dW-sign", "∂E/∂W with the wrong sign", names: ["W"], rnn) { dState, k, p in
      let g = rnn.backward(dState, k, reading: p)
      return g.setting("W", g.value("W").map { -$0 })
    },
    cell(
      "rnn-dW-transposed", "∂E/∂W as h_{t−1} ⊗ da: the outer product transposed",
      names: ["W"], rnn
    ) { dState, k, p in
      let g = rnn.backward(dState, k, reading: p)
      return g.setting("W", Matrix.outer(k.hPrev, g.value("b")).storage)
    },
    cell("rnn-dW-uses-h-t", "∂E/∂W = da ⊗ h_t: off by one time step", names: ["W"], rnn) {
      dState, k, p in
      let g = rnn.backward(dState, k, reading: p)
      return g.setting("W", Matrix.outer(g.value("b"), k.h).storage)
    },
    cell(
      "rnn-db-before-tanh", "∂E/∂b = ∂E/∂h: the bias gradient skips tanh'",
      names: ["b"], rnn
    ) { dState, k, p in rnn.backward(dState, k, reading: p).setting("b", dState.h) },
    cell(
      "rnn-dU-forgotten", "the input weights' gradient never computed (left 0)",
      names: ["U"], rnn
    ) { dState, k, p in
      let g = rnn.backward(dState, k, reading: p)
      return g.setting("U", g.value("U").map { _ in 0 })
    },
    cell(
      "rnn-dhprev-skips-tanh", "∂E/∂h_{t−1} = Wᵀ ∂E/∂h_t: tanh' skipped on the way back",
      names: ["h", "U", "W", "b"], rnn
    ) { dState, k, p in
      var g = rnn.backward(dState, k, reading: p)
      g.dStatePrev.h = p.matrix("W").transposeTimes(dState.h)
      return g
    },
    cell(
      "output-bias-forgotten", "the output bias b_y gets no gradient",
      names: ["b_y"], rnn,
      output: { yHat, target, s, V in
        var out = outputLayerBackward(yHat: yHat, target: target, s: s, V: V)
        out.db_y = out.db_y.map { _ in 0 }
        return out
      }),
    cell(
      "softmax-diagonal-only",
      "softmax's Jacobian without its off-diagonal terms: ∂E/∂z = −y ⊙ (1 − ŷ)",
      names: ["V", "b_y"], rnn,
      output: { yHat, target, s, V in
        let y = oneHot(target, yHat.count)
        let dz = y.indices.map { -y[$0] * (1 - yHat[$0]) }  // diag(ŷ(1 − ŷ)) · (−y/ŷ)
        return outputLayerBackward(dz: dz, s: s, V: V)
      }),
    cell(
      "output-y-minus-yhat", "∂E/∂z = y − ŷ: the sign of the softmax gradient flipped",
      names: ["V", "b_y"], rnn,
      output: { yHat, target, s, V in
        return outputLayerBackward(dz: oneHot(target, yHat.count) .- yHat, s: s, V: V)
      }),
    cell(
      "output-no-error-to-state", "E_t's error never sent into h_t (Vᵀ(ŷ − y) dropped)",
      names: ["U", "W", "b"], rnn,
      output: { yHat, target, s, V in
        var out = outputLayerBackward(yHat: yHat, target: target, s: s, V: V)
        out.ds = out.ds.map { _ in 0 }
        return out
      }),
    cell(
      "lstm-no-dcnext", "dcNext not carried: each cell sees only what comes through h_t",
      names: ["W_i", "W_f", "W_c", "c"], lstm
    ) { dState, k, p in lstm.backward(CellState(h: dState.h, c: dState.c.map(zeros)), k, reading: p)
    },
    cell(
      "lstm-forget-path-dropped",
      "the c_{t−1} path through the forget gate dropped: ∂E/∂c_{t−1} = 0",
      names: ["c", "W_i", "W_f", "W_c"], lstm
    ) { dState, k, p in
      var g = lstm.backward(dState, k, reading: p)
      g.dStatePrev.c = g.dStatePrev.c.map(zeros)
      return g
    },
    cell(
      "lstm-dcprev-without-f", "∂E/∂c_{t−1} = ∂E/∂c_t: the forget gate's factor missed",
      names: ["c"], lstm
    ) { dState, k, p in
      var g = lstm.backward(dState, k, reading: p)
      g.dStatePrev.c = zip(g.dStatePrev.cellState, k.f).map { $0 / $1 }  // (∂E/∂c_t ⊙ f) / f
      return g
    },
    cell(
      "lstm-tanh-for-its-derivative",
      "∂h_t/∂c_t = o ⊙ tanh c: tanh written where 1 − tanh² c belongs",
      names: ["W_i", "W_f", "W_c"], lstm
    ) { dState, k, p in
      // The real step, handed the difference between the wrong and the right path through h_t.
      let tanhC = k.tanhC
      let wrong = dState.h .* k.o .* tanhC .- tanhBackward(dState.h .* k.o, h: tanhC)
      return lstm.backward(CellState(h: dState.h, c: dState.cellState .+ wrong), k, reading: p)
    },
    cell(
      "lstm-forget-bias-in-backward",
      "forget_bias 1 applied in the backward pass but not the forward pass",
      names: ["W_f", "b_f"], lstm
    ) { dState, k, p in
      var biased = k
      biased.f = k.f.map { 1 / (1 + (1 - $0) / $0 * Double.exp(-1)) }  // σ(a_f + 1)
      return lstm.backward(dState, biased, reading: p)
    },
    cell(
      "lstm-df-uses-c-t", "∂E/∂f = ∂E/∂c ⊙ c_t: the cell state one step late",
      names: ["W_f", "U_f", "b_f"], lstm
    ) { dState, k, p in
      var late = k
      late.cPrev = k.c  // c_{t−1} enters only ∂E/∂f = ∂E/∂c ⊙ c_{t−1}
      return lstm.backward(dState, late, reading: p)
    },
    cell(
      "lstm-dO-uses-c", "∂E/∂o = ∂E/∂h ⊙ c instead of ⊙ tanh c",
      names: ["W_o", "U_o", "b_o"], lstm
    ) { dState, k, p in
      let da = sigmoidBackward(dState.h .* k.c, s: k.o)
      return lstm.backward(dState, k, reading: p).replacingGate(
        LSTMCell.gates.o, da: da, x: k.x, hPrev: k.hPrev, p: p)
    },
    cell(
      "lstm-candidate-sigmoid-prime", "the candidate differentiated as a σ, not a tanh",
      names: ["W_c", "U_c", "b_c"], lstm
    ) { dState, k, p in
      let g = lstm.backward(dState, k, reading: p)
      let dCandidate = zip(g.value("b_c"), k.candidate).map { $0 / (1 - $1 * $1) }
      let da = sigmoidBackward(dCandidate, s: k.candidate)  // wrong: c̃(1 − c̃)
      return g.replacingGate(LSTMCell.gates.c, da: da, x: k.x, hPrev: k.hPrev, p: p)
    },
    cell(
      "lstm-dhprev-misses-candidate",
      "∂E/∂h_{t−1} summed over i, f, o only: the candidate's path forgotten",
      names: ["h"], lstm
    ) { dState, k, p in
      var g = lstm.backward(dState, k, reading: p)
      g.dStatePrev.h = g.dStatePrev.h .- p.matrix("W_c").transposeTimes(g.value("b_c"))
      return g
    },
    cell(
      "gru-dz-sign", "∂h_t/∂z = h̃ − h_{t−1}: z and 1 − z swapped in the update",
      names: ["W_z", "U_z", "b_z"], gru
    ) { dState, k, p in
      let g = gru.backward(dState, k, reading: p)
      return g.replacingGate(
        GRUCell.gates.z, da: g.value("b_z").map { -$0 }, x: k.x, hPrev: k.hPrev, p: p)
    },
    cell(
      "gru-direct-path-dropped", "∂E/∂h_{t−1} without its direct term z ⊙ ∂E/∂h_t",
      names: ["h"], gru
    ) { dState, k, p in
      var g = gru.backward(dState, k, reading: p)
      g.dStatePrev.h = g.dStatePrev.h .- dState.h .* k.z
      return g
    },
    cell(
      "gru-reset-gate-forgotten", "the reset gate gets no gradient",
      names: ["W_r", "U_r", "b_r"], gru
    ) { dState, k, p in
      let g = gru.backward(dState, k, reading: p)
      return g.replacingGate(
        GRUCell.gates.r, da: g.value("b_r").map { _ in 0 }, x: k.x, hPrev: k.hPrev, p: p)
    },
    cell(
      "gru-conventions-swapped",
      "reset-after forward, reset-before backward: the GRU conventions mixed",
      names: ["W_h"], gruAfter
    ) { dState, k, p in gru.backward(dState, k, reading: p) },
    cell(
      "gru-reset-before-dW-in-reset-after",
      "∂E/∂W_h = da ⊗ (r ⊙ h_{t−1}), the reset-before formula, in reset-after",
      names: ["W_h"], gruAfter
    ) { dState, k, p in
      let g = gruAfter.backward(dState, k, reading: p)
      return g.setting("W_h", Matrix.outer(g.value("b_h"), k.r .* k.hPrev).storage)
    },
    cell("gru-dU-z-sign", "∂E/∂U_z with the wrong sign", names: ["U_z"], gru) {
      dState, k, p in
      let g = gru.backward(dState, k, reading: p)
      return g.setting("U_z", g.value("U_z").map { -$0 })
    },
    cell(
      "concat-split-wrong",
      "Wᵀ da split at H instead of D: ∂E/∂S_{t−1} takes the first rows",
      names: ["h"], ConcatRNNCell()
    ) { dState, k, p in
      var g = ConcatRNNCell().backward(dState, k, reading: p)
      let dInput = p.matrix("W").transposeTimes(g.value("b_s"))
      g.dStatePrev.h = Array(dInput.prefix(dState.h.count))
      return g
    },
    cell(
      "concat-bias-skips-tanh", "∂E/∂b_s = ∂E/∂S_t: tanh' skipped",
      names: ["b_s"], ConcatRNNCell()
    ) { dState, k, p in ConcatRNNCell().backward(dState, k, reading: p).setting("b_s", dState.h) },
  ]

  /// `v`'s shape filled with zeros: a carry dropped.
  static func zeros(_ v: [Double]) -> [Double] { v.map { _ in 0 } }
}
