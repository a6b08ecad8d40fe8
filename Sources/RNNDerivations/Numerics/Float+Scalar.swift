import Foundation

/// Single precision, for one purpose: `rnn-explain diagnose --precision float` runs the step
/// sweep's forward evaluations in `Float` to show why single-precision gradient checks fail.
/// Every oracle and every hand-derived pass stays in `Double`.
extension Float: Scalar {
  /// The value, widened to `Double`.
  @inlinable public var primal: Double { Double(self) }
  /// `Foundation.exp` in single precision.
  @inlinable public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
  /// `Foundation.log` in single precision.
  @inlinable public static func log(_ x: Float) -> Float { Foundation.log(x) }
  /// `Foundation.tanh` in single precision.
  @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
  /// Stable on both tails, as `Double.sigmoid`.
  @inlinable public static func sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
  }
}
