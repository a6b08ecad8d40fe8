import Foundation

/// Eight values computed side by side: one forward pass that is eight evaluations.
///
/// The finite-difference oracle evaluates the same function at six points that differ in one
/// entry (`x ± h`, `x ± 2h`, `x ± 4h`). At the small sizes it checks, an evaluation is mostly
/// the walk's bookkeeping (arrays made and freed, names looked up), the same for every point;
/// run on `Lanes`, the six share it. Lane `i` is the evaluation at point `i`, to the bit:
/// `+ − × ÷` act lane by lane as on `Double` (IEEE 754 rounds each lane on its own), `exp`,
/// `log`, `tanh` and `σ` call `Double`'s on each lane, and the softmax's shift is each lane's
/// own largest value (`largestPrimal`). A forward function that decides anything else from
/// `primal` (lane 0's value) must not run on it: `ForwardFunction.evaluatesLanesApart`.
public struct Lanes: Scalar {
  /// The eight values.
  public var v: SIMD8<Double>
  /// How many evaluations one pass holds.
  public static var count: Int { SIMD8<Double>.scalarCount }

  /// The eight values, lane by lane.
  @inlinable public init(lanes v: SIMD8<Double>) { self.v = v }
  /// A constant: the same value in every lane.
  @inlinable public init(_ value: Double) { v = SIMD8(repeating: value) }
  /// A constant from an integer literal.
  @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
  /// A constant from a floating-point literal.
  @inlinable public init(floatLiteral value: Double) { self.init(value) }
  /// Lane 0's value: no decision of a lane-by-lane evaluation may rest on it.
  @inlinable public var primal: Double { v[0] }

  // Always inlined: left to itself the optimizer kept `*` a call inside the matrix kernels.

  /// Lane by lane.
  @inlinable @inline(__always) public static func + (a: Lanes, b: Lanes) -> Lanes {
    Lanes(lanes: a.v + b.v)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func - (a: Lanes, b: Lanes) -> Lanes {
    Lanes(lanes: a.v - b.v)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func * (a: Lanes, b: Lanes) -> Lanes {
    Lanes(lanes: a.v * b.v)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func / (a: Lanes, b: Lanes) -> Lanes {
    Lanes(lanes: a.v / b.v)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static prefix func - (x: Lanes) -> Lanes {
    Lanes(lanes: -x.v)
  }

  /// `f` of each lane, as `Double` computes it.
  @inlinable func map(_ f: (Double) -> Double) -> Lanes {
    var out = SIMD8<Double>()
    for i in 0..<Self.count { out[i] = f(v[i]) }
    return Lanes(lanes: out)
  }
  /// `Double.exp` on each lane.
  @inlinable public static func exp(_ x: Lanes) -> Lanes { x.map(Double.exp) }
  /// `Double.log` on each lane.
  @inlinable public static func log(_ x: Lanes) -> Lanes { x.map(Double.log) }
  /// `Double.tanh` on each lane.
  @inlinable public static func tanh(_ x: Lanes) -> Lanes { x.map(Double.tanh) }
  /// `Double.sigmoid` on each lane (its branch taken lane by lane).
  @inlinable public static func sigmoid(_ x: Lanes) -> Lanes { x.map(Double.sigmoid) }

  /// Each lane's largest value, as `[Double].max()` finds it: the first, replaced by any
  /// later value greater than it.
  @inlinable public static func largestPrimal(_ values: [Lanes]) -> Lanes {
    guard var largest = values.first?.v else { return 0 }
    for x in values.dropFirst() {
      for i in 0..<count where largest[i] < x.v[i] { largest[i] = x.v[i] }
    }
    return Lanes(lanes: largest)
  }
}
