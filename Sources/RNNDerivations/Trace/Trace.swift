import Foundation

/// A value shown in a trace step.
public enum Value: Sendable {
  case scalar(Double)
  case vector([Double])
  case matrix(Matrix<Double>)
}

/// A named value: `ŷ = [0.09, 0.24, 0.67]`.
public struct NamedValue: Sendable {
  /// The value's name as the trace prints it: `ŷ`, `∂E/∂W`.
  public var name: String
  /// The number, vector or matrix.
  public var value: Value
  /// A value under a name.
  public init(_ name: String, _ value: Value) {
    self.name = name
    self.value = value
  }
  /// A scalar under a name.
  public init(_ name: String, _ x: Double) { self.init(name, .scalar(x)) }
  /// A vector under a name.
  public init(_ name: String, _ v: [Double]) { self.init(name, .vector(v)) }
  /// A matrix under a name.
  public init(_ name: String, _ m: Matrix<Double>) { self.init(name, .matrix(m)) }
}

/// One step of a derivation: an equation, the numbers it produces, and what was checked.
public struct TraceStep: Sendable {
  /// The step's heading: `Through tanh`.
  public var title: String
  /// The equation in plain text (Unicode), as a terminal shows it.
  public var equation: String
  /// The same equation in LaTeX, for Markdown.
  public var latex: String
  /// A sentence or two of explanation, if the step needs it.
  public var note: String
  /// The values the step prints, in order.
  public var values: [NamedValue]
  /// The checks made at this step, in order.
  public var checks: [GradientCheck]
  /// Checks shown to fail on purpose: counter-examples.
  ///
  /// For example, a clipped gradient held against the oracles of the unclipped loss. Rendered
  /// `FAIL (expected)` with the step's note
  /// saying why; never counted among `checks` (nor in `check`'s error figures). One that passes
  /// makes the trace fail: the demonstration no longer shows what it claims.
  public var expectedFailures: [GradientCheck]

  /// A step; `note`, `values`, `checks` and `expectedFailures` default to empty.
  public init(
    _ title: String, equation: String, latex: String, note: String = "",
    values: [NamedValue] = [], checks: [GradientCheck] = [],
    expectedFailures: [GradientCheck] = []
  ) {
    self.title = title
    self.equation = equation
    self.latex = latex
    self.note = note
    self.values = values
    self.checks = checks
    self.expectedFailures = expectedFailures
  }
}

/// A derivation run: ordered steps, each with its equation, values and checks.
public struct Trace: Sendable {
  /// The derivation's id in the catalogue: `rnn-step`.
  public var id: String
  /// The derivation's title, one line.
  public var title: String
  /// The source notes, by number: `000, 001`.
  public var source: String
  /// The seed, sizes, `T` and scale the trace was run at.
  public var config: Config
  /// Whether `config.steps` (T) matters: false for a single step.
  public var usesSteps: Bool
  /// The steps of the derivation, in order.
  public var steps: [TraceStep]

  /// `seed 0 · D=3, H=5, K=4 · T=3`, T only where it is used, the scale only when it is not 1.
  public var header: String {
    "seed \(config.seed) · \(config.dims)" + (usesSteps ? " · T=\(config.steps)" : "")
      + (config.scale == 1 ? "" : " · scale \(config.scale)")
  }

  /// Every step's checks, in step order.
  public var checks: [GradientCheck] { steps.flatMap(\.checks) }
  /// Every step's expected failures, in step order.
  public var expectedFailures: [GradientCheck] { steps.flatMap(\.expectedFailures) }
  /// Every check passed, and every expected failure failed.
  public var passed: Bool {
    checks.allSatisfy(\.passed) && !expectedFailures.contains(where: \.passed)
  }
}

/// A number for a table: fixed with 5 decimals when that is readable, scientific otherwise.
public func format(_ x: Double) -> String {
  if x == 0 { return "0" }
  if !x.isFinite { return "\(x)" }
  let a = abs(x)
  return a >= 1e-3 && a < 1e5 ? printed(x, "%.5f") : printed(x, "%.3e")
}

/// `x` as the C library's `printf` writes it with `spec` (`%.5f`, `%.3e`).
///
/// The digits `String(format:)` gives, written into a buffer on the stack: `String(format:)`
/// builds an `NSString` on every call, most of `grad --format text`'s time at the caps.
func printed(_ x: Double, _ spec: String) -> String {
  withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
    let count = withVaList([x]) { vsnprintf(buffer.baseAddress, buffer.count, spec, $0) }
    return String(decoding: UnsafeRawBufferPointer(buffer).prefix(Int(count)), as: UTF8.self)
  }
}

/// `s` followed by spaces up to `width` characters (at least one): a table column.
public func pad(_ s: String, _ width: Int) -> String {
  s + String(repeating: " ", count: max(1, width - s.count))
}

/// A relative error or tolerance: `3.1e-16`.
public func sci(_ x: Double) -> String { x.isFinite ? printed(x, "%.1e") : "\(x)" }
