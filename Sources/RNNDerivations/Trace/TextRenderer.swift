/// Renders a trace as aligned plain text, within 100 columns at default sizes.
public struct TextRenderer {
  /// Colours PASS and FAIL (the caller decides: a terminal, and `NO_COLOR` unset).
  public var color: Bool
  /// Print the per-entry relative errors of each check (off in summaries).
  public var showErrors: Bool
  /// `show --brief`: each step's title, equation and note, then one line per checked quantity
  /// (every oracle's largest error); a failing check's summary and diagnosis in full.
  public var brief: Bool

  /// A renderer; by default no colour, with the per-entry errors, in full.
  public init(color: Bool = false, showErrors: Bool = true, brief: Bool = false) {
    self.color = color
    self.showErrors = showErrors
    self.brief = brief
  }

  /// PASS or FAIL (or the words given), green or red.
  public func verdict(_ passed: Bool, _ words: (pass: String, fail: String) = ("PASS", "FAIL"))
    -> String
  {
    let word = passed ? words.pass : words.fail
    guard color else { return word }
    return (passed ? "\u{1B}[32m" : "\u{1B}[31m") + word + "\u{1B}[0m"
  }

  /// A trace as text: its header, then each step's equation, note, values and checks,
  /// then the verdict.
  public func render(_ trace: Trace) -> String {
    var out = "\(trace.id) — \(trace.title)\n"
    out += "source \(trace.source) · \(trace.header)\n"
    for (n, step) in trace.steps.enumerated() {
      out += "\n\(n + 1). \(step.title)\n"
      for line in wrap(step.equation, width: 94) { out += "   \(line)\n" }
      for line in wrap(step.note, width: 94) { out += "   \(line)\n" }
      if brief {
        out += briefChecks(step.checks) + briefChecks(step.expectedFailures, expectedToFail: true)
        continue
      }
      for value in step.values { out += render(value) }
      for check in step.checks { out += render(check) }
      for check in step.expectedFailures { out += render(check, expectedToFail: true) }
    }
    let checks = trace.checks
    let failed = checks.filter { !$0.passed }.count
    out += "\n\(verdict(trace.passed)): \(checks.count - failed) of \(checks.count) checks passed"
    out += " (tolerance × largest entry: exact \(sci(Tolerances.exact)), "
    out += "finite differences \(sci(Tolerances.finiteDifference)))\n"
    if brief {
      out += "Each number: the largest |hand-derived − reference| as a fraction of the gradient's "
      out += "largest entry.\n"
    }
    let expected = trace.expectedFailures
    if !expected.isEmpty {
      out += "\(expected.filter { !$0.passed }.count) of \(expected.count) expected failures "
      out += "failed, as they must (FAIL (expected) above: shown, not counted)\n"
    }
    return out
  }

  /// One line per checked quantity, in the order first checked: its verdict and each
  /// reference's largest error as a fraction of the largest entry; failures then in full.
  func briefChecks(_ checks: [GradientCheck], expectedToFail: Bool = false) -> String {
    var quantities: [String] = []
    for check in checks where !quantities.contains(check.quantity) {
      quantities.append(check.quantity)
    }
    var out = ""
    for quantity in quantities {
      let mine = checks.filter { $0.quantity == quantity }
      let errors = mine.map { "\($0.reference) \(sci($0.maxScaledError))" }
      let label =
        !expectedToFail
        ? verdict(mine.allSatisfy(\.passed))
        : mine.contains(where: \.passed)
          ? verdict(false) + ": expected to fail, passed:" : "FAIL (expected)"
      let κ = mine.map(\.conditioning).max() ?? 1
      out += "   \(label) \(quantity): " + errors.joined(separator: " · ")
      out += (κ < 1e3 ? "" : " (conditioning \(sci(κ)))") + "\n"
      for check in mine where !check.passed && !expectedToFail {
        var full = self
        full.showErrors = false
        out += full.render(check)
      }
    }
    return out
  }

  func render(_ named: NamedValue) -> String {
    switch named.value {
    case .scalar(let x): return "   \(named.name) = \(format(x))\n"
    case .vector(let v):
      let line = "   \(named.name) = " + row(v, format)
      return line.count <= 100 ? line + "\n" : "   \(named.name) =\n     " + row(v, format) + "\n"
    case .matrix(let m):
      var out = "   \(named.name) (\(m.rows)×\(m.cols)) =\n"
      let width = m.storage.map { format($0).count }.max() ?? 0
      for i in 0..<m.rows { out += "     " + row(m.row(i), format, width: width) + "\n" }
      return out
    }
  }

  /// A check's verdict and summary, then (unless `showErrors` is off) its per-entry errors.
  ///
  /// A check `expectedToFail` reads `FAIL (expected)`, uncoloured, when it fails; when it
  /// passes, a red `FAIL: expected to fail, passed`.
  public func render(_ check: GradientCheck, expectedToFail: Bool = false) -> String {
    let label =
      !expectedToFail
      ? verdict(check.passed)
      : check.passed ? verdict(false) + ": expected to fail, passed:" : "FAIL (expected)"
    var out = ""
    for (k, line) in wrap(check.summary, width: 94 - label.count).enumerated() {
      out += k == 0 ? "   \(label) \(line)\n" : "        \(line)\n"
    }
    if let sweep = check.diagnosis {
      for line in wrap(SweepReport.line(check, sweep), width: 90) { out += "        \(line)\n" }
    }
    guard showErrors, check.analytic.count > 1 else { return out }
    let columns = check.shape.isVector || check.projected ? check.analytic.count : check.shape.cols
    out += "     relative error per entry:\n"
    let relativeErrors = check.relativeErrors  // worked out when read: once here
    for start in stride(from: 0, to: relativeErrors.count, by: max(columns, 1)) {
      let slice = relativeErrors[start..<min(start + columns, relativeErrors.count)]
      out += "       " + row(Array(slice), sci) + "\n"
    }
    return out
  }

  /// Right-aligns each entry to a common width: `[ 0.12345  -1.00000 ]`.
  func row(_ v: [Double], _ f: (Double) -> String, width: Int = 0) -> String {
    let cells = v.map(f)
    let width = max(width, cells.map(\.count).max() ?? 0)
    let padded = cells.map { String(repeating: " ", count: width - $0.count) + $0 }
    return "[ " + padded.joined(separator: "  ") + " ]"
  }
}

/// Splits prose into lines of at most `width` characters.
func wrap(_ text: String, width: Int) -> [String] {
  var lines: [String] = []
  var line = ""
  for word in text.split(separator: " ") {
    if !line.isEmpty && line.count + word.count + 1 > width {
      lines.append(line)
      line = ""
    }
    line += line.isEmpty ? String(word) : " " + word
  }
  if !line.isEmpty { lines.append(line) }
  return lines
}
