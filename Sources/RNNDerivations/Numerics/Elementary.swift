import Foundation

// `exp`, `tanh` and `σ` on `Double`, written once for eight lanes: the walk runs them on a
// gate's entries eight at a time (`elementwise`), a single number in all eight lanes
// (`Double.exp`). Only `+ − × ÷` and exact operations on bits, never a fused multiply–add, so
// each lane is rounded as on its own: a number's `tanh` is the same bits alone as among a
// gate's entries (`ElementaryTests` proves it). Each stays within a bound of the true value
// (1, 1.5 and 2.5 units in the last place), checked against 80-bit arithmetic by the same
// tests, which print the worst error found next to the C library's on the same arguments.

/// Eight doubles side by side, the width every kernel here runs at.
public typealias Double8 = SIMD8<Double>

/// The bits of each lane, as integers.
@inlinable @inline(__always) func bits(_ x: Double8) -> SIMD8<Int64> {
  unsafeBitCast(x, to: SIMD8<Int64>.self)
}

/// `2ᵏ` in every lane, for integers `k` in −1022…1023, written as bits.
@inlinable @inline(__always) func twoTo(_ k: SIMD8<Int64>) -> Double8 {
  unsafeBitCast((k &+ 1023) &<< 52, to: Double8.self)
}

/// `eˣ` in every lane.
///
/// Cody and Waite's reduction: `x = k ln 2 + r`, `k` the integer nearest `x / ln 2`, so
/// `|r| ≤ ln 2 / 2`; `ln 2` is split into a head whose product with any `k` here is exact and a
/// tail (fdlibm's `ln2_hi`, `ln2_lo`). Then `eʳ` by its Taylor series to `r¹³/13!` (the next
/// term is below 2⁻⁵⁷ of the result), the pairs of terms combined by powers `r², r⁴, r⁸`
/// (Estrin's scheme: its longest chain of dependent operations less than half as long as
/// Horner's, whose twelve multiply-then-add steps each wait on the last), and summed as
/// `1 + (r + r² q(r))`, so that the last rounding is of a number below 1/2 added to 1.
/// `eˣ = 2ᵏ eʳ`, `2ᵏ` as two halves so that results below the normal range round once. `x`
/// is first held to −745.2…709.8, past which the result is 0 or ∞ either way; NaN stays NaN.
@inlinable @inline(__always) public func expLanes(_ x: Double8) -> Double8 {
  var x = x.replacing(with: 709.8, where: x .> 709.8)
  x.replace(with: -745.2, where: x .< -745.2)
  let shift: Double = 0x1.8p52  // x/ln 2 + 1.5·2⁵² rounds to the integer k in the low bits
  let kShifted = x * 0x1.71547652b82fep0 + shift
  let k = kShifted - shift
  let r = (x - k * 0x1.62e42fee00000p-1) - k * 0x1.a39ef35793c76p-33  // x − k ln 2
  let r2 = r * r
  let r4 = r2 * r2
  @inline(__always) func pair(_ n: Double, _ m: Double) -> Double8 { r * m + n }  // 1/n! + r/(n+1)!
  let q =  // 1/2! + r/3! + … + r¹¹/13!
    (pair(1 / 2, 1 / 6) + r2 * pair(1 / 24, 1 / 120))
    + r4 * (pair(1 / 720, 1 / 5040) + r2 * pair(1 / 40320, 1 / 362880))
    + r4 * r4 * (pair(1 / 3628800, 1 / 39916800) + r2 * pair(1 / 479001600, 1 / 6227020800))
  let kInt = bits(kShifted) &- bits(Double8(repeating: shift))  // k as an integer
  let half = kInt &>> 1
  return (1 + (r + r2 * q)) * twoTo(half) * twoTo(kInt &- half)
}

/// `tanh x` in every lane.
///
/// Below |x| = 0.625, `x + x³ P(x²)/Q(x²)`, the rational approximation of the Cephes library's
/// `tanh.c` (S. L. Moshier, netlib.org/cephes); above it, `1 − 2/(e^{2|x|} + 1)` with the sign
/// of `x` (|x| held to 20, past which the result rounds to 1 either way).
@inlinable @inline(__always) public func tanhLanes(_ x: Double8) -> Double8 {
  // tanh is odd: tanh |x| on its own, then the sign of x put back (−0 stays −0).
  let sign = bits(x) & SIMD8(repeating: Int64.min)
  let a = unsafeBitCast(bits(x) ^ sign, to: Double8.self)  // |x|
  let s = a * a
  let p =
    (s * -9.64399179425052238628E-1 - 9.92877231001918586564E1) * s
    - 1.61468768441708447952E3
  let q =
    ((s + 1.12811678491632931402E2) * s + 2.23548839060100448583E3) * s
    + 4.84406305325125486048E3
  let e = expLanes(2 * a.replacing(with: 20, where: a .> 20))
  // One division a lane, its operands chosen first: P/Q near 0, 2/(e^{2|x|} + 1) above.
  let nearZero = a .< 0.625
  let numerator = Double8(repeating: 2).replacing(with: p, where: nearZero)
  let quotient = numerator / (e + 1).replacing(with: q, where: nearZero)
  let tanhA = (1 - quotient).replacing(with: a + a * s * quotient, where: nearZero)
  return unsafeBitCast(bits(tanhA) | sign, to: Double8.self)
}

/// `σ(x) = 1/(1 + e^{−x})` in every lane, as `e^{x}/(1 + e^{x})` below 0: `exp` of `−|x|`
/// only, never of a large positive number.
///
/// One division a lane: its numerator, 1 or (below 0) `e^{x}`, is chosen first.
@inlinable @inline(__always) public func sigmoidLanes(_ x: Double8) -> Double8 {
  let e = expLanes(x.replacing(with: -x, where: x .> 0))  // e^{−|x|}
  return e.replacing(with: 1, where: x .>= 0) / (1 + e)
}

/// `kernel` on each whole run of eight doubles in `bytes`, one after another, in place.
///
/// The loop every kernel runs in (`elementwise`, `Lanes`), the kernel inlined once. Returns
/// how many doubles that covered; the last few, fewer than eight, are the caller's.
@inlinable @inline(__always) func inPlace(
  _ kernel: (Double8) -> Double8, eightsOf bytes: UnsafeMutableRawBufferPointer
) -> Int {
  let size = MemoryLayout<Double8>.size
  guard let base = bytes.baseAddress else { return 0 }
  var offset = 0
  while offset + size <= bytes.count {
    let eight = base + offset
    eight.storeBytes(of: kernel(eight.loadUnaligned(as: Double8.self)), as: Double8.self)
    offset += size
  }
  return offset / MemoryLayout<Double>.size
}

/// `kernel` on every entry of `values`, eight at a time, in place (a new array only if
/// `values` is shared); the last few padded with zeros.
@inlinable func elementwise(_ values: consuming [Double], _ kernel: (Double8) -> Double8)
  -> [Double]
{
  var values = values
  values.withUnsafeMutableBufferPointer { v in
    let i = inPlace(kernel, eightsOf: UnsafeMutableRawBufferPointer(v))
    if i < v.count {
      var last = Double8()
      for lane in 0..<v.count - i { last[lane] = v[i + lane] }
      let y = kernel(last)
      for lane in 0..<v.count - i { v[i + lane] = y[lane] }
    }
  }
  return values
}
