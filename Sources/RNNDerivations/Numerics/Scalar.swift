/// The number type every forward pass is written over, shaped like swift-numerics' `Real`.
///
/// A forward pass written once as `func f<T: Scalar>(...)` runs on `Double` (the value), on
/// `Dual` (value and exact directional derivative), on `Traced` (a tape), on `Lanes`
/// (twenty-four evaluations side by side), and on anything else that conforms. `primal` exposes
/// the plain value for the few decisions a forward pass makes on values, which carry no
/// derivative; the max a stable softmax subtracts is `largestPrimal`.
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
  /// `lhs = lhs + rhs`, in place.
  static func += (lhs: inout Self, rhs: Self)
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  /// The logistic function `σ(x) = 1 / (1 + e^{−x})`.
  static func sigmoid(_ x: Self) -> Self
  /// `exp` of every entry (what a softmax calls; `Double` runs it in vectors).
  static func exp(each values: consuming [Self]) -> [Self]
  /// `tanh` of every entry (what a layer's activation calls; `Double` runs it in vectors).
  static func tanh(each values: consuming [Self]) -> [Self]
  /// `σ` of every entry (what a gate calls; `Double` runs it in vectors).
  static func sigmoid(each values: consuming [Self]) -> [Self]
  /// The largest of `values`' plain values, as a constant (no derivative flows through it):
  /// the shift a stable softmax subtracts. Evaluations side by side (`Lanes`) take each
  /// evaluation's own.
  static func largestPrimal(_ values: [Self]) -> Self
}

extension Scalar {
  /// `Self(max primal)`: the largest plain value, a constant (0 for no values).
  @inlinable public static func largestPrimal(_ values: [Self]) -> Self {
    // `max()` of the primals in one pass, without an array of them: the first, then each later
    // one that is larger (as `max()` compares).
    guard var largest = values.first?.primal else { return 0 }
    for v in values.dropFirst() where largest < v.primal { largest = v.primal }
    return Self(largest)
  }
  /// `exp` of each entry in turn, in place.
  @inlinable public static func exp(each values: consuming [Self]) -> [Self] {
    applied(exp(_:), toEach: values)
  }
  /// `tanh` of each entry in turn, in place.
  @inlinable public static func tanh(each values: consuming [Self]) -> [Self] {
    applied(tanh(_:), toEach: values)
  }
  /// `σ` of each entry in turn, in place.
  @inlinable public static func sigmoid(each values: consuming [Self]) -> [Self] {
    applied(sigmoid(_:), toEach: values)
  }
  // Prespecialised for the oracles' `Scalar`s that use it, in a debug build: it compiles file by
  // file, and a call from another file would run the generic code, each `+` and `*` through a
  // witness table (notes/Performance.md, twentieth round). A release build specialises each call.
  /// By default `lhs = lhs + rhs` (`Lanes` adds in place, `Double` has its own).
  #if DEBUG
    @_specialize(where Self == Dual)
    @_specialize(where Self == DualLanes)
    @_specialize(where Self == Traced)
  #endif
  @inlinable @inline(__always) public static func += (lhs: inout Self, rhs: Self) {
    lhs = lhs + rhs
  }
  /// `lhs = lhs − rhs`.
  @inlinable @inline(__always) public static func -= (lhs: inout Self, rhs: Self) {
    lhs = lhs - rhs
  }
  /// `lhs = lhs · rhs`.
  @inlinable @inline(__always) public static func *= (lhs: inout Self, rhs: Self) {
    lhs = lhs * rhs
  }
}

/// `f` of each entry of `values` in turn, written over them (in place unless they are shared).
@inlinable func applied<T>(_ f: (T) -> T, toEach values: consuming [T]) -> [T] {
  var values = values
  for i in values.indices { values[i] = f(values[i]) }
  return values
}
