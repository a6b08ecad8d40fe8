/// Renders the result of `check`: one row per derivation, then every failure located.
public enum CheckReport {
  static func sizes() -> String {
    Catalog.checkConfigs.map { "\($0.dims.D),\($0.dims.H),\($0.dims.K) T=\($0.steps)" }
      .joined(separator: " · ")
  }

  static func worst(_ s: CheckSummary, _ oracle: Oracle) -> String {
    s.worstByOracle.first { $0.oracle == oracle.rawValue }.map { sci($0.error) } ?? "-"
  }

  public static func text(_ summaries: [CheckSummary], seeds: Int, renderer: TextRenderer) -> String
  {
    var out = pad("ID", 26) + pad("RUNS", 6) + pad("CHECKS", 8) + pad("DUAL MAX", 10)
    out += pad("FD MAX", 10) + pad("SMALL", 10) + "RESULT\n"
    for s in summaries {
      out += pad(s.derivation.id, 26) + pad("\(s.runs.count)", 6) + pad("\(s.checks.count)", 8)
      out += pad(worst(s, .dual), 10) + pad(worst(s, .finiteDifference), 10)
      out += pad("\(s.small)", 10) + renderer.verdict(s.passed) + "\n"
    }
    let failures = summaries.flatMap { s in
      s.failures.map { (s.derivation.id, $0.config, $0.check) }
    }
    for (id, config, check) in failures.prefix(50) {
      out += "FAIL \(id) seed \(config.seed) \(config.dims) T=\(config.steps): \(check.summary)\n"
    }
    if failures.count > 50 { out += "… and \(failures.count - 50) more failures\n" }
    let passed = summaries.filter(\.passed).count
    out += "\n\(renderer.verdict(failures.isEmpty)): \(passed) of \(summaries.count) derivations · "
    out += "sizes D,H,K \(sizes()) · seeds 0..<\(seeds)\n"
    out += "MAX is the largest |analytic − oracle| as a fraction of the gradient's largest entry.\n"
    out += "An entry passes within tolerance × that entry + the oracle's own error: dual "
    out += "\(sci(Tolerances.dual)),\nfinite differences \(sci(Tolerances.finiteDifference)). "
    out += "SMALL counts entries whose own relative error is over the\ntolerance, "
    out += "far smaller than the largest, that the model accepts (notes/Verification.md).\n"
    return out
  }

  public static func markdown(_ summaries: [CheckSummary], seeds: Int) -> String {
    var out = "| id | source | runs | checks | dual max | finite-diff max | small | result |\n"
    out += "|---|---|---|---|---|---|---|---|\n"
    for s in summaries {
      out +=
        "| `\(s.derivation.id)` | \(s.derivation.source) | \(s.runs.count) | \(s.checks.count) "
      out += "| \(worst(s, .dual)) | \(worst(s, .finiteDifference)) | \(s.small) | "
      out += (s.passed ? "PASS" : "**FAIL**") + " |\n"
    }
    out += "\nSizes D,H,K = \(sizes()); seeds 0..<\(seeds).\n"
    return out
  }

  public static func json(_ summaries: [CheckSummary], seeds: Int) -> JSON {
    .object([
      ("passed", .bool(summaries.allSatisfy(\.passed))),
      ("seeds", .number(Double(seeds))),
      (
        "derivations",
        .array(
          summaries.map { s in
            .object([
              ("id", .string(s.derivation.id)),
              ("source", .string(s.derivation.source)),
              ("runs", .number(Double(s.runs.count))),
              ("passed", .bool(s.passed)),
              ("small", .number(Double(s.small))),
              ("max_error", .object(s.worstByOracle.map { ($0.oracle, .number($0.error)) })),
              (
                "max_relative_error",
                .object(s.worstByOracle.map { ($0.oracle, .number($0.relative)) })
              ),
              (
                "checks",
                .array(
                  s.runs.flatMap { run in
                    run.checks.map { check in
                      .object(
                        JSONRenderer.configuration(
                          run.config, usesSteps: s.derivation.usesSteps)
                          + [("check", JSONRenderer.json(check))])
                    }
                  })
              ),
            ])
          })
      ),
    ])
  }
}
