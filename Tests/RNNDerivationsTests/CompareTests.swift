import Foundation
@testable import RNNDerivations
import Testing

/// The `grad` inputs of Fixtures/ (TensorFlow's golden vectors; see Fixtures/README.md).
private let fixtureNames = [
  "rnn", "rnn-concat", "lstm", "lstm-forget-bias", "gru", "gru-reset-after",
  "gru-reset-after-bhn",
]

private func fixtureInput(_ name: String) throws -> GradInput {
  let url = try #require(
    Bundle.module.url(forResource: "\(name).input", withExtension: "json", subdirectory: "Fixtures")
  )
  return try GradInput.parse(try String(contentsOf: url, encoding: .utf8))
}

/// `gradients` as a compare file: `grad`'s JSON names and shapes, written and read back.
private func compareFile(_ input: GradInput, _ gradients: [[Double]]) -> String {
  let named = zip(input.point, gradients).map { v, g in
    (v.name, JSONRenderer.json(GradResult.value(v, g)))
  }
  return JSON.object([
    ("gradients", .object(Array(named.prefix(input.params.count)))),
    ("initial_state_gradients", .object(Array(named.dropFirst(input.params.count)))),
  ]).serialized()
}

private func compare(_ input: GradInput, _ text: String) throws -> GradComparison {
  GradComparison(
    try GradResult(input, check: false), theirs: try TheirGradients.parse(text, for: input))
}

@Suite struct CompareTests {
  /// `grad`'s own output, fed back as it is (extra keys and all), matches everywhere and runs
  /// no mistake.
  @Test(arguments: fixtureNames)
  func ownOutputMatches(name: String) throws {
    let input = try fixtureInput(name)
    let own = try GradResult(input, check: false).json.serialized()
    let comparison = try compare(input, own)
    #expect(comparison.matches)
    #expect(comparison.parameters.count == input.params.count)
    #expect(comparison.initialState.count == input.initialState.count)
    #expect(comparison.parameters.allSatisfy { $0.maxDifference == 0 && !$0.transposed })
    #expect(comparison.tried == 0 && comparison.mistakes.isEmpty)
  }

  /// Every catalogued mistake of a fixture's model is told apart, and named alone.
  ///
  /// Told apart: some entry is off by more than the tolerance, with a margin of 10 over it
  /// (the closest is printed). Named alone: its gradients are reproduced by that mistake and
  /// by no other of the catalogue.
  @Test(arguments: fixtureNames)
  func everyMistakeIsToldApartAndNamed(name: String) throws {
    let input = try fixtureInput(name)
    let mistakes = Mistakes.all.filter { $0.applies(to: input) }
    #expect(!mistakes.isEmpty)
    let correct = try GradResult(input, check: false).result.gradients
    var closest = (difference: Double.infinity, id: "")
    for mistake in mistakes {
      let wrong = mistake.gradients(input)
      let comparison = try compare(input, compareFile(input, wrong))
      #expect(!comparison.matches, "\(name): \(mistake.id) is not told apart")
      // How far the mistake is from the correct gradients, entry by entry, in the model's
      // yardstick (computed here, not by the comparison).
      let difference = zip(wrong, correct).map { w, c in
        zip(w, c).map { abs($0 - $1) }.max()! / c.map(abs).max()!
      }.max()!
      if difference < closest.difference { closest = (difference, mistake.id) }
      #expect(
        comparison.mistakes.map(\.id) == [mistake.id],
        "\(name): \(mistake.id) reproduced by \(comparison.mistakes.map(\.id))")
    }
    TestOutput.write(
      "\(name): closest mistake \(closest.id), \(sci(closest.difference)) of a largest entry")
    #expect(closest.difference > 10 * Tolerances.learnerGradient)
  }
}

extension CompareTests {
  /// What each run of steps says, written out by hand (T = 4).
  @Test func stepsAreSaidInWords() {
    func says(_ first: Int, _ last: Int, _ factor: Double) -> String {
      GradComparison.Steps(first: first, last: last, factor: factor, count: 4).description
    }
    #expect(
      says(1, 3, -1)
        == "the difference is −1.00 × the sum of steps 1…3's contributions: "
        + "your gradient holds only step 0's")
    #expect(
      says(0, 1, -0.999)
        == "the difference is −1.00 × the sum of steps 0…1's contributions: "
        + "your gradient holds only steps 2…3's")
    #expect(
      says(2, 2, -1)
        == "the difference is −1.00 × step 2's contribution: your gradient misses step 2's")
    #expect(
      says(1, 2, 1)
        == "the difference is 1.00 × the sum of steps 1…2's contributions: "
        + "your gradient counts steps 1…2's twice")
    #expect(
      says(0, 3, -2)
        == "the difference is −2.00 × the sum of steps 0…3's contributions: "
        + "yours is −1.00 × the correct gradient")
    #expect(
      says(0, 3, -1)
        == "the difference is −1.00 × the sum of steps 0…3's contributions: "
        + "your gradient is zero")
    #expect(says(3, 3, 0.5) == "the difference is 0.50 × step 3's contribution")
  }

  /// A gradient that counts the last step twice (its contribution added once more, as the walk
  /// hands it out) is explained as that step, for every parameter with more than a sign's
  /// worth of freedom; the initial state is never fitted.
  @Test func aStepCountedTwiceIsFound() throws {
    let input = try fixtureInput("gru")
    let correct = try GradResult(input, check: false).result.gradients
    let last = input.inputs.count - 1
    var theirs = correct
    func walk(_ cell: some RecurrentCell) {
      let model = SequenceModel(cell, xs: input.inputs, targets: input.targets, dims: input.dims)
      let point = Parameters(input.point)
      let p = model.parameters(of: point)
      _ = model.backward(model.forward(p, from: model.initialState(of: point)), p) { t, name, c in
        guard t == last, let k = input.point.firstIndex(where: { $0.name == name }) else { return }
        theirs[k] = theirs[k] .+ c
      }
    }
    walk(input.model.cell(variant: input.variant))
    let comparison = try compare(input, compareFile(input, theirs))
    #expect(!comparison.matches)
    // K = 2: b_y's contributions are all [a, −a], and any two are proportional.
    for item in comparison.parameters where item.name != "b_y" {
      #expect(item.steps?.first == last && item.steps?.last == last, "\(item.name)")
      #expect(
        item.steps?.description.hasSuffix("your gradient counts step 3's twice") == true,
        "\(item.name): \(item.steps?.description ?? "none")")
    }
    #expect(comparison.initialState.allSatisfy { $0.match })
    #expect(comparison.mistakes.isEmpty && comparison.tried > 0)
  }
}
