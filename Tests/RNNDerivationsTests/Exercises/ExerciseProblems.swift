// The seven exercises (notes/Exercises.md): each one's fixed problem, its learner's function
// inside the library's walk (where the catalogue's mistakes are made), and the patterns of its
// classic mistakes. Every problem is drawn from seed 0 at D, H, K = 3, 5, 4.

@testable import RNNDerivations

/// The gradients a learner's BPTT returns (`yourBPTT`): every parameter of the vanilla RNN and
/// the initial state.
struct RNNGradients: Sendable {
  var dU, dW: Matrix<Double>
  var db: [Double]
  var dV: Matrix<Double>
  var db_y: [Double]
  /// `∂E/∂h_{−1}`.
  var dhInitial: [Double]
}

/// `E_t(b_y, V, s_t)` for one step's target (for the oracles).
struct OutputStepFunction: ForwardFunction {
  var target: Int
  var outputName: String { "E_t" }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    [outputStepLoss(s: v["s_t"], V: v.matrix("V"), b_y: v["b_y"], target: target)]
  }
}

/// `g_h · h_t + g_c · c_t` for one LSTM step, `h_{t−1}` and `c_{t−1}` free (for the oracles).
struct LSTMStepExerciseFunction: ForwardFunction {
  var forgetBias: Double
  var gh, gc: [Double]
  var outputName: String { "(g_h·h_t + g_c·c_t)" }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let k = lstmStepForward(
      x: v["x_t"], hPrev: v["h_{t−1}"], cPrev: v["c_{t−1}"], p: LSTMGates(v),
      forgetBias: forgetBias)
    return [dot(lift(gh), k.h) + dot(lift(gc), k.c)]
  }
}

/// `E` of a vanilla RNN in which every step has its own copy of the weights (`W@t`, …): its
/// gradient with respect to `W@t` is step t's contribution to `∂E/∂W`, one term of source
/// 003's sum, which the tape gives without any backward pass of ours.
struct UntiedRNN: ForwardFunction {
  var xs: [[Double]]
  var targets: [Int]
  var outputName: String { "E" }
  var cost: Int { xs.count }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    var h: [T] = v["h"]
    var E: T = 0
    for (t, (x, k)) in zip(xs, targets).enumerated() {
      h =
        rnnStepForward(
          x: lift(x), hPrev: h, W: v.matrix("W@\(t)"), U: v.matrix("U@\(t)"), b: v["b@\(t)"]
        ).h
      E += outputStepLoss(s: h, V: v.matrix("V@\(t)"), b_y: v["b_y@\(t)"], target: k)
    }
    return [E]
  }

  /// Per parameter of `point` (the vanilla RNN's, then `h`), the runs of steps whose
  /// contributions explain `deltas` (`GradComparison.Steps`, as `grad --compare` explains a
  /// difference), each step's contribution from the tape.
  func fits(_ point: [Variable], _ deltas: [String: [Double]], _ reference: [String: [Double]])
    -> [String: GradComparison.Steps]
  {
    let parameters = point.filter { $0.name != "h" }
    let untied =
      xs.indices.flatMap { t in
        parameters.map { Variable("\($0.name)@\(t)", shape: $0.shape, $0.values) }
      } + point.filter { $0.name == "h" }
    guard let gradient = TapeOracle.gradient(self, at: untied, limit: Tolerances.tapeMaxNodes)
    else { return [:] }
    let deltas = deltas.filter { name, _ in name != "h" }
    let totals = reference.filter { deltas[$0.key] != nil }
    var fit = StepFit(
      deltas: deltas, totals: totals,
      bounds: totals.mapValues { Tolerances.learnerGradient * GradComparison.scale($0) },
      steps: xs.count)
    for t in xs.indices.reversed() {
      for (j, v) in parameters.enumerated() {
        fit.visit(t, v.name, gradient[t * parameters.count + j])
      }
    }
    return fit.found.compactMapValues(StepFit.pick)
  }
}

enum Exercises {
  static let dims = Dims(D: 3, H: 5, K: 4)
  static let rnn = ModelVariant(kind: .rnn)
  static let lstm = ModelVariant(kind: .lstm)

  /// The variables of `p` named `names`, in that order: a point in the order of the chain rule.
  static func variables(_ p: Parameters<Double>, _ names: [String]) -> [Variable] {
    names.compactMap { name in p.variables.first { $0.name == name } }
  }

  /// A gate's gradients in the order of the chain rule: `b` (`∂E/∂a`), then `W`, then `U`.
  static func answered(_ g: AffineGradients) -> [Answered] {
    [Answered(g.db), Answered(g.dW), Answered(g.dU)]
  }
  static func names(_ g: GateNames) -> [String] { [g.b, g.W, g.U] }

  // MARK: - Softmax

  typealias SoftmaxAnswer = @Sendable (_ dy: [Double], _ y: [Double]) -> [Double]?

  static let softmax: Exercise<SoftmaxAnswer> = {
    var rng = SplitMix64(seed: 0)
    let z = rng.vector(dims.K, scale: 2)
    let g = rng.vector(dims.K)
    let y = softmaxForward(z)
    return Exercise(
      id: "softmax", function: "yourSoftmaxBackward", stem: "Softmax",
      solution: "softmaxBackward in Sources/RNNDerivations/Equations/Softmax.swift",
      problem: Problem(
        function: Projected(SoftmaxFunction(), upstream: g), point: [Variable("z", z)],
        conditioning: vjpConditioning(g, y), label: "seed 0, K=\(dims.K)"),
      ask: { answer in answer(g, y).map { [Answered($0)] } },
      walk: { answer in
        // The output layer's ∂E/∂z as softmax's backward pass of ∂E/∂ŷ = −y/ŷ.
        walked(
          RNNCell(), rnn,
          output: { yHat, k, s, V in
            answer(crossEntropyBackward(yHat, target: oneHot(k, yHat.count)), yHat).map {
              outputLayerBackward(dz: $0, s: s, V: V)
            }
          })
      })
  }()

  // MARK: - Cross-entropy

  typealias CrossEntropyAnswer = @Sendable (_ yHat: [Double], _ y: [Double]) -> [Double]?

  static let crossEntropy: Exercise<CrossEntropyAnswer> = {
    var rng = SplitMix64(seed: 0)
    let z = rng.vector(dims.K, scale: 2)
    let y = oneHot(rng.index(below: dims.K), dims.K)
    let yHat = softmaxForward(z)
    return Exercise(
      id: "softmax-cross-entropy", function: "yourSoftmaxCrossEntropyBackward",
      stem: "CrossEntropy",
      solution:
        "softmaxCrossEntropyBackward in Sources/RNNDerivations/Equations/CrossEntropy.swift",
      problem: Problem(
        function: SoftmaxCrossEntropyFunction(target: y), point: [Variable("z", z)],
        conditioning: sigmoidConditioning(yHat), label: "seed 0, K=\(dims.K)"),
      ask: { answer in answer(yHat, y).map { [Answered($0)] } },
      walk: { answer in
        walked(
          RNNCell(), rnn,
          output: { yHat, k, s, V in
            answer(yHat, oneHot(k, yHat.count)).map { outputLayerBackward(dz: $0, s: s, V: V) }
          })
      },
      patterns: { _ in
        [
          Pattern(
            id: "stopped-before-softmax",
            hint: "∂E/∂z = −y/ŷ is ∂E/∂ŷ: it still has to go through softmax's Jacobian, "
              + "which turns it into ŷ − y",
            predicted: ["z": crossEntropyBackward(yHat, target: y)])
        ]
      })
  }()

  // MARK: - The vanilla RNN step

  typealias RNNStepAnswer =
    @Sendable (
      _ dh: [Double], _ cache: RNNStepCache<Double>, _ W: Matrix<Double>, _ U: Matrix<Double>
    )
    -> AffineGradients?

  static let rnnStep: Exercise<RNNStepAnswer> = {
    var rng = SplitMix64(seed: 0)
    let (D, H) = (dims.D, dims.H)
    let W = rng.matrix(H, H, scale: 0.5)
    let U = rng.matrix(H, D, scale: 0.5)
    let b = rng.vector(H, scale: 0.1)
    let hPrev = rng.vector(H)
    let x = rng.vector(D)
    let g = rng.vector(H)
    let cache = rnnStepForward(x: x, hPrev: hPrev, W: W, U: U, b: b).cache
    let point = [
      Variable("b", b), Variable("W", W), Variable("U", U), Variable("h_{t−1}", hPrev),
      Variable("x_t", x),
    ]
    return Exercise(
      id: "rnn-step", function: "yourRNNStepBackward", stem: "RNNStep",
      solution: "rnnStepBackward in Sources/RNNDerivations/Equations/RNNStep.swift",
      problem: Problem(
        function: RNNStepFunction(upstream: g), point: point,
        conditioning: RNNCell().conditioning(cache), label: "seed 0, D=\(D), H=\(H)"),
      ask: { answer in
        answer(g, cache, W, U).map { answered($0) + [Answered($0.dhPrev), Answered($0.dx)] }
      },
      walk: { answer in
        walked(RNNCell(), rnn) { d, k, p in
          answer(d.h, k, p.matrix("W"), p.matrix("U")).map(RNNCell.cellGradients)
        }
      },
      patterns: { reference in
        var patterns = [
          missingFactor(
            RNNCell.names, cache.h.map { 1 - $0 * $0 }, "(1 − h_t²)",
            reference)
        ].compactMap { $0 }
        if let da = reference["b"] {
          patterns.append(
            Pattern(
              id: "missing-transpose",
              hint: "∂E/∂h_{t−1} = W da: the way back goes through Wᵀ (h_{t−1}[j] meets "
                + "column j of W, so ∂E/∂h_{t−1}[j] = Σ_i W[i, j] da[i])",
              predicted: ["h_{t−1}": W * da]))
        }
        return patterns
      })
  }()

  // MARK: - The output layer

  typealias OutputLayerAnswer =
    @Sendable (_ yHat: [Double], _ target: Int, _ s: [Double], _ V: Matrix<Double>) ->
    OutputLayerGradients?

  static let outputLayer: Exercise<OutputLayerAnswer> = {
    var rng = SplitMix64(seed: 0)
    let V = rng.matrix(dims.K, dims.H, scale: 0.5)
    let b_y = rng.vector(dims.K, scale: 0.1)
    let s = rng.vector(dims.H)
    let k = rng.index(below: dims.K)
    let yHat = outputLayerForward(s: s, V: V, b_y: b_y)
    return Exercise(
      id: "output-layer", function: "yourOutputLayerBackward", stem: "OutputLayer",
      solution: "outputLayerBackward in Sources/RNNDerivations/Equations/OutputLayer.swift",
      problem: Problem(
        function: OutputStepFunction(target: k),
        point: [Variable("b_y", b_y), Variable("V", V), Variable("s_t", s)],
        conditioning: sigmoidConditioning(yHat), label: "seed 0, H=\(dims.H), K=\(dims.K)"),
      ask: { answer in
        answer(yHat, k, s, V).map { [Answered($0.db_y), Answered($0.dV), Answered($0.ds)] }
      },
      walk: { answer in walked(RNNCell(), rnn, output: answer) })
  }()

  // MARK: - BPTT

  typealias BPTTAnswer =
    @Sendable (_ seq: RNNSequence, _ targets: [Int], _ p: Parameters<Double>) -> RNNGradients?

  static let bptt: Exercise<BPTTAnswer> = {
    // The catalogue's own example: the learner's gradients are compared with its mistakes'
    // at the very point they were computed.
    let ex = SequenceExample(RNNCell(), Mistakes.config, stateNames: ["h"])
    let (run, targets, p, point) = (ex.run, ex.model.targets, ex.p, ex.point)
    let input = ex.input(rnn)
    let untied = UntiedRNN(xs: ex.model.xs, targets: targets)
    @Sendable func answered(_ g: RNNGradients) -> [Answered] {
      [
        Answered(g.dU), Answered(g.dW), Answered(g.db), Answered(g.dV), Answered(g.db_y),
        Answered(g.dhInitial),
      ]
    }
    return Exercise(
      id: "bptt-recursive", function: "yourBPTT", stem: "BPTT",
      solution: "SequenceModel.backward in Sources/RNNDerivations/Sequence/SequenceModel.swift "
        + "(the walk every model runs) and bpttIndexForm in "
        + "Sources/RNNDerivations/Equations/BPTT.swift (source 004's loops)",
      problem: Problem(
        function: ex.model, point: point, conditioning: ex.conditioning,
        label: "seed 0, \(Mistakes.config.dims), T=\(Mistakes.config.steps)",
        chainOrder: ["b_y", "V", "b", "W", "U", "h"]),
      ask: { answer in answer(run, targets, p).map(answered) },
      walk: { answer in
        Walked(input: input, gradients: (answer(run, targets, p).map(answered) ?? []).map(\.values))
      },
      steps: { deltas, reference in untied.fits(point, deltas, reference) })
  }()

  // MARK: - The LSTM step

  typealias LSTMAnswer =
    @Sendable (
      _ dh: [Double], _ dc: [Double], _ cache: LSTMStepCache<Double>, _ p: LSTMGates<Double>
    ) -> LSTMStepGradients?

  static let lstmStep: Exercise<LSTMAnswer> = {
    var rng = SplitMix64(seed: 0)
    let cell = LSTMCell(forgetBias: 1)  // TF BasicLSTMCell's default
    let params = Parameters.random(cell.parameters, dims, &rng)
    let x = rng.vector(dims.D)
    let hPrev = rng.vector(dims.H, scale: 0.5)
    let cPrev = rng.vector(dims.H, scale: 0.5)
    let (gh, gc) = (rng.vector(dims.H), rng.vector(dims.H))
    let gates = LSTMGates(params)
    let cache = lstmStepForward(x: x, hPrev: hPrev, cPrev: cPrev, p: gates, forgetBias: 1).cache
    // Backwards from h_t: the output gate, the candidate and input gate, the forget gate.
    let order = [LSTMCell.gates.o, LSTMCell.gates.c, LSTMCell.gates.i, LSTMCell.gates.f]
    let point =
      variables(params, order.flatMap(names))
      + [Variable("c_{t−1}", cPrev), Variable("h_{t−1}", hPrev), Variable("x_t", x)]
    return Exercise(
      id: "lstm-gates", function: "yourLSTMStepBackward", stem: "LSTMCell",
      solution: "lstmStepBackward in Sources/RNNDerivations/Equations/LSTMCell.swift",
      problem: Problem(
        function: LSTMStepExerciseFunction(forgetBias: 1, gh: gh, gc: gc), point: point,
        conditioning: cell.conditioning(cache), label: "seed 0, D=\(dims.D), H=\(dims.H)"),
      ask: { answer in
        answer(gh, gc, cache, gates).map { g in
          [g.o, g.c, g.i, g.f].flatMap(answered)
            + [Answered(g.dcPrev), Answered(g.dhPrev), Answered(g.dx)]
        }
      },
      walk: { answer in
        walked(LSTMCell(forgetBias: 0), lstm) { d, k, p in
          answer(d.h, d.cellState, k, LSTMGates(p)).map(LSTMCell.cellGradients)
        }
      },
      patterns: { reference in
        let sigmoid = { (s: [Double]) in s.map { $0 * (1 - $0) } }
        return [
          missingFactor(LSTMCell.gates.o, sigmoid(cache.o), "o(1 − o)", reference),
          missingFactor(
            LSTMCell.gates.c, cache.candidate.map { 1 - $0 * $0 }, "(1 − c̃²)", reference),
          missingFactor(LSTMCell.gates.i, sigmoid(cache.i), "i(1 − i)", reference),
          missingFactor(LSTMCell.gates.f, sigmoid(cache.f), "f(1 − f)", reference),
        ].compactMap { $0 }
      })
  }()

  // MARK: - The GRU step

  typealias GRUAnswer =
    @Sendable (
      _ dh: [Double], _ cache: GRUStepCache<Double>, _ p: GRUGates<Double>, _ variant: GRUVariant
    ) -> GRUStepGradients?

  /// The GRU exercise in one convention; the learner's function is checked in both.
  static func gruStep(_ variant: GRUVariant) -> Exercise<GRUAnswer> {
    var rng = SplitMix64(seed: 0)
    let cell = GRUCell(variant: variant)
    let params = Parameters.random(cell.parameters, dims, &rng)
    let x = rng.vector(dims.D)
    let hPrev = rng.vector(dims.H, scale: 0.5)
    let g = rng.vector(dims.H)
    let gates = GRUGates(params)
    let cache = gruStepForward(x: x, hPrev: hPrev, p: gates, variant: variant).cache
    // Backwards from h_t: the update gate and the candidate, then the reset gate inside it.
    let order = [GRUCell.gates.z, GRUCell.gates.h, GRUCell.gates.r]
    let point =
      variables(params, order.flatMap(names)) + [Variable("h_{t−1}", hPrev), Variable("x_t", x)]
    return Exercise(
      id: "gru-gates", function: "yourGRUStepBackward", stem: "GRUCell",
      solution: "gruStepBackward in Sources/RNNDerivations/Equations/GRUCell.swift",
      problem: Problem(
        function: GRUStepFunction(variant: variant, g: g), point: point,
        conditioning: cell.conditioning(cache),
        label: "seed 0, D=\(dims.D), H=\(dims.H), \(variant.rawValue)"),
      ask: { answer in
        answer(g, cache, gates, variant).map { g in
          answered(g.z) + [Answered(g.h.db), Answered(g.h.dW), Answered(g.h.dU)]
            + answered(g.r) + [Answered(g.dhPrev), Answered(g.dx)]
        }
      },
      walk: { answer in
        walked(cell, ModelVariant(kind: .gru, variant: variant)) { d, k, p in
          answer(d.h, k, GRUGates(p), variant).map(GRUCell.cellGradients)
        }
      },
      patterns: { reference in
        let sigmoid = { (s: [Double]) in s.map { $0 * (1 - $0) } }
        return [
          missingFactor(GRUCell.gates.z, sigmoid(cache.z), "z(1 − z)", reference),
          missingFactor(
            GRUCell.gates.h, cache.candidate.map { 1 - $0 * $0 }, "(1 − h̃²)", reference),
          missingFactor(GRUCell.gates.r, sigmoid(cache.r), "r(1 − r)", reference),
        ].compactMap { $0 }
      })
  }
  static let gruResetBefore = gruStep(.resetBefore)
  static let gruResetAfter = gruStep(.resetAfter)
}
