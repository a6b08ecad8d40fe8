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
    out += pad("FD MAX", 10) + pad("AT FLOOR", 10) + "RESULT\n"
    for s in summaries {
      out += pad(s.derivation.id, 26) + pad("\(s.runs.count)", 6) + pad("\(s.checks.count)", 8)
      out += pad(worst(s, .dual), 10) + pad(worst(s, .finiteDifference), 10)
      out += pad("\(s.atRoundingFloor)", 10) + renderer.verdict(s.passed) + "\n"
    }
    let failures = summaries.flatMap { s in
      s.failures.map { (s.derivation.id, $0.config, $0.check) }
    }
    for (id, config, check) in failures.prefix(50) {
      out += "FAIL \(id) seed \(config.seed) \(config.dims) T=\(config.steps): \(check.summary)\n"
    }
    if failures.count > 50 { out += "… and \(failures.count - 50) more failures\n" }
    // PASS counts the derivations that passed; FAIL those that failed, then those that passed.
    let passed = summaries.filter(\.passed).count
    let count =
      failures.isEmpty
      ? "\(passed) of \(summaries.count) derivations"
      : "\(summaries.count - passed) of \(summaries.count) derivations failed (\(passed) passed)"
    out += "\n\(renderer.verdict(failures.isEmpty)): \(count) · "
    out += "sizes D,H,K \(sizes()) · seeds 0..<\(seeds)\n"
    out += "Tolerances: dual \(sci(Tolerances.dual)), finite differences "
    out += "\(sci(Tolerances.finiteDifference)) relative. AT FLOOR counts entries over tolerance\n"
    out += "whose difference rounding explains (the oracle's noise, or "
    out += "\(Int(Tolerances.roundingUlps)) ulps of the gradient's largest entry).\n"
    return out
  }

  public static func markdown(_ summaries: [CheckSummary], seeds: Int) -> String {
    var out = "| id | source | runs | checks | dual max | finite-diff max | at floor | result |\n"
    out += "|---|---|---|---|---|---|---|---|\n"
    for s in summaries {
      out +=
        "| `\(s.derivation.id)` | \(s.derivation.source) | \(s.runs.count) | \(s.checks.count) "
      out += "| \(worst(s, .dual)) | \(worst(s, .finiteDifference)) | \(s.atRoundingFloor) | "
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
              ("at_rounding_floor", .number(Double(s.atRoundingFloor))),
              (
                "max_relative_error",
                .object(s.worstByOracle.map { ($0.oracle, .number($0.error)) })
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
