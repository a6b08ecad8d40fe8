/// The number type every forward pass is written over, shaped like swift-numerics' `Real`.
///
/// A forward pass written once as `func f<T: Scalar>(...)` runs on `Double` (the value),
/// on `Dual` (value and exact directional derivative), and on anything else that conforms.
/// `primal` exposes the plain value for the few decisions a forward pass makes on values
/// (the max subtracted by a stable softmax), which carry no derivative.
public protocol Scalar: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, Sendable {
  /// A constant: no derivative.
  init(_ value: Double)
  /// The plain value, without derivative information.
  var primal: Double { get }
  static func + (lhs: Self, rhs: Self) -> Self
  static func - (lhs: Self, rhs: Self) -> Self
  static func * (lhs: Self, rhs: Self) -> Self
  static func / (lhs: Self, rhs: Self) -> Self
  static prefix func - (x: Self) -> Self
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  /// The logistic function `σ(x) = 1 / (1 + e^{−x})`.
  static func sigmoid(_ x: Self) -> Self
}

extension Scalar {
  /// `lhs = lhs + rhs`.
  @inlinable public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
  /// `lhs = lhs − rhs`.
  @inlinable public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }
  /// `lhs = lhs · rhs`.
  @inlinable public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }
}
