/// Renders a trace as Markdown with math GitHub renders (`$$ … $$`).
public enum MarkdownRenderer {
  /// A trace as Markdown: a heading per step, its equation as `$$ … $$`, note, values, checks.
  public static func render(_ trace: Trace) -> String {
    var out = "# \(trace.id) — \(trace.title)\n\n"
    out += "Source \(trace.source) · \(trace.header)\n"
    for (n, step) in trace.steps.enumerated() {
      out += "\n## \(n + 1). \(step.title)\n\n$$\n\(step.latex)\n$$\n"
      if !step.note.isEmpty { out += "\n\(step.note)\n" }
      if !step.values.isEmpty {
        out += "\n```\n"
        for value in step.values { out += TextRenderer().render(value) }
        out += "```\n"
      }
      if !step.checks.isEmpty || !step.expectedFailures.isEmpty {
        out += "\n| check | oracle | max error / largest entry | max rel. error | worst entry "
        out += "| result |\n|---|---|---|---|---|---|\n"
        let rows =
          step.checks.map { ($0, $0.passed ? "PASS" : "**FAIL**") }
          + step.expectedFailures.map {
            ($0, $0.passed ? "**FAIL**: expected to fail, passed" : "FAIL (expected)")
          }
        for (check, result) in rows {
          let worst =
            check.projected ? "[\(check.worstIndex)]" : check.shape.index(check.worstIndex)
          out += "| `\(check.quantity)` | \(check.reference) | \(sci(check.maxScaledError)) "
          out += "| \(sci(check.maxRelativeError)) "
          out += "| \(worst) | \(result) |\n"
        }
      }
    }
    let checks = trace.checks
    out += "\n**\(trace.passed ? "PASS" : "FAIL")**: \(checks.filter(\.passed).count) of "
    out += "\(checks.count) checks passed"
    let expected = trace.expectedFailures
    if !expected.isEmpty {
      out +=
        "; \(expected.filter { !$0.passed }.count) of \(expected.count) expected failures failed"
    }
    out += ".\n"
    return out
  }
}
