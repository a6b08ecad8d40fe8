@testable import RNNDerivations
import Testing

/// `show --brief`: one line per checked quantity, and a failure still in full.
@Suite struct BriefTests {
  @Test func aFailureIsShownInFullAndAPassInOneLine() throws {
    let mistake = try #require(Mistakes.mistake("rnn-dW-sign"))
    let checks = mistake.checks()
    let step = TraceStep("Backward", equation: "∂E/∂W", latex: "", checks: checks)
    let trace = Trace(
      id: "test", title: "a wrong ∂E/∂W", source: "none", config: Mistakes.config,
      usesSteps: true, steps: [step])
    let text = TextRenderer(brief: true).render(trace)
    // ∂E/∂W fails (its sign is flipped): its line says FAIL and each failing check follows.
    #expect(text.contains("FAIL ∂E/∂W: dual"))
    let failing = checks.filter { !$0.passed }
    #expect(!failing.isEmpty)
    for check in failing { #expect(text.contains(check.summary.prefix(40))) }
    // ∂E/∂U is right: one line, no summary.
    #expect(text.contains("PASS ∂E/∂U: dual"))
    #expect(!text.contains("∂E/∂U vs dual"))
    #expect(!text.contains("relative error per entry"))
  }

  /// `RNN_EXPLAIN_TRACES` picks what `swift test` prints of each trace.
  @Test func theTestTraceSetting() throws {
    let trace = try #require(Catalog.derivation("softmax")).trace(Config())
    #expect(traceOutput(trace, setting: nil) == TextRenderer().render(trace))
    #expect(traceOutput(trace, setting: "full") == TextRenderer().render(trace))
    #expect(traceOutput(trace, setting: "brief") == TextRenderer(brief: true).render(trace))
    #expect(traceOutput(trace, setting: "off") == nil)
    #expect(
      (traceOutput(trace, setting: "brief")?.count ?? 0)
        < (traceOutput(trace, setting: nil)?.count ?? 0))
  }
}
