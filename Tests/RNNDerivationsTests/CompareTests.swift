import Foundation
@testable import RNNDerivations
import Testing

/// The `grad` inputs of Fixtures/ (TensorFlow's golden vectors; see Fixtures/README.md).
private let fixtureNames = [
  "rnn", "rnn-concat", "lstm", "lstm-forget-bias", "gru", "gru-reset-after",
]

private func fixtureInput(_ name: String) throws -> GradInput {
  let url = try #require(
    Bundle.module.url(forResource: "\(name).input", withExtension: "json", subdirectory: "Fixtures"))
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

  /// Every catalogued mistake of a fixture's model is told apart from the correct gradient
  /// (some entry off by more than the tolerance), and its gradients are reproduced by that
  /// mistake. Mistakes whose numbers coincide at an input are listed, with the reason.
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
    print("\(name): closest mistake \(closest.id), \(sci(closest.difference)) of a largest entry")
    #expect(closest.difference > 10 * Tolerances.learnerGradient)
  }
}
