import Foundation
@testable import RNNDerivations
import Testing

/// A fixture input with fields added or changed, parsed.
private func input(_ name: String, _ edit: (inout [String: Any]) -> Void = { _ in }) throws
  -> GradInput
{
  try GradInput.parse(try fixtureInput(name, edit))
}

/// The loss and gradients `grad` reports for `input`.
private func gradients(_ input: GradInput) throws -> ModelGradients {
  try GradResult(input, check: false).result
}

/// The fixture cut to its first `L` steps: inputs and targets.
private func firstSteps(_ L: Int) -> (inout [String: Any]) -> Void {
  { object in
    object["inputs"] = Array((object["inputs"] as? [Any] ?? []).prefix(L))
    object["targets"] = Array((object["targets"] as? [Any] ?? []).prefix(L))
  }
}

/// Every entry of `a` within `tolerance` × the largest entry of `b` of `b`'s: the yardstick
/// of `Tolerances`, for gradients that are sums of rounded terms.
private func expectNear(
  _ a: [[Double]], _ b: [[Double]], tolerance: Double, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(a.count == b.count, "\(what)", sourceLocation: sourceLocation)
  for (k, (x, y)) in zip(a, b).enumerated() {
    let scale = max(y.map(abs).max() ?? 0, 1e-300)
    let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
    #expect(
      x.count == y.count && worst <= tolerance * scale,
      "\(what): variable \(k) off by \(worst / scale) of its largest entry",
      sourceLocation: sourceLocation)
  }
}

/// The largest difference between two gradients, over the second's largest entry.
private func difference(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / b.reduce(0) { max($0, abs($1)) }
}

/// The fixtures whose models the options are tried on: every model, and a reset-after GRU
/// with `b_hn` (T = 4 each).
private let models = ["rnn", "rnn-concat", "lstm-forget-bias", "gru", "gru-reset-after-bhn"]

/// `grad`'s null targets, `sequence_length` and `truncate`, each checked against an
/// independent construction (the same input cut or rearranged, run again) and by the oracles.
@Suite struct GradMechanicsTests {
  // MARK: sequence_length

  /// `sequence_length` L gives exactly what the input cut to its first L steps gives: the loss,
  /// every gradient, the final state (the same arithmetic in the same order, so equal).
  @Test(arguments: models)
  func sequenceLengthIsTheFirstStepsAlone(name: String) throws {
    for L in 1...4 {
      let masked = try gradients(try input(name) { $0["sequence_length"] = L })
      let cut = try gradients(try input(name, firstSteps(L)))
      #expect(masked.loss == cut.loss, "\(name) L = \(L)")
      #expect(masked.gradients == cut.gradients, "\(name) L = \(L)")
      #expect(masked.finalState.map(\.values) == cut.finalState.map(\.values), "\(name) L = \(L)")
    }
  }

  // MARK: null targets

  /// Many-to-one: only the last target.
  ///
  /// `E = E_3`, which is `Σ_t E_t` of the whole input less
  /// `Σ_t E_t` of its first three steps, and so is every gradient (two other runs subtracted;
  /// each is a sum rounded to about 1e-16 of its largest term, so 1e-12 of the largest entry).
  @Test(arguments: models)
  func nullTargetsHaveNoLoss(name: String) throws {
    let last = try input(name) { object in
      let targets = object["targets"] as? [Any] ?? []
      object["targets"] = targets.indices.map { $0 == targets.count - 1 ? targets[$0] : NSNull() }
    }
    #expect(last.carriesLoss == [false, false, false, true])
    let (all, first3) = (
      try gradients(try input(name)), try gradients(try input(name, firstSteps(3)))
    )
    let manyToOne = try gradients(last)
    #expect(abs(manyToOne.loss - (all.loss - first3.loss)) <= 1e-14 * all.loss)
    // The output layer's V, b_y and all the cell's parameters: differences of the two runs'.
    let expected = zip(all.gradients, first3.gradients).map { $0 .- $1 }
    expectNear(manyToOne.gradients, expected, tolerance: 1e-12, "\(name) many-to-one")
    // The oracles agree with the objective that has no E_0, E_1, E_2.
    #expect(try GradResult(last, check: true).passed, "\(name)")
  }

  // MARK: truncate

  /// With n ≥ T neither style cuts anything: full BPTT (tf: the same walk; true: every error
  /// summed through its own window, so only rounding differs).
  @Test(arguments: models)
  func truncationOfTStepsOrMoreIsFullBPTT(name: String) throws {
    let full = try gradients(try input(name))
    for style in ["tf", "true"] {
      for n in [4, 7] {
        let truncated = try gradients(
          try input(name) { $0["truncate"] = ["style": style, "steps": n] })
        #expect(truncated.loss == full.loss)
        expectNear(truncated.gradients, full.gradients, tolerance: 1e-12, "\(name) \(style) \(n)")
      }
    }
  }

  /// With n = 1 every error reaches back one step in both styles, so they agree; the loss is
  /// the full `Σ_t E_t` in every style.
  @Test(arguments: models)
  func oneStepStylesAgree(name: String) throws {
    let tf = try gradients(try input(name) { $0["truncate"] = ["style": "tf", "steps": 1] })
    let window = try gradients(try input(name) { $0["truncate"] = ["style": "true", "steps": 1] })
    expectNear(tf.gradients, window.gradients, tolerance: 1e-12, "\(name) n = 1")
    #expect(tf.loss == (try gradients(try input(name))).loss && window.loss == tf.loss)
  }

  /// With 1 < n < T the styles differ (n = 2, T = 4: tf's E_2 stops at s_2, true's goes back to
  /// s_1), and each is the gradient of its own objective by every oracle, not of the other's.
  @Test(arguments: models)
  func tfAndTrueDifferInBetween(name: String) throws {
    let tf = try input(name) { $0["truncate"] = ["style": "tf", "steps": 2] }
    let window = try input(name) { $0["truncate"] = ["style": "true", "steps": 2] }
    let (tfResult, windowResult) = (
      try GradResult(tf, check: true), try GradResult(window, check: true)
    )
    #expect(tfResult.passed && windowResult.passed, "\(name)")
    // The recurrent weights differ by far more than any tolerance.
    let k = tf.params.firstIndex { $0.name.hasPrefix("W") }!
    #expect(difference(tfResult.result.gradients[k], windowResult.result.gradients[k]) > 1e-3)
    // tf's numbers are not the gradient of true truncation's objective: every oracle says so.
    let failing = verify(
      window.sequenceModel, at: window.point, analytic: tfResult.result.gradients
    ).filter { !$0.passed }
    #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"], "\(name)")
  }

  /// Every option together, in both styles, on every model and on a stack of layers: the
  /// oracles check the objective differentiated (null targets, the length, the frozen cuts)
  /// and agree with the walk, whose gradient is not the full one (the options were applied).
  @Test(arguments: models + ["stacked"])
  func everythingTogetherPassesTheOracles(name: String) throws {
    let full = try gradients(try input(name))
    for style in ["tf", "true"] {
      let all = try input(name) { object in
        object["truncate"] = ["style": style, "steps": 2]
        object["sequence_length"] = 3
        var targets = object["targets"] as? [Any] ?? []
        targets[1] = NSNull()
        object["targets"] = targets
      }
      let result = try GradResult(all, check: true)
      #expect(result.passed, "\(name) \(style)")
      #expect(result.checks?.count == all.point.count * Oracle.allCases.count)
      #expect(result.result.gradients != full.gradients, "\(name) \(style)")
    }
  }

  /// Truncation with a sequence_length is truncation of the cut input (in both styles).
  @Test(arguments: models)
  func truncatedLengthIsTheTruncatedCut(name: String) throws {
    for style in ["tf", "true"] {
      let masked = try gradients(
        try input(name) {
          $0["truncate"] = ["style": style, "steps": 2]
          $0["sequence_length"] = 3
        })
      let cut = try gradients(
        try input(name) { object in
          firstSteps(3)(&object)
          object["truncate"] = ["style": style, "steps": 2]
        })
      #expect(masked.loss == cut.loss && masked.gradients == cut.gradients, "\(name) \(style)")
    }
  }

  /// `--compare` runs the catalogue on the objective itself: a mistake made under truncation,
  /// a length and null targets is named, and the correct gradients match.
  @Test func compareNamesAMistakeUnderTheOptions() throws {
    let options = try input("rnn") { object in
      object["truncate"] = ["style": "true", "steps": 2]
      object["sequence_length"] = 3
      object["targets"] = [NSNull(), 0, 1, 1]
    }
    let result = try GradResult(options, check: false)
    let mistake = try #require(Mistakes.mistake("rnn-missing-transpose"))
    let theirs = JSON.object([
      (
        "gradients",
        .object(
          zip(options.params, mistake.gradients(options)).map {
            ($0.name, JSONRenderer.json(GradResult.value($0, $1)))
          })
      )
    ]).serialized()
    let comparison = GradComparison(result, theirs: try TheirGradients.parse(theirs, for: options))
    #expect(!comparison.matches)
    #expect(comparison.mistakes.map(\.id) == ["rnn-missing-transpose"])
    let own = GradComparison(
      result, theirs: try TheirGradients.parse(result.json.serialized(), for: options))
    #expect(own.matches)
  }
}

// MARK: - The reset-after GRU's recurrent bias b_hn

extension GradMechanicsTests {
  /// `b_hn` is checked by every oracle at the catalogue's three sizes and five seeds each,
  /// every other gradient with it (the traces' GRUs keep no `b_hn`: their outputs stay as
  /// they were).
  @Test func recurrentBiasPassesEveryOracle() {
    let cell = GRUCell(variant: .resetAfter, hasRecurrentBias: true)
    for config in Catalog.checkConfigs {
      for seed in 0..<5 {
        let at = Config(seed: UInt64(seed), dims: config.dims, steps: config.steps)
        let ex = SequenceExample(cell, at, stateNames: ["h"])
        let checks = verify(
          ex.model, at: ex.point, analytic: ex.gradients.flat, conditioning: ex.conditioning,
          magnitudes: ex.gradients.magnitudes)
        #expect(Set(checks.filter { $0.parameter == "b_hn" }.map(\.reference)).count == 3)
        for check in checks { #expect(check.passed, "seed \(seed): \(check.summary)") }
      }
    }
  }

  /// The checks can fail: `∂E/∂b_hn` taken as `∂E/∂b_h` (the factor r forgotten: b_hn treated
  /// as if it were outside `r ⊙ (…)`) is caught by every oracle, on b_hn alone.
  @Test func recurrentBiasWithoutItsResetFactorIsCaught() {
    let cell = GRUCell(variant: .resetAfter, hasRecurrentBias: true)
    let ex = SequenceExample(cell, Mistakes.config, stateNames: ["h"])
    var wrong = ex.gradients.parameters
    wrong.replace("b_hn", with: wrong["b_h"])
    let failing = verify(
      ex.model, at: ex.point, analytic: wrong.values + ex.gradients.initialState.parts
    ).filter { !$0.passed }
    #expect(Set(failing.map(\.parameter)) == ["b_hn"])
    #expect(Set(failing.map(\.reference)) == ["dual", "tape", "finite-difference"])
  }

  /// Without `b_hn` nothing is reported of it; a zero `b_hn` changes no other gradient and
  /// reports its own.
  @Test func anAbsentRecurrentBiasIsNotReported() throws {
    let without = try GradResult(try input("gru-reset-after"), check: false)
    #expect(!without.input.params.contains { $0.name == "b_hn" })
    let zero = try GradResult(
      try input("gru-reset-after") { $0[param: "b_hn"] = [0.0, 0, 0, 0, 0] }, check: false)
    #expect(zero.input.params.map(\.name).last(where: { $0.hasPrefix("b_h") }) == "b_hn")
    var same = zero.result.gradients
    same.remove(at: zero.input.params.firstIndex { $0.name == "b_hn" }!)
    #expect(same == without.result.gradients)
    #expect(zero.result.loss == without.result.loss)
  }
}

// MARK: - Bad input

extension GradMechanicsTests {
  @Test func badOptionsNameTheirField() throws {
    expectRejected(
      try rnnInput { $0["targets"] = [NSNull(), NSNull(), NSNull(), NSNull()] },
      mentions: ["targets", "every target is null"])
    expectRejected(
      try rnnInput {
        $0["targets"] = [NSNull(), NSNull(), 1, 0]
        $0["sequence_length"] = 2
      }, mentions: ["targets", "before sequence_length = 2", "null"])
    expectRejected(
      try rnnInput { $0["targets"] = [1, "0", 0, 0] },
      mentions: ["targets[1]", "class index in 0..<2 or null", "\"0\""])
    for (bad, found) in [(0.0, "0.0"), (5, "5.0"), (2.5, "2.5"), (-1, "-1.0")] as [(Any, String)] {
      expectRejected(
        try rnnInput { $0["sequence_length"] = bad },
        mentions: ["sequence_length", "an integer in 1…4", "found \(found)"])
    }
    expectRejected(
      try rnnInput { $0["sequence_length"] = "3" },
      mentions: ["sequence_length", "a number", "\"3\""])
    expectRejected(
      try rnnInput { $0["truncate"] = 2 }, mentions: ["truncate", "expected an object", "2.0"])
    expectRejected(
      try rnnInput { $0["truncate"] = ["style": "keras", "steps": 2] },
      mentions: ["truncate.style", "\"tf\" or \"true\"", "\"keras\""])
    expectRejected(
      try rnnInput { $0["truncate"] = ["steps": 2] },
      mentions: ["truncate.style", "found nothing"])
    for bad in [0, 1.5, 1001] as [Any] {
      expectRejected(
        try rnnInput { $0["truncate"] = ["style": "tf", "steps": bad] },
        mentions: ["truncate.steps", "an integer in 1…1000"])
    }
    expectRejected(
      try rnnInput { $0["truncate"] = ["style": "true", "steps": 2, "every": 1] },
      mentions: ["truncate", "unexpected field 'every'", "style, steps"])
  }

  /// `b_hn` belongs to a reset-after GRU only; its shape is H like every bias.
  @Test func recurrentBiasOnlyWhereItExists() throws {
    expectRejected(
      try fixtureInput("gru") { $0[param: "b_hn"] = [0.0, 0, 0, 0, 0] },
      mentions: ["params", "unexpected parameter 'b_hn' for gru"])
    expectRejected(
      try rnnInput { $0[param: "b_hn"] = [0.0, 0, 0, 0, 0] },
      mentions: ["params", "unexpected parameter 'b_hn' for rnn"])
    expectRejected(
      try fixtureInput("gru-reset-after") { $0[param: "b_hn"] = [0.0, 0] },
      mentions: ["params.b_hn", "expected shape 5", "found 2"])
  }
}
