/// A JSON value with ordered keys, so output is stable byte for byte.
///
/// Not `indirect`: arrays and objects already hold their elements in heap storage, so a number
/// is stored in place. (`indirect` boxed every value, each of the 850,000 numbers of a `grad`
/// input at the caps one allocation when read and one when written.)
public enum JSON: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  /// Equal when they serialize to the same text.
  public static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

  /// A vector as an array of numbers.
  public static func numbers(_ v: [Double]) -> JSON { .array(v.map(JSON.number)) }
  /// A matrix as an array of rows.
  public static func rows(_ m: Matrix<Double>) -> JSON {
    .array((0..<m.rows).map { numbers(m.row($0)) })
  }

  /// The value under `key` of an object.
  public subscript(key: String) -> JSON? {
    guard case .object(let pairs) = self else { return nil }
    return pairs.first { $0.0 == key }?.1
  }

  /// Compact (`indent` nil) or pretty-printed JSON.
  ///
  /// Numbers print with full round-trip
  /// precision (Swift's shortest representation); a non-finite number prints as `null`.
  public func serialized(indent: String? = "  ") -> String {
    var out = ""
    write(to: &out, indent: indent, depth: 0)
    return out
  }

  private func write(to out: inout String, indent: String?, depth: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let x): Self.write(x, to: &out)
    case .string(let s): Self.write(quoted: s, to: &out)
    case .array(let items):
      // Arrays of numbers stay on one line: a matrix prints one row per line.
      let flat = items.allSatisfy { if case .number = $0 { true } else { false } }
      let newline = flat ? "" : Self.newline(indent, depth + 1)
      let separator = flat && indent != nil ? ", " : "," + newline
      out += "["
      for (n, item) in items.enumerated() {
        out += n == 0 ? newline : separator
        item.write(to: &out, indent: indent, depth: depth + 1)
      }
      out += flat || items.isEmpty ? "]" : Self.newline(indent, depth) + "]"
    case .object(let pairs):
      let newline = Self.newline(indent, depth + 1)
      out += "{"
      for (n, (key, value)) in pairs.enumerated() {
        out += n == 0 ? newline : "," + newline
        Self.write(quoted: key, to: &out)
        out += indent == nil ? ":" : ": "
        value.write(to: &out, indent: indent, depth: depth + 1)
      }
      out += pairs.isEmpty ? "}" : Self.newline(indent, depth) + "}"
    }
  }

  /// A line break and `depth` indents; nothing when compact.
  ///
  /// Made once per array or object, not once per value (a number needs none).
  private static func newline(_ indent: String?, _ depth: Int) -> String {
    indent.map { "\n" + String(repeating: $0, count: depth) } ?? ""
  }

  /// `x` as JSON: an integer below 10¹⁵ without a fraction, `null` if not finite, otherwise
  /// Swift's shortest round-trip digits (`x.description`).
  ///
  /// `x.write(to:)` appends the same characters `description` holds (the standard library
  /// formats both with one routine) straight into `out`, without a new `String` per number;
  /// `serializesNumbersAsDescriptionDoes` compares the two on 300,000 doubles.
  private static func write(_ x: Double, to out: inout String) {
    if !x.isFinite {
      out += "null"
    } else if x == x.rounded(), abs(x) < 1e15 {
      out += String(Int64(x))
    } else {
      x.write(to: &out)
    }
  }

  /// `s` in quotes, escaped as JSON requires, appended to `out`.
  ///
  /// A string with nothing to escape (every key, nearly every label) is appended whole, not
  /// scalar by scalar: the same characters either way.
  private static func write(quoted s: String, to out: inout String) {
    out += "\""
    // What JSON escapes: `"`, `\` and the control characters.
    func plain(_ byte: UInt8) -> Bool {
      byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }
    if s.utf8.allSatisfy(plain) {
      out += s
    } else {
      for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
          out +=
            "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
            + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}

/// Renders traces and checks as JSON with stable keys.
public enum JSONRenderer {
  /// A trace value: a number, an array, or an array of rows.
  public static func json(_ value: Value) -> JSON {
    switch value {
    case .scalar(let x): .number(x)
    case .vector(let v): .numbers(v)
    case .matrix(let m): .rows(m)
    }
  }

  /// A check: its quantity, reference, errors and verdict, and a failed finite difference's
  /// diagnosis.
  public static func json(_ check: GradientCheck) -> JSON {
    let diagnosis: [(String, JSON)] =
      check.diagnosis.map { sweep in
        [
          ("diagnosis", .string(sweep.diagnosis.rawValue)),
          ("diagnosis_line", .string(SweepReport.line(check, sweep))),
        ]
      } ?? []
    return .object(
      [
        ("quantity", .string(check.quantity)),
        ("parameter", .string(check.parameter)),
        ("oracle", .string(check.reference)),
        ("shape", .string(check.shape.description)),
        ("projected", .bool(check.projected)),
        ("max_error", .number(check.maxScaledError)),
        ("scale", .number(check.scale)),
        ("max_relative_error", .number(check.maxRelativeError)),
        (
          "worst_index",
          .string(check.projected ? "[\(check.worstIndex)]" : check.shape.index(check.worstIndex))
        ),
        (
          "analytic_at_worst",
          .number(check.analytic.isEmpty ? 0 : check.analytic[check.worstIndex])
        ),
        ("oracle_at_worst", .number(check.expected.isEmpty ? 0 : check.expected[check.worstIndex])),
        ("over_tolerance", .number(Double(check.failures))),
        ("small", .number(Double(check.small))),
        ("tolerance", .number(check.tolerance)),
        ("passed", .bool(check.passed)),
      ] + diagnosis)
  }

  /// `seed`, `dims` and `time_steps` (null where a derivation is a single step), and `scale`
  /// where it is not 1.
  static func configuration(_ c: Config, usesSteps: Bool) -> [(String, JSON)] {
    let scale: [(String, JSON)] = c.scale == 1 ? [] : [("scale", .number(c.scale))]
    return [
      ("seed", .number(Double(c.seed))),
      (
        "dims",
        .object([
          ("D", .number(Double(c.dims.D))), ("H", .number(Double(c.dims.H))),
          ("K", .number(Double(c.dims.K))),
        ])
      ),
      ("time_steps", usesSteps ? .number(Double(c.steps)) : .null),
    ] + scale
  }

  /// A whole trace: id, title, source, config, verdict and steps.
  public static func json(_ trace: Trace) -> JSON {
    .object(
      [
        ("id", .string(trace.id)),
        ("title", .string(trace.title)),
        ("source", .string(trace.source)),
      ] + configuration(trace.config, usesSteps: trace.usesSteps) + [
        ("passed", .bool(trace.passed)),
        (
          "trace",
          .array(
            trace.steps.map { step in
              .object(
                [
                  ("title", .string(step.title)),
                  ("equation", .string(step.equation)),
                  ("latex", .string(step.latex)),
                  ("note", .string(step.note)),
                  ("values", .object(step.values.map { ($0.name, json($0.value)) })),
                  ("checks", .array(step.checks.map(json))),
                ]
                  + (step.expectedFailures.isEmpty
                    ? [] : [("expected_failures", .array(step.expectedFailures.map(json)))]))
            })
        ),
      ])
  }

  /// A trace as JSON text, indented by two spaces, ending in a newline.
  public static func render(_ trace: Trace) -> String { json(trace).serialized() + "\n" }
}
