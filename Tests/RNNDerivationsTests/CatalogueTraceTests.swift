import Foundation
@testable import RNNDerivations
import Testing

/// The learning exercise of `swift test`: every derivation's trace at the defaults of
/// `rnn-explain show` (seed 0, D=3, H=5, K=4, T=3), checked and printed whole, in the
/// catalogue's order (`rnn-explain list`), then one summary line.
///
/// One test prints them all, one after another, so the order is the catalogue's however many
/// tests run in parallel around it; each trace is one write (`TestOutput`), so nothing the
/// other tests print can split it. `RNN_EXPLAIN_TRACES=brief|off` chooses what is printed of
/// each trace (`traceOutput`); the summary line is always printed.
@Suite struct CatalogueTraceTests {
  @Test func everyTraceInCatalogueOrder() {
    let setting = ProcessInfo.processInfo.environment["RNN_EXPLAIN_TRACES"]
    var failed: [String] = []
    for derivation in Catalog.all {
      let trace = derivation.trace(Config())
      expectPasses(trace)
      if !trace.passed { failed.append(derivation.id) }
      if let text = traceOutput(trace, setting: setting) { TestOutput.write(text) }
    }
    TestOutput.write(Self.summary(count: Catalog.all.count, failed: failed, setting: setting))
  }

  /// The last line: how many traces, and which failed.
  static func summary(count: Int, failed: [String], setting: String?) -> String {
    let shown =
      switch setting {
      case "off": "none printed (RNN_EXPLAIN_TRACES=off)"
      case "brief": "printed brief, in catalogue order"
      default: "printed in catalogue order"
      }
    let verdict =
      failed.isEmpty
      ? "all \(count) PASS"
      : "\(count - failed.count) of \(count) PASS, FAIL: "
        + failed.joined(separator: ", ")
    return "Traces at the defaults (seed 0, D=3, H=5, K=4, T=3): \(count), \(shown); \(verdict)."
  }

  @Test func outputIsCutAtLinesIntoSmallPieces() {
    let line = String(repeating: "∂", count: 700)  // 2100 bytes, and a newline
    let text =
      [line, "a", line, String(repeating: "x", count: 5000), "b"].joined(separator: "\n") + "\n"
    let pieces = TestOutput.pieces(text)
    #expect(pieces.joined() == text)
    #expect(pieces.allSatisfy { $0.hasSuffix("\n") })
    // 2101 + 2 fit in one piece; the next 2101 would not; the 5001-byte line stands alone.
    #expect(pieces.map(\.utf8.count) == [2103, 2101, 5001, 2])
  }

  @Test func summaryNamesWhatFailed() {
    #expect(
      Self.summary(count: 21, failed: [], setting: nil)
        == "Traces at the defaults (seed 0, D=3, H=5, K=4, T=3): 21, printed in catalogue order; "
        + "all 21 PASS.")
    #expect(
      Self.summary(count: 21, failed: ["softmax", "dropout"], setting: "off")
        == "Traces at the defaults (seed 0, D=3, H=5, K=4, T=3): 21, none printed "
        + "(RNN_EXPLAIN_TRACES=off); 19 of 21 PASS, FAIL: softmax, dropout.")
  }
}
