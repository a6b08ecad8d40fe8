import Foundation

/// Twenty-four values computed side by side: one forward pass that is twenty-four evaluations.
///
/// The finite-difference oracle evaluates the same function at six points that differ in one
/// entry (`x ± h`, `x ± 2h`, `x ± 4h`), and a pass holds the stencils of four entries. At the
/// small sizes it checks, an evaluation is mostly the walk's bookkeeping (arrays made and
/// freed, names looked up), the same for every point; run on `Lanes`, the twenty-four points
/// share it. Lane `i` is the evaluation at point `i`, to the bit: `+ − × ÷` act lane by lane
/// as on `Double` (IEEE 754 rounds each lane on its own), `exp`, `tanh` and `σ` run `Double`'s
/// kernels eight lanes at a time (the same bits), `log` calls `Double`'s on each lane, and the
/// softmax's shift is each lane's own largest value (`largestPrimal`). A forward function that
/// decides anything else from `primal` (lane 0's value) must not run on it:
/// `ForwardFunction.evaluatesLanesApart`. The echo training runs twenty-four rows of a batch
/// the same way, forward and back (`RecurrentCell.sideBySide`).
public struct Lanes: Scalar {
  /// The lanes eight at a time: the compiler keeps a `SIMD8`'s arithmetic in vector
  /// instructions, where it ran a `SIMD32`'s one lane after another (notes/Performance.md).
  public var parts: (SIMD8<Double>, SIMD8<Double>, SIMD8<Double>)
  /// How many evaluations one pass holds.
  public static var count: Int { 3 * SIMD8<Double>.scalarCount }

  /// The lanes from their three parts.
  @inlinable @inline(__always) init(_ a: SIMD8<Double>, _ b: SIMD8<Double>, _ c: SIMD8<Double>) {
    parts = (a, b, c)
  }
  /// The values, lane by lane (`count` of them).
  @inlinable public init(lanes values: [Double]) {
    precondition(values.count == Self.count, "one value per lane")
    self.init { values[$0] }
  }
  /// Lane `i`'s value `value(i)`, for every lane.
  @inlinable public init(eachLane value: (_ i: Int) -> Double) {
    self.init(0)
    for i in 0..<Self.count { self[i] = value(i) }
  }
  /// A constant: the same value in every lane.
  @inlinable public init(_ value: Double) {
    let v = SIMD8(repeating: value)
    parts = (v, v, v)
  }
  /// A constant from an integer literal.
  @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
  /// A constant from a floating-point literal.
  @inlinable public init(floatLiteral value: Double) { self.init(value) }
  /// Lane 0's value: no decision of a lane-by-lane evaluation may rest on it.
  @inlinable public var primal: Double { parts.0[0] }

  /// Lane `i`'s value.
  @inlinable public subscript(i: Int) -> Double {
    get {
      switch i / 8 {
      case 0: parts.0[i % 8]
      case 1: parts.1[i % 8]
      default: parts.2[i % 8]
      }
    }
    set {
      switch i / 8 {
      case 0: parts.0[i % 8] = newValue
      case 1: parts.1[i % 8] = newValue
      default: parts.2[i % 8] = newValue
      }
    }
  }

  /// `sums[i] += values[i][lane]` for every entry `i` and every lane of `lanes`, lane after
  /// lane: lanes of an array of `Lanes` added into a `Double` array (rows summed in row order:
  /// `EchoStep`).
  ///
  /// Entry by entry, each entry's lanes in turn: a `Lanes` is its `count` doubles one after
  /// another (`parts` in order), read where they lie. Each sum waits on its own last addition,
  /// and the next entries' sums, independent of it, run meanwhile. Lane by lane across the
  /// entries instead, the reads were twenty-four doubles apart: vector gathers, 5% of the echo
  /// training's time, on one core while the other waited (notes/Performance.md, sixteenth
  /// round).
  @inlinable static func add(lanes: Range<Int>, of values: [Lanes], to sums: inout [Double]) {
    precondition(MemoryLayout<Lanes>.stride == count * MemoryLayout<Double>.stride)
    precondition(
      values.count == sums.count && lanes.clamped(to: 0..<count) == lanes, "one sum per entry")
    values.withUnsafeBytes { raw in
      sums.withUnsafeMutableBufferPointer { sums in
        for i in sums.indices {
          let entry = i &* MemoryLayout<Lanes>.stride
          var sum = sums[i]
          for lane in lanes {
            sum += raw.load(
              fromByteOffset: entry &+ lane &* MemoryLayout<Double>.stride, as: Double.self)
          }
          sums[i] = sum
        }
      }
    }
  }

  // Always inlined: left to itself the optimizer kept `*` a call inside the matrix kernels.

  /// Lane by lane.
  @inlinable @inline(__always) public static func + (a: Lanes, b: Lanes) -> Lanes {
    Lanes(a.parts.0 + b.parts.0, a.parts.1 + b.parts.1, a.parts.2 + b.parts.2)
  }
  /// Lane by lane, in place: the running sums of `M x` add into their lanes where they lie (in a
  /// debug build `a + b` hands its 24 doubles back through memory; notes/Performance.md,
  /// twentieth round).
  @inlinable @inline(__always) public static func += (a: inout Lanes, b: Lanes) {
    a.parts.0 += b.parts.0
    a.parts.1 += b.parts.1
    a.parts.2 += b.parts.2
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func - (a: Lanes, b: Lanes) -> Lanes {
    Lanes(a.parts.0 - b.parts.0, a.parts.1 - b.parts.1, a.parts.2 - b.parts.2)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func * (a: Lanes, b: Lanes) -> Lanes {
    Lanes(a.parts.0 * b.parts.0, a.parts.1 * b.parts.1, a.parts.2 * b.parts.2)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static func / (a: Lanes, b: Lanes) -> Lanes {
    Lanes(a.parts.0 / b.parts.0, a.parts.1 / b.parts.1, a.parts.2 / b.parts.2)
  }
  /// Lane by lane.
  @inlinable @inline(__always) public static prefix func - (x: Lanes) -> Lanes {
    Lanes(-x.parts.0, -x.parts.1, -x.parts.2)
  }

  /// `f` of each lane, as `Double` computes it.
  ///
  /// Once, when every lane holds the same bits: much of a pass is the same in every lane (a
  /// stencil moves one entry; whatever does not depend on it is the unmoved evaluation's).
  @inlinable func map(_ f: (Double) -> Double) -> Lanes {
    let bits = SIMD8<UInt64>(repeating: parts.0[0].bitPattern)
    func same(_ v: SIMD8<Double>) -> Bool { unsafeBitCast(v, to: SIMD8<UInt64>.self) == bits }
    if same(parts.0) && same(parts.1) && same(parts.2) {
      return Lanes(f(parts.0[0]))
    }
    func map(_ v: SIMD8<Double>) -> SIMD8<Double> {
      var out = SIMD8<Double>()
      for i in 0..<8 { out[i] = f(v[i]) }
      return out
    }
    return Lanes(map(parts.0), map(parts.1), map(parts.2))
  }
  /// `Double.exp`'s kernel on every lane, eight at a time (the same bits).
  @inlinable public static func exp(_ x: Lanes) -> Lanes { x.eachPart(expLanes) }
  /// `Double.log` on each lane.
  @inlinable public static func log(_ x: Lanes) -> Lanes { x.map(Double.log) }
  /// `Double.tanh`'s kernel on every lane, eight at a time (the same bits).
  @inlinable public static func tanh(_ x: Lanes) -> Lanes { x.eachPart(tanhLanes) }
  /// `Double.sigmoid`'s kernel on every lane, eight at a time (its branch taken lane by lane).
  @inlinable public static func sigmoid(_ x: Lanes) -> Lanes { x.eachPart(sigmoidLanes) }

  /// `exp` of every entry, in place: `expLanes` on the array's eight-lane parts one after
  /// another (the same bits as entry by entry).
  @inlinable public static func exp(each values: consuming [Lanes]) -> [Lanes] {
    everyPart(of: values, expLanes)
  }
  /// `tanh` of every entry, in place, part after part (`exp(each:)`).
  @inlinable public static func tanh(each values: consuming [Lanes]) -> [Lanes] {
    everyPart(of: values, tanhLanes)
  }
  /// `σ` of every entry, in place, part after part (`exp(each:)`).
  @inlinable public static func sigmoid(each values: consuming [Lanes]) -> [Lanes] {
    everyPart(of: values, sigmoidLanes)
  }

  /// `kernel` on each of the three parts, in one loop (`inPlace`): the kernel inlined once,
  /// where three calls side by side left two of them calls, their lanes passed through memory.
  @inlinable @inline(__always) func eachPart(_ kernel: (SIMD8<Double>) -> SIMD8<Double>) -> Lanes {
    var x = self
    _ = withUnsafeMutableBytes(of: &x.parts) { inPlace(kernel, eightsOf: $0) }
    return x
  }

  /// `kernel` on every part of every entry of `values`, in one loop, in place (a new array
  /// only if `values` is shared): an entry is its three parts one after another.
  @inlinable static func everyPart(
    of values: consuming [Lanes], _ kernel: (SIMD8<Double>) -> SIMD8<Double>
  ) -> [Lanes] {
    var values = values
    _ = values.withUnsafeMutableBytes { inPlace(kernel, eightsOf: $0) }
    return values
  }

  /// Each lane's largest value, as `[Double].max()` finds it: the first, replaced by any
  /// later value greater than it.
  @inlinable public static func largestPrimal(_ values: [Lanes]) -> Lanes {
    guard var largest = values.first else { return 0 }
    @inline(__always) func keepLarger(_ largest: inout SIMD8<Double>, _ x: SIMD8<Double>) {
      largest.replace(with: x, where: largest .< x)  // lane i: x[i] if largest[i] < x[i]
    }
    for x in values.dropFirst() {
      keepLarger(&largest.parts.0, x.parts.0)
      keepLarger(&largest.parts.1, x.parts.1)
      keepLarger(&largest.parts.2, x.parts.2)
    }
    return largest
  }
}
