// The harness of the exercises, tested (never skipped): an untouched exercise is skipped, the
// library's own function passes every exercise, and each classic mistake, written as a learner
// would write it, fails and is named by a hint.

@testable import RNNDerivations
import Testing

/// A mistaken answer and the hint ids it must raise (a catalogued mistake's id first).
struct Mistaken<Answer: Sendable>: Sendable, CustomTestStringConvertible {
  var hints: [String]
  var answer: Answer
  init(_ hints: String..., answer: Answer) { (self.hints, self.answer) = (hints, answer) }
  var testDescription: String { hints.joined(separator: ", ") }
}

/// Asserts that `answer` fails `exercise` and that its hints include every one of `ids`.
func expectCaught<A>(
  _ exercise: Exercise<A>, _ mistaken: Mistaken<A>,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let result = try #require(exercise.check(mistaken.answer), sourceLocation: sourceLocation)
  #expect(!result.passed, "\(mistaken.hints) passes", sourceLocation: sourceLocation)
  let found = result.hints.map(\.id)
  for id in mistaken.hints {
    #expect(found.contains(id), "\(id) not named: \(result.report)", sourceLocation: sourceLocation)
  }
}

/// Asserts that `answer` solves `exercise`, with no hint.
func expectPassesExercise<A>(
  _ exercise: Exercise<A>, _ answer: A, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let result = try #require(exercise.check(answer), sourceLocation: sourceLocation)
  #expect(result.passed, "\(result.report)", sourceLocation: sourceLocation)
  #expect(result.hints.isEmpty, sourceLocation: sourceLocation)
  #expect(result.report.contains("solved"), sourceLocation: sourceLocation)
}

private func zeros(_ v: [Double]) -> [Double] { v.map { _ in 0 } }

@Suite struct ExercisesHarnessTests {
  /// An exercise whose function returns nil is untouched: `isAnswered` is false (its test is
  /// skipped) and there is nothing to check.
  @Test func untouchedExercisesAreSkipped() {
    #expect(!Exercises.softmax.isAnswered { _, _ in nil })
    #expect(!Exercises.crossEntropy.isAnswered { _, _ in nil })
    #expect(!Exercises.rnnStep.isAnswered { _, _, _, _ in nil })
    #expect(!Exercises.outputLayer.isAnswered { _, _, _, _ in nil })
    #expect(!Exercises.bptt.isAnswered { _, _, _ in nil })
    #expect(!Exercises.lstmStep.isAnswered { _, _, _, _ in nil })
    #expect(!Exercises.gruResetBefore.isAnswered { _, _, _, _ in nil })
    #expect(Exercises.softmax.check { _, _ in nil } == nil)
  }

  /// The library's own backward passes, handed in as answers, solve every exercise.
  @Test func theLibrarysOwnFunctionsPass() throws {
    try expectPassesExercise(Exercises.softmax) { softmaxBackward($0, y: $1) }
    try expectPassesExercise(Exercises.crossEntropy) { softmaxCrossEntropyBackward($0, target: $1) }
    try expectPassesExercise(Exercises.rnnStep) { rnnStepBackward($0, cache: $1, W: $2, U: $3) }
    try expectPassesExercise(Exercises.outputLayer) {
      outputLayerBackward(yHat: $0, target: $1, s: $2, V: $3)
    }
    try expectPassesExercise(Exercises.bptt) { seq, targets, p in
      let g = bpttIndexForm(seq, targets: targets, p: p)
      let d = g.parameters
      return RNNGradients(
        dU: d.matrix("U"), dW: d.matrix("W"), db: d["b"], dV: d.matrix("V"), db_y: d["b_y"],
        dhInitial: g.initialState.h)
    }
    try expectPassesExercise(Exercises.bptt, learnerBPTT())
    try expectPassesExercise(Exercises.lstmStep) {
      lstmStepBackward(dh: $0, dc: $1, cache: $2, p: $3)
    }
    try expectPassesExercise(Exercises.gruResetBefore) {
      gruStepBackward($0, cache: $1, p: $2, variant: $3)
    }
    try expectPassesExercise(Exercises.gruResetAfter) {
      gruStepBackward($0, cache: $1, p: $2, variant: $3)
    }
  }

  /// A failing answer's report names the exercise, the first quantity that differs, the worst
  /// entries against an oracle, the hint and where the solution is.
  @Test func reportSaysWhereAndWhy() throws {
    let wrong = try #require(
      Self.rnnStepMistakes.first { $0.hints.first == "rnn-missing-transpose" })
    let result = try #require(Exercises.rnnStep.check(wrong.answer))
    let report = result.report
    #expect(report.contains("Exercise rnn-step: yourRNNStepBackward"))
    #expect(report.contains("The first quantity that differs is ∂(g·h_t)/∂h_{t−1}"))
    #expect(report.contains("∂(g·h_t)/∂h_{t−1} differs (dual, tape, finite-difference)"))
    #expect(report.contains("matches known mistake rnn-missing-transpose"))
    #expect(report.contains("rnnStepBackward in Sources/RNNDerivations/Equations/RNNStep.swift"))
    // The quantities before it in the chain are right.
    for name in ["b", "W", "U"] { #expect(result.checks(of: name).allSatisfy { $0.passed }) }
  }

  /// An answer of the wrong size is reported, not trapped on: `∂E/∂x_t` with H entries
  /// instead of D.
  @Test func wrongSizeIsReported() throws {
    let result = try #require(
      Exercises.rnnStep.check { dh, k, W, U in
        var g = rnnStepBackward(dh, cache: k, W: W, U: U)
        g.dx = g.dhPrev
        return g
      })
    #expect(!result.passed)
    #expect(result.shapeErrors["x_t"] == "has 5 entries (5), expected 3")
    #expect(result.report.contains("WRONG SHAPE"))
  }

  /// Every catalogued mistake a learner can make in these exercises (all but the concatenated
  /// step's, which has none) is among the mistaken answers above, so each is shown caught.
  @Test func everyApplicableCatalogueMistakeIsExercised() {
    let lists: [[String]] = [
      Self.softmaxMistakes.flatMap(\.hints), Self.crossEntropyMistakes.flatMap(\.hints),
      Self.rnnStepMistakes.flatMap(\.hints), Self.outputLayerMistakes.flatMap(\.hints),
      Self.bpttMistakes.flatMap(\.hints), Self.lstmMistakes.flatMap(\.hints),
      Self.gruResetBeforeMistakes.flatMap(\.hints), Self.gruResetAfterMistakes.flatMap(\.hints),
    ]
    let named = Set(lists.joined())
    for m in Mistakes.all where m.model.kind != .rnnConcat {
      #expect(named.contains(m.id), "\(m.id) has no exercise answer")
    }
  }

  static let softmaxMistakes: [Mistaken<Exercises.SoftmaxAnswer>] = [
    Mistaken("softmax-diagonal-only") { g, y in y.indices.map { y[$0] * (1 - y[$0]) * g[$0] } },
    Mistaken("output-y-minus-yhat", "wrong-sign") { g, y in softmaxBackward(g, y: y).map { -$0 } },
  ]
  @Test(arguments: softmaxMistakes) func softmaxMistakesAreNamed(
    _ m: Mistaken<Exercises.SoftmaxAnswer>
  ) throws {
    try expectCaught(Exercises.softmax, m)
  }

  static let crossEntropyMistakes: [Mistaken<Exercises.CrossEntropyAnswer>] = [
    Mistaken("output-y-minus-yhat", "wrong-sign") { yHat, y in y .- yHat },
    Mistaken("softmax-diagonal-only") { yHat, y in y.indices.map { -y[$0] * (1 - yHat[$0]) } },
    Mistaken("stopped-before-softmax") { yHat, y in crossEntropyBackward(yHat, target: y) },
  ]
  @Test(arguments: crossEntropyMistakes)
  func crossEntropyMistakesAreNamed(_ m: Mistaken<Exercises.CrossEntropyAnswer>) throws {
    try expectCaught(Exercises.crossEntropy, m)
  }

  /// The vanilla step with `da` computed by `through` instead of `dh ⊙ (1 − h²)`.
  static func rnnThrough(_ through: @escaping @Sendable ([Double], [Double]) -> [Double])
    -> Exercises.RNNStepAnswer
  {
    { dh, k, W, U in affineBackward(through(dh, k.h), x: k.x, hPrev: k.hPrev, W: W, U: U) }
  }
  /// The right step with one gradient changed.
  static func rnnChanging(
    _ change:
      @escaping @Sendable (inout AffineGradients, [Double], RNNStepCache<Double>, Matrix<Double>) ->
      Void
  )
    -> Exercises.RNNStepAnswer
  {
    { dh, k, W, U in
      var g = rnnStepBackward(dh, cache: k, W: W, U: U)
      change(&g, dh, k, W)
      return g
    }
  }
  static let rnnStepMistakes: [Mistaken<Exercises.RNNStepAnswer>] = [
    Mistaken("rnn-1-minus-h", answer: rnnThrough { dh, h in dh .* h.map { 1 - $0 } }),
    Mistaken(
      "rnn-sigmoid-prime-for-tanh", answer: rnnThrough { dh, h in dh .* h.map { $0 * (1 - $0) } }),
    Mistaken(
      "rnn-no-activation-derivative", "missing-activation-derivative",
      answer: rnnThrough { dh, _ in dh }),
    Mistaken(
      "rnn-missing-transpose", "missing-transpose",
      answer: rnnChanging { g, _, _, W in g.dhPrev = W * g.db }),
    Mistaken(
      "rnn-no-dhnext", "zero", answer: rnnChanging { g, _, _, _ in g.dhPrev = zeros(g.dhPrev) }),
    Mistaken(
      "rnn-dW-sign", "wrong-sign", answer: rnnChanging { g, _, _, _ in g.dW = g.dW.map { -$0 } }),
    Mistaken(
      "rnn-dW-transposed", "transposed",
      answer: rnnChanging { g, _, k, _ in g.dW = .outer(k.hPrev, g.db) }),
    Mistaken("rnn-dW-uses-h-t", answer: rnnChanging { g, _, k, _ in g.dW = .outer(g.db, k.h) }),
    Mistaken("rnn-db-before-tanh", answer: rnnChanging { g, dh, _, _ in g.db = dh }),
    Mistaken(
      "rnn-dU-forgotten", "zero", answer: rnnChanging { g, _, _, _ in g.dU = g.dU.map { _ in 0 } }),
    Mistaken(
      "rnn-dhprev-skips-tanh",
      answer: rnnChanging { g, dh, _, W in g.dhPrev = W.transposeTimes(dh) }),
    // Not in the catalogue: ∂E/∂U as x_t ⊗ da, D×H.
    Mistaken("transposed", answer: rnnChanging { g, _, k, _ in g.dU = .outer(k.x, g.db) }),
  ]
  @Test(arguments: rnnStepMistakes) func rnnStepMistakesAreNamed(
    _ m: Mistaken<Exercises.RNNStepAnswer>
  ) throws {
    try expectCaught(Exercises.rnnStep, m)
  }

  /// The output layer with `∂E/∂z` computed by `dz` instead of `ŷ − y`.
  static func outputWith(_ dz: @escaping @Sendable ([Double], [Double]) -> [Double])
    -> Exercises.OutputLayerAnswer
  {
    { yHat, k, s, V in outputLayerBackward(dz: dz(yHat, oneHot(k, yHat.count)), s: s, V: V) }
  }
  static let outputLayerMistakes: [Mistaken<Exercises.OutputLayerAnswer>] = [
    Mistaken("output-bias-forgotten", "zero") { yHat, k, s, V in
      var g = outputLayerBackward(yHat: yHat, target: k, s: s, V: V)
      g.db_y = zeros(g.db_y)
      return g
    },
    Mistaken(
      "softmax-diagonal-only",
      answer: outputWith { yHat, y in y.indices.map { -y[$0] * (1 - yHat[$0]) } }),
    Mistaken("output-y-minus-yhat", answer: outputWith { yHat, y in y .- yHat }),
    Mistaken("output-no-error-to-state", "zero") { yHat, k, s, V in
      var g = outputLayerBackward(yHat: yHat, target: k, s: s, V: V)
      g.ds = zeros(g.ds)
      return g
    },
    // Not in the catalogue: ∂E/∂V as s_t ⊗ (ŷ − y), H×K.
    Mistaken("transposed") { yHat, k, s, V in
      var g = outputLayerBackward(yHat: yHat, target: k, s: s, V: V)
      g.dV = .outer(s, g.db_y)
      return g
    },
  ]
  @Test(arguments: outputLayerMistakes)
  func outputLayerMistakesAreNamed(_ m: Mistaken<Exercises.OutputLayerAnswer>) throws {
    try expectCaught(Exercises.outputLayer, m)
  }

  static let bpttMistakes: [Mistaken<Exercises.BPTTAnswer>] = [
    Mistaken("rnn-no-dhnext", answer: learnerBPTT(carry: false)),
    Mistaken("rnn-no-accumulation", "no-accumulation", answer: learnerBPTT(accumulate: false)),
    Mistaken("output-no-error-to-state", answer: learnerBPTT(errorToState: false)),
  ]
  @Test(arguments: bpttMistakes) func bpttMistakesAreNamed(_ m: Mistaken<Exercises.BPTTAnswer>)
    throws
  {
    try expectCaught(Exercises.bptt, m)
  }

  /// The no-`+=` BPTT's report explains the difference step by step.
  @Test func noAccumulationIsExplainedStepByStep() throws {
    let result = try #require(Exercises.bptt.check(learnerBPTT(accumulate: false)))
    let W = try #require(result.steps["W"])
    // Walking back from T − 1 = 2 with `=`, ∂E/∂W is left holding step 0's contribution.
    #expect((W.first, W.last, W.count) == (1, 2, 3))
    #expect(result.report.contains("your gradient holds only step 0's"))
  }

  static let lstmMistakes: [Mistaken<Exercises.LSTMAnswer>] = [
    Mistaken("lstm-no-dcnext") { dh, dc, k, p in
      lstmStepBackward(dh: dh, dc: zeros(dc), cache: k, p: p)
    },
    Mistaken("lstm-forget-path-dropped", "zero") { dh, dc, k, p in
      var g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      g.dcPrev = zeros(g.dcPrev)
      return g
    },
    Mistaken("lstm-dcprev-without-f") { dh, dc, k, p in
      var g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      g.dcPrev = dc .+ g.dcThroughH  // ∂E/∂c_t, not ∂E/∂c_t ⊙ f
      return g
    },
    Mistaken("lstm-tanh-for-its-derivative") { dh, dc, k, p in
      let tanhC = tanhForward(k.c)
      // The right step, handed the difference between the wrong path through h_t and the right.
      let wrong = dh .* k.o .* tanhC .- tanhBackward(dh .* k.o, h: tanhC)
      return lstmStepBackward(dh: dh, dc: dc .+ wrong, cache: k, p: p)
    },
    Mistaken("lstm-forget-bias-in-backward") { dh, dc, k, p in
      var biased = k
      biased.f = k.f.map { 1 / (1 + (1 - $0) / $0 * Double.exp(-1)) }  // σ(a_f + 1)
      return lstmStepBackward(dh: dh, dc: dc, cache: biased, p: p)
    },
    Mistaken("lstm-df-uses-c-t") { dh, dc, k, p in
      var late = k
      late.cPrev = k.c  // c_{t−1} enters only ∂E/∂f = ∂E/∂c ⊙ c_{t−1}
      return lstmStepBackward(dh: dh, dc: dc, cache: late, p: p)
    },
    Mistaken("lstm-dO-uses-c") { dh, dc, k, p in
      let g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      let o = gateBackward(dh .* k.c, gate: k.o, x: k.x, hPrev: k.hPrev, W: p.o.W, U: p.o.U)
      return lstmAssembled(g, o: o)
    },
    Mistaken("lstm-candidate-sigmoid-prime") { dh, dc, k, p in
      let g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      let dCandidate = (dc .+ g.dcThroughH) .* k.i
      let c = gateBackward(
        dCandidate, gate: k.candidate, x: k.x, hPrev: k.hPrev, W: p.c.W, U: p.c.U)
      return lstmAssembled(g, c: c)
    },
    Mistaken("lstm-dhprev-misses-candidate") { dh, dc, k, p in
      var g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      g.dhPrev = g.i.dhPrev .+ g.f.dhPrev .+ g.o.dhPrev
      return g
    },
    // Not in the catalogue: the forget gate's σ' forgotten.
    Mistaken("missing-activation-derivative") { dh, dc, k, p in
      let g = lstmStepBackward(dh: dh, dc: dc, cache: k, p: p)
      let df = (dc .+ g.dcThroughH) .* k.cPrev
      return lstmAssembled(g, f: affineBackward(df, x: k.x, hPrev: k.hPrev, W: p.f.W, U: p.f.U))
    },
  ]
  @Test(arguments: lstmMistakes) func lstmMistakesAreNamed(_ m: Mistaken<Exercises.LSTMAnswer>)
    throws
  {
    try expectCaught(Exercises.lstmStep, m)
  }

  static let gruResetBeforeMistakes: [Mistaken<Exercises.GRUAnswer>] = [
    Mistaken("gru-dz-sign") { dh, k, p, v in
      let g = gruStepBackward(dh, cache: k, p: p, variant: v)
      let dz = dh .* (k.candidate .- k.hPrev)  // h̃ − h_{t−1}: z and 1 − z swapped
      return gruAssembled(
        dh, k, g, z: gateBackward(dz, gate: k.z, x: k.x, hPrev: k.hPrev, W: p.z.W, U: p.z.U))
    },
    Mistaken("gru-direct-path-dropped") { dh, k, p, v in
      var g = gruStepBackward(dh, cache: k, p: p, variant: v)
      g.dhPrev = g.dhPrev .- dh .* k.z
      return g
    },
    Mistaken("gru-reset-gate-forgotten", "zero") { dh, k, p, v in
      let g = gruStepBackward(dh, cache: k, p: p, variant: v)
      return gruAssembled(
        dh, k, g, r: affineBackward(zeros(dh), x: k.x, hPrev: k.hPrev, W: p.r.W, U: p.r.U))
    },
    Mistaken("gru-dU-z-sign", "wrong-sign") { dh, k, p, v in
      var g = gruStepBackward(dh, cache: k, p: p, variant: v)
      g.z.dU = g.z.dU.map { -$0 }
      return g
    },
    // Not in the catalogue: the update gate's σ' forgotten.
    Mistaken("missing-activation-derivative") { dh, k, p, v in
      let g = gruStepBackward(dh, cache: k, p: p, variant: v)
      let dz = dh .* (k.hPrev .- k.candidate)
      return gruAssembled(
        dh, k, g, z: affineBackward(dz, x: k.x, hPrev: k.hPrev, W: p.z.W, U: p.z.U))
    },
  ]
  @Test(arguments: gruResetBeforeMistakes)
  func gruResetBeforeMistakesAreNamed(_ m: Mistaken<Exercises.GRUAnswer>) throws {
    try expectCaught(Exercises.gruResetBefore, m)
  }

  static let gruResetAfterMistakes: [Mistaken<Exercises.GRUAnswer>] = [
    Mistaken("gru-conventions-swapped") { dh, k, p, _ in
      gruStepBackward(dh, cache: k, p: p, variant: .resetBefore)
    },
    Mistaken("gru-reset-before-dW-in-reset-after") { dh, k, p, v in
      var g = gruStepBackward(dh, cache: k, p: p, variant: v)
      g.h.dW = .outer(g.h.db, k.r .* k.hPrev)
      return g
    },
  ]
  @Test(arguments: gruResetAfterMistakes)
  func gruResetAfterMistakesAreNamed(_ m: Mistaken<Exercises.GRUAnswer>) throws {
    try expectCaught(Exercises.gruResetAfter, m)
  }
}

/// BPTT as a learner writes it from the library's step and output layer, with a switch for
/// each classic mistake of the walk: no `dhNext` carried, `=` instead of `+=`, `E_t`'s error
/// never sent into `h_t`.
func learnerBPTT(carry: Bool = true, accumulate: Bool = true, errorToState: Bool = true)
  -> Exercises.BPTTAnswer
{
  { seq, targets, p in
    let (U, W, V) = (p.matrix("U"), p.matrix("W"), p.matrix("V"))
    var (dU, dW, db) = (zeros(U.storage), zeros(W.storage), zeros(p["b"]))
    var (dV, db_y) = (zeros(V.storage), zeros(p["b_y"]))
    func add(_ sum: inout [Double], _ term: [Double]) { sum = accumulate ? sum .+ term : term }
    var dhNext = zeros(p["b"])
    for t in seq.caches.indices.reversed() {
      let out = outputLayerBackward(
        yHat: seq.yHats[t], target: targets[t], s: seq.caches[t].h, V: V)
      let dh = (errorToState ? out.ds : zeros(out.ds)) .+ dhNext
      let step = rnnStepBackward(dh, cache: seq.caches[t], W: W, U: U)
      add(&dU, step.dU.storage)
      add(&dW, step.dW.storage)
      add(&db, step.db)
      add(&dV, out.dV.storage)
      add(&db_y, out.db_y)
      dhNext = carry ? step.dhPrev : zeros(step.dhPrev)
    }
    return RNNGradients(
      dU: Matrix(rows: U.rows, cols: U.cols, storage: dU),
      dW: Matrix(rows: W.rows, cols: W.cols, storage: dW), db: db,
      dV: Matrix(rows: V.rows, cols: V.cols, storage: dV), db_y: db_y, dhInitial: dhNext)
  }
}

/// The LSTM step's gradients with some gates' replaced, `∂E/∂h_{t−1}` and `∂E/∂x_t` summed again.
func lstmAssembled(
  _ g: LSTMStepGradients, i: AffineGradients? = nil, f: AffineGradients? = nil,
  o: AffineGradients? = nil, c: AffineGradients? = nil
) -> LSTMStepGradients {
  var out = g
  (out.i, out.f, out.o, out.c) = (i ?? g.i, f ?? g.f, o ?? g.o, c ?? g.c)
  out.dhPrev = out.i.dhPrev .+ out.f.dhPrev .+ out.o.dhPrev .+ out.c.dhPrev
  out.dx = out.i.dx .+ out.f.dx .+ out.o.dx .+ out.c.dx
  return out
}

/// The GRU step's gradients with a gate's replaced, its four paths to `h_{t−1}` summed again.
func gruAssembled(
  _ dh: [Double], _ k: GRUStepCache<Double>, _ g: GRUStepGradients, r: AffineGradients? = nil,
  z: AffineGradients? = nil
) -> GRUStepGradients {
  var out = g
  (out.r, out.z) = (r ?? g.r, z ?? g.z)
  out.dhPrev = dh .* k.z .+ g.h.dhPrev .+ out.r.dhPrev .+ out.z.dhPrev
  out.dx = g.h.dx .+ out.r.dx .+ out.z.dx
  return out
}
