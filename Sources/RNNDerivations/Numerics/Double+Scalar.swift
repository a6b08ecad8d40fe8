import Foundation

extension Double: Scalar {
  /// The value itself.
  @inlinable public var primal: Double { self }
  /// `Foundation.exp`.
  @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  /// `Foundation.log`.
  @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
  /// `Foundation.tanh`.
  @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
  /// Stable on both tails: never computes `exp` of a large positive number.
  @inlinable public static func sigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
  }
}
