import Foundation

/// A forward-mode dual number `value + derivative·ε` with `ε² = 0`.
///
/// Running a forward pass on `Dual` with one input's `derivative` set to 1 yields, exactly
/// up to rounding, the derivative of every output with respect to that input. The rules for
/// `tanh` and `sigmoid` below are written as `sech²` and `e^{−|x|}/(1 + e^{−|x|})²` on
/// purpose: they must not be the `1 − tanh²` and `σ(1 − σ)` forms the hand-derived
/// backward passes use, or the oracle would only be checking a formula against itself.
public struct Dual: Scalar, Equatable {
  /// The primal value.
  public var value: Double
  /// The tangent: the derivative with respect to the seeded input.
  public var derivative: Double

  /// `value + derivative·ε`.
  @inlinable public init(_ value: Double, derivative: Double) {
    self.value = value
    self.derivative = derivative
  }
  /// A constant: derivative 0.
  @inlinable public init(_ value: Double) { self.init(value, derivative: 0) }
  /// A constant from an integer literal.
  @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
  /// A constant from a floating-point literal.
  @inlinable public init(floatLiteral value: Double) { self.init(value) }
  /// The value, without its derivative.
  @inlinable public var primal: Double { value }

  /// `(a + b)' = a' + b'`.
  @inlinable public static func + (a: Dual, b: Dual) -> Dual {
    Dual(a.value + b.value, derivative: a.derivative + b.derivative)
  }
  /// `(a − b)' = a' − b'`.
  @inlinable public static func - (a: Dual, b: Dual) -> Dual {
    Dual(a.value - b.value, derivative: a.derivative - b.derivative)
  }
  /// The product rule: `(ab)' = a'b + ab'`.
  @inlinable public static func * (a: Dual, b: Dual) -> Dual {
    Dual(a.value * b.value, derivative: a.derivative * b.value + a.value * b.derivative)
  }
  /// The quotient rule: `(a/b)' = (a'b − ab')/b²`.
  @inlinable public static func / (a: Dual, b: Dual) -> Dual {
    Dual(
      a.value / b.value,
      derivative: (a.derivative * b.value - a.value * b.derivative) / (b.value * b.value))
  }
  /// `(−x)' = −x'`.
  @inlinable public static prefix func - (x: Dual) -> Dual {
    Dual(-x.value, derivative: -x.derivative)
  }
  /// `(eˣ)' = eˣ x'`.
  @inlinable public static func exp(_ x: Dual) -> Dual {
    let e = Foundation.exp(x.value)
    return Dual(e, derivative: e * x.derivative)
  }
  /// `(log x)' = x'/x`.
  @inlinable public static func log(_ x: Dual) -> Dual {
    Dual(Foundation.log(x.value), derivative: x.derivative / x.value)
  }
  /// `(tanh x)' = sech²(x) x'`, not `1 − tanh²`: an independent form.
  @inlinable public static func tanh(_ x: Dual) -> Dual {
    let sech = 1 / Foundation.cosh(x.value)
    return Dual(Foundation.tanh(x.value), derivative: sech * sech * x.derivative)
  }
  /// `σ'(x) = e^{−|x|}/(1 + e^{−|x|})² x'`, not `σ(1 − σ)`: an independent form.
  @inlinable public static func sigmoid(_ x: Dual) -> Dual {
    let e = Foundation.exp(-Swift.abs(x.value))
    return Dual(Double.sigmoid(x.value), derivative: e / ((1 + e) * (1 + e)) * x.derivative)
  }
}
