import Foundation

/// A forward-mode dual number `value + derivative·ε` with `ε² = 0`.
///
/// Running a forward pass on `Dual` with one input's `derivative` set to 1 yields, exactly
/// up to rounding, the derivative of every output with respect to that input. The rules for
/// `tanh` and `sigmoid` below are written as `sech²` and `e^{−|x|}/(1 + e^{−|x|})²` on
/// purpose: they must not be the `1 − tanh²` and `σ(1 − σ)` forms the hand-derived
/// backward passes use, or the oracle would only be checking a formula against itself.
public typealias Dual = DualNumber<Double>

/// Twenty-four tangents carried by one value (`DualOracle.jacobians` seeds twenty-four entries
/// a pass): each lane is, to the bit, the `derivative` of a `Dual` pass seeded on that lane's
/// entry, since the value is the same and every rule acts on each lane as on one `Double`.
public typealias DualLanes = DualNumber<Lanes>

/// What a dual number's derivative can be: one `Double`, or several side by side.
public protocol DualTangent: Sendable, Equatable {
  /// No derivative.
  static var zero: Self { get }
  static func + (a: Self, b: Self) -> Self
  static func - (a: Self, b: Self) -> Self
  static prefix func - (a: Self) -> Self
  static func * (a: Self, b: Double) -> Self
  static func * (a: Double, b: Self) -> Self
  static func / (a: Self, b: Double) -> Self
}

extension Double: DualTangent {}

extension Lanes: DualTangent {
  /// 0 in every lane.
  @inlinable public static var zero: Lanes { 0 }
  /// Every lane times `b`.
  @inlinable @inline(__always) public static func * (a: Lanes, b: Double) -> Lanes {
    Lanes(a.parts.0 * b, a.parts.1 * b, a.parts.2 * b)
  }
  /// `a` times every lane.
  @inlinable @inline(__always) public static func * (a: Double, b: Lanes) -> Lanes {
    Lanes(a * b.parts.0, a * b.parts.1, a * b.parts.2)
  }
  /// Every lane over `b`.
  @inlinable @inline(__always) public static func / (a: Lanes, b: Double) -> Lanes {
    Lanes(a.parts.0 / b, a.parts.1 / b, a.parts.2 / b)
  }
  /// Lane by lane.
  @inlinable public static func == (a: Lanes, b: Lanes) -> Bool {
    a.parts.0 == b.parts.0 && a.parts.1 == b.parts.1 && a.parts.2 == b.parts.2
  }
}

/// `value + derivative·ε`, the derivative a `DualTangent`: `Dual` and `DualLanes`.
public struct DualNumber<Tangent: DualTangent>: Scalar, Equatable {
  /// The primal value.
  public var value: Double
  /// The tangent: the derivative with respect to the seeded input.
  public var derivative: Tangent

  // Prespecialised for both tangents (`Dual`, `DualLanes`), in a debug build: it compiles file
  // by file, and a call from another file would run the generic code, each `+` and `*` through a
  // witness table (notes/Performance.md, twentieth round). A release build specialises each call.
  /// `value + derivative·ε`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable public init(_ value: Double, derivative: Tangent) {
    self.value = value
    self.derivative = derivative
  }
  /// A constant: derivative 0.
  @inlinable public init(_ value: Double) { self.init(value, derivative: .zero) }
  /// A constant from an integer literal.
  @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
  /// A constant from a floating-point literal.
  @inlinable public init(floatLiteral value: Double) { self.init(value) }
  /// The value, without its derivative.
  @inlinable public var primal: Double { value }

  /// `(a + b)' = a' + b'`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable @inline(__always) public static func + (a: DualNumber, b: DualNumber) -> DualNumber {
    DualNumber(a.value + b.value, derivative: a.derivative + b.derivative)
  }
  /// `(a − b)' = a' − b'`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable @inline(__always) public static func - (a: DualNumber, b: DualNumber) -> DualNumber {
    DualNumber(a.value - b.value, derivative: a.derivative - b.derivative)
  }
  /// The product rule: `(ab)' = a'b + ab'`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable @inline(__always) public static func * (a: DualNumber, b: DualNumber) -> DualNumber {
    DualNumber(a.value * b.value, derivative: a.derivative * b.value + a.value * b.derivative)
  }
  /// The quotient rule: `(a/b)' = (a'b − ab')/b²`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable @inline(__always) public static func / (a: DualNumber, b: DualNumber) -> DualNumber {
    DualNumber(
      a.value / b.value,
      derivative: (a.derivative * b.value - a.value * b.derivative) / (b.value * b.value))
  }
  /// `(−x)' = −x'`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable @inline(__always) public static prefix func - (x: DualNumber) -> DualNumber {
    DualNumber(-x.value, derivative: -x.derivative)
  }
  /// `(eˣ)' = eˣ x'`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable public static func exp(_ x: DualNumber) -> DualNumber {
    let e = Double.exp(x.value)
    return DualNumber(e, derivative: e * x.derivative)
  }
  /// `(log x)' = x'/x`.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable public static func log(_ x: DualNumber) -> DualNumber {
    DualNumber(Foundation.log(x.value), derivative: x.derivative / x.value)
  }
  /// `(tanh x)' = sech²(x) x'`, not `1 − tanh²`: an independent form.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable public static func tanh(_ x: DualNumber) -> DualNumber {
    let sech = 1 / Foundation.cosh(x.value)
    return DualNumber(Double.tanh(x.value), derivative: sech * sech * x.derivative)
  }
  /// `σ'(x) = e^{−|x|}/(1 + e^{−|x|})² x'`, not `σ(1 − σ)`: an independent form.
  #if DEBUG
    @_specialize(where Tangent == Double)
    @_specialize(where Tangent == Lanes)
  #endif
  @inlinable public static func sigmoid(_ x: DualNumber) -> DualNumber {
    let e = Foundation.exp(-Swift.abs(x.value))
    return DualNumber(Double.sigmoid(x.value), derivative: e / ((1 + e) * (1 + e)) * x.derivative)
  }
}
