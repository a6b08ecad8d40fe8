import Foundation
@testable import RNNDerivations
import Testing

@Suite struct MistakesTests {
  /// The catalogue holds at least 30 mistakes, each with its own id.
  @Test func catalogueIsLargeAndUnique() {
    #expect(Mistakes.all.count >= 30)
    #expect(Set(Mistakes.all.map(\.id)).count == Mistakes.all.count)
  }

  /// Every mistake is caught: each parameter it corrupts directly fails at least one oracle's
  /// check, and no check fails on a parameter that cannot depend on it (the output layer's
  /// V and b_y are upstream of every cell mistake).
  @Test(arguments: Mistakes.all.map(\.id))
  func everyMistakeIsCaughtAndNamed(id: String) throws {
    let mistake = try #require(Mistakes.mistake(id))
    let checks = mistake.checks()
    let failed = Set(checks.filter { !$0.passed }.map(\.parameter))
    #expect(!failed.isEmpty, "\(id) is not caught")
    for name in mistake.names {
      #expect(failed.contains(name), "\(id): \(name) not named; failed: \(failed.sorted())")
    }
    // Each exact oracle sees it on its own.
    for oracle in [Oracle.dual, .tape] {
      #expect(checks.contains { $0.reference == oracle.rawValue && !$0.passed }, "\(id), \(oracle)")
    }
  }

  /// notes/Verification.md's table is what the catalogue does: one row per mistake, in order,
  /// with its model, summary, the oracles that catch it and the parameters named.
  @Test func notesTableIsTheCatalogue() throws {
    let rows = try repositoryFile("notes/Verification.md").split(separator: "\n")
      .filter { $0.hasPrefix("| `") }.map(String.init)
    let expected = Mistakes.all.map { mistake in
      let verdict = mistake.verdict()
      let summary = mistake.summary.replacingOccurrences(of: "|", with: "\\|")
      return "| `\(mistake.id)` | \(mistake.model) | \(summary) | "
        + verdict.caughtBy.joined(separator: ", ") + " | "
        + verdict.named.map { "`\($0)`" }.joined(separator: ", ") + " |"
    }
    #expect(rows == expected)
  }

  /// The same harness with the unchanged cells passes every check: the mistakes, not the
  /// harness, make the failures.
  @Test func theRealDerivationsPassTheSameHarness() {
    func passes(_ cell: some RecurrentCell) -> Bool {
      let names = cell.hasCellState ? ["h", "c"] : ["h"]
      let ex = SequenceExample(cell, Mistakes.config, stateNames: names)
      return verify(ex.model, at: ex.point, analytic: ex.gradients.flat).allSatisfy { $0.passed }
    }
    #expect(passes(Mistakes.rnn))
    #expect(passes(Mistakes.lstm))
    #expect(passes(Mistakes.gru))
    #expect(passes(Mistakes.gruAfter))
    #expect(passes(ConcatRNNCell()))
  }
}
