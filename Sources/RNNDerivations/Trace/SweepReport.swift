import Foundation

/// Renders a step sweep: the table of `rnn-explain diagnose` and the one line a failing
/// finite-difference check prints under its summary.
public enum SweepReport {
  /// `FD ∂E/∂W [3, 1]: truncation/rounding — error 2.0e-06 at h=1.0e-01 falls to …`.
  public static func line(_ check: GradientCheck, _ sweep: StepSweep) -> String {
    "FD \(check.quantity) \(sweep.entry): \(sweep.diagnosis.rawValue) — \(sweep.explanation)"
  }

  /// The sweep as a table, one step a row, then the diagnosis.
  public static func text(_ check: GradientCheck, _ sweep: StepSweep) -> String {
    var out = "\(check.quantity) at \(sweep.entry), forward passes in \(sweep.precision.rawValue)\n"
    out += "  analytic \(format(sweep.analytic)) · largest entry S \(format(sweep.scale)) · "
    out += "f \(format(sweep.value)) · conditioning \(sci(sweep.conditioning))\n\n"
    let columns = [
      "h", "central", "forward", "backward", "err central", "err forward", "err backward",
      "rounding",
    ]
    out += columns.map { pad($0, 12) }.joined().trimmingTrailingSpaces() + "\n"
    for row in sweep.rows {
      let cells =
        [sci(row.step)] + [row.central, row.forward, row.backward].map(estimate)
        + [row.central, row.forward, row.backward].map { sci(sweep.error($0)) } + [
          sci(row.rounding)
        ]
      out += cells.map { pad($0, 12) }.joined().trimmingTrailingSpaces() + "\n"
    }
    out += "\nerr: |estimate − analytic| / S. rounding: ε·|f|/h of the central difference, / S.\n"
    out += "diagnosis: \(sweep.diagnosis.rawValue) — \(sweep.explanation)\n"
    return out
  }

  /// The sweep as JSON, with the check it diagnoses.
  public static func json(_ check: GradientCheck, _ sweep: StepSweep) -> JSON {
    .object([
      ("quantity", .string(check.quantity)),
      ("parameter", .string(check.parameter)),
      ("entry", .string(sweep.entry)),
      ("precision", .string(sweep.precision.rawValue)),
      ("analytic", .number(sweep.analytic)),
      ("scale", .number(sweep.scale)),
      ("value", .number(sweep.value)),
      ("conditioning", .number(sweep.conditioning)),
      (
        "steps",
        .array(
          sweep.rows.map { row in
            .object([
              ("h", .number(row.step)), ("central", .number(row.central)),
              ("forward", .number(row.forward)), ("backward", .number(row.backward)),
              ("error_central", .number(sweep.error(row.central))),
              ("error_forward", .number(sweep.error(row.forward))),
              ("error_backward", .number(sweep.error(row.backward))),
              ("rounding", .number(row.rounding)),
            ])
          })
      ),
      ("diagnosis", .string(sweep.diagnosis.rawValue)),
      ("explanation", .string(sweep.explanation)),
    ])
  }

  /// A difference quotient in a fixed width: `-1.2345e+05`.
  static func estimate(_ x: Double) -> String {
    x.isFinite ? String(format: "%.4e", x) : "\(x)"
  }
}

extension String {
  /// The string without the spaces a padded last column leaves.
  func trimmingTrailingSpaces() -> String {
    String(self[..<(lastIndex { $0 != " " }.map(index(after:)) ?? startIndex)])
  }
}
