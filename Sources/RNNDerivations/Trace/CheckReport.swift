/// Renders the result of `check`: one row per derivation, then every failure located.
public enum CheckReport {
  static func sizes() -> String {
    Catalog.checkConfigs.map { "\($0.dims.D),\($0.dims.H),\($0.dims.K) T=\($0.steps)" }
      .joined(separator: " · ")
  }

  /// The worst error of `oracle` in a summary's `worstByOracle`, or `-`.
  static func worst(_ worst: [(oracle: String, error: Double, relative: Double)], _ oracle: Oracle)
    -> String
  {
    worst.first { $0.oracle == oracle.rawValue }.map { sci($0.error) } ?? "-"
  }

  /// The column header of each oracle: `DUAL MAX`, `TAPE MAX`, `FD MAX`.
  static func header(_ oracle: Oracle) -> String {
    switch oracle {
    case .dual: "DUAL MAX"
    case .tape: "TAPE MAX"
    case .finiteDifference: "FD MAX"
    }
  }

  /// `seed 7 D=3, H=5, K=4 T=3`, and the scale where it is not 1: how to reproduce a run.
  static func describe(_ c: Config) -> String {
    "seed \(c.seed) \(c.dims) T=\(c.steps)" + (c.scale == 1 ? "" : " scale \(c.scale)")
  }

  /// Per oracle, the largest and the 99th-percentile error (as a fraction of the largest
  /// entry) over every check: the distribution the tolerances are set against.
  public static func distribution(_ summaries: [CheckSummary])
    -> [(oracle: Oracle, checks: Int, max: Double, p99: Double)]
  {
    // One pass over the checks, each read in place by its index: a check is a dozen arrays to
    // copy.
    var byOracle = Oracle.allCases.map { _ in [Double]() }
    for summary in summaries {
      for run in summary.runs {
        for i in run.checks.indices {
          guard
            let k = Oracle.allCases.firstIndex(where: { $0.rawValue == run.checks[i].reference })
          else { continue }
          byOracle[k].append(run.checks[i].maxScaledError)
        }
      }
    }
    return zip(Oracle.allCases, byOracle).compactMap { oracle, errors in
      let errors = errors.sorted()
      guard let max = errors.last else { return nil }
      let p99 = errors[min(errors.count - 1, Int((Double(errors.count) * 0.99).rounded(.up)) - 1)]
      return (oracle, errors.count, max, p99)
    }
  }

  /// The report as text: a row per derivation, every failure located (at most 50), the
  /// verdict, the sizes and seeds or the sweep, each oracle's error distribution, a legend.
  public static func text(
    _ summaries: [CheckSummary], seeds: Int, sweep: (count: Int, seed: UInt64)? = nil,
    renderer: TextRenderer
  ) -> String {
    var out = pad("ID", 26) + pad("RUNS", 6) + pad("CHECKS", 8)
    for oracle in Oracle.allCases { out += pad(header(oracle), 10) }
    out += pad("SMALL", 8) + "RESULT\n"
    for s in summaries {
      out += pad(s.derivation.id, 26) + pad("\(s.runs.count)", 6) + pad("\(s.checkCount)", 8)
      let worst = s.worstByOracle
      for oracle in Oracle.allCases { out += pad(Self.worst(worst, oracle), 10) }
      out += pad("\(s.small)", 8) + renderer.verdict(s.passed) + "\n"
    }
    let failures = summaries.flatMap { s in
      s.failures.map { (s.derivation.id, $0.config, $0.check) }
    }
    for (id, config, check) in failures.prefix(50) {
      out += "FAIL \(id) \(describe(config)): \(check.summary)\n"
      if let sweep = check.diagnosis { out += "  \(SweepReport.line(check, sweep))\n" }
    }
    if failures.count > 50 { out += "… and \(failures.count - 50) more failures\n" }
    // PASS counts the derivations that passed; FAIL those that failed, then those that passed.
    let passed = summaries.filter(\.passed).count
    let count =
      failures.isEmpty
      ? "\(passed) of \(summaries.count) derivations"
      : "\(summaries.count - passed) of \(summaries.count) derivations failed (\(passed) passed)"
    out += "\n\(renderer.verdict(failures.isEmpty)): \(count) · "
    if let sweep {
      out += "\(sweep.count) random configs (sweep seed \(sweep.seed)): D, H, K, T in 1...64, "
      out += "parameter scale 1, 0.01 or 5\n"
    } else {
      out += "sizes D,H,K \(sizes()) · seeds 0..<\(seeds)\n"
    }
    for d in distribution(summaries) {
      out += "  \(pad(d.oracle.rawValue, 18))max \(sci(d.max)), 99th percentile \(sci(d.p99)) "
      out += "over \(d.checks) checks\n"
    }
    out += "MAX: the largest |analytic − oracle| as a fraction of the gradient's largest entry. "
    out += "An entry passes\nwithin tolerance × that largest entry + the oracle's own error + "
    out += "rounding × conditioning:\ndual numbers and the tape \(sci(Tolerances.exact)), "
    out += "finite differences \(sci(Tolerances.finiteDifference)). SMALL: entries whose own\n"
    out += "relative error is over the tolerance, far smaller than the largest, that the model "
    out += "accepts.\n"
    return out
  }

  /// The report as a Markdown table, a row per derivation, then the sizes and seeds.
  public static func markdown(_ summaries: [CheckSummary], seeds: Int) -> String {
    var out = "| id | source | runs | checks | dual max | tape max | finite-diff max | small "
    out += "| result |\n|---|---|---|---|---|---|---|---|---|\n"
    for s in summaries {
      out +=
        "| `\(s.derivation.id)` | \(s.derivation.source) | \(s.runs.count) | \(s.checkCount) "
      let worst = s.worstByOracle
      out += Oracle.allCases.map { "| \(Self.worst(worst, $0)) " }.joined() + "| \(s.small) | "
      out += (s.passed ? "PASS" : "**FAIL**") + " |\n"
    }
    out += "\nSizes D,H,K = \(sizes()); seeds 0..<\(seeds).\n"
    return out
  }

  /// The report as JSON.
  public static func json(
    _ summaries: [CheckSummary], seeds: Int, sweep: (count: Int, seed: UInt64)? = nil
  ) -> JSON {
    let scope: [(String, JSON)] =
      sweep.map {
        [
          (
            "sweep",
            .object([("configs", .number(Double($0.count))), ("seed", .number(Double($0.seed)))])
          )
        ]
      } ?? [("seeds", .number(Double(seeds)))]
    return .object(
      [("passed", .bool(summaries.allSatisfy(\.passed)))] + scope + [
        (
          "error_distribution",
          .object(
            distribution(summaries).map { d in
              (
                d.oracle.rawValue,
                .object([
                  ("checks", .number(Double(d.checks))), ("max", .number(d.max)),
                  ("p99", .number(d.p99)),
                ])
              )
            })
        ),
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
