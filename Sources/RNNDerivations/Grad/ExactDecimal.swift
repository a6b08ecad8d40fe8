/// A JSON number read as `significand × 10^exponent`, and the double nearest it.
///
/// Why it exists: `grad` at the caps reads about 850,000 numbers, and `Double(String)` needs a
/// new string for each, then runs the C library's `strtod` (notes/Performance.md, "`grad` at
/// the caps"). Most numbers a program writes (Python's `repr`, Swift's `description`) have at
/// most 17 significant digits and a small power of ten; for those, `double` finds the nearest
/// double with integer arithmetic alone (no string, no table): the product or quotient is
/// formed exactly in 128 bits, then rounded once, to nearest, ties to even — what `strtod`
/// returns, since the correctly rounded double is unique. Every other number (more than 19
/// digits, a power of ten beyond ±27, so subnormals and overflow too) gets `nil`, and the
/// parser asks `Double(String)` as before (`JSONNumberTests` compares the two bit for bit).
struct ExactDecimal {
  /// The decimal digits as an integer, while there are at most 19 of them (from the first
  /// nonzero digit): 19 digits always fit in a `UInt64`.
  private(set) var significand: UInt64 = 0
  /// How many digits from the first nonzero one; above 19, `significand` is not kept.
  private(set) var significantDigits = 0
  /// The power of ten the significand is scaled by: minus one per digit after the point,
  /// plus the number's exponent.
  var exponent = 0

  /// Appends a digit (0…9); one after the decimal point also divides by ten.
  mutating func append(digit: UInt8, afterPoint: Bool) {
    if afterPoint { exponent -= 1 }
    guard significantDigits > 0 || digit != 0 else { return }
    significantDigits += 1
    if significantDigits <= 19 { significand = significand &* 10 &+ UInt64(digit) }
  }

  /// 5⁰ … 5²⁷: the powers of five below 2⁶³.
  private static let powersOfFive: [UInt64] = (0...27).map { k in
    (0..<k).reduce(1) { p, _ in p * 5 }
  }

  /// The double nearest `±significand × 10^exponent`, or nil where this shortcut does not
  /// apply (more than 19 digits, or the exponent outside −27…27).
  func double(negative: Bool) -> Double? {
    guard significantDigits <= 19 else { return nil }
    guard significand != 0 else { return negative ? -0.0 : 0.0 }
    guard (-27...27).contains(exponent) else { return nil }
    let w = significand
    let m: UInt64
    let e: Int
    if exponent >= 0 {
      // w · 10^k = (w · 5^k) · 2^k: the product is exact in 128 bits.
      let (high, low) = w.multipliedFullWidth(by: Self.powersOfFive[exponent])
      (m, e) = Self.rounded(high: high, low: low, inexact: false)
      return Self.make(m, e + exponent, negative)
    }
    // w · 10^−k = (w · 2^s / 5^k) · 2^−(s+k), with s chosen so that the quotient q has 63 or
    // 64 bits: 10 or 11 bits below the 53 kept, and the remainder says whether anything is
    // left over (q is then a little short of the exact value, never a tie).
    let k = -exponent
    let five = Self.powersOfFive[k]
    let s = 63 - (64 - w.leadingZeroBitCount) + (64 - five.leadingZeroBitCount)
    let high = s == 0 ? 0 : s >= 64 ? w << (s - 64) : w >> (64 - s)
    let low = s >= 64 ? 0 : w << s
    let (q, r) = five.dividingFullWidth((high, low))
    (m, e) = Self.rounded(high: 0, low: q, inexact: r != 0)
    return Self.make(m, e - s - k, negative)
  }

  /// `high · 2⁶⁴ + low` (plus a fraction below its last bit when `inexact`), rounded to 53
  /// bits, to nearest, ties to even: `m · 2^e` with `m ≤ 2⁵³`.
  private static func rounded(high: UInt64, low: UInt64, inexact: Bool) -> (m: UInt64, e: Int) {
    let bits = high != 0 ? 128 - high.leadingZeroBitCount : 64 - low.leadingZeroBitCount
    guard bits > 53 else { return (low, 0) }  // exact already (then `inexact` is false)
    let shift = bits - 53
    // The 53 bits kept, the first bit dropped (worth half the last one kept), and whether any
    // bit below that one is set.
    let m: UInt64
    let half: Bool
    var rest = inexact
    if shift < 64 {
      m = low >> shift | high << (64 - shift)
      half = low >> (shift - 1) & 1 == 1
      rest = rest || low & (1 << (shift - 1) - 1) != 0
    } else {
      m = high >> (shift - 64)
      half = shift == 64 ? low >> 63 == 1 : high >> (shift - 65) & 1 == 1
      rest = rest || (shift == 64 ? low & (1 << 63 - 1) != 0 : low != 0)
      rest = rest || (shift > 65 && high & (1 << (shift - 65) - 1) != 0)
    }
    let up = half && (rest || m & 1 == 1)
    return (up ? m + 1 : m, shift)
  }

  /// `±m · 2^e`, exact: `m ≤ 2⁵³` and the result is a normal double here (|x| ≥ 10⁻²⁷).
  private static func make(_ m: UInt64, _ e: Int, _ negative: Bool) -> Double {
    Double(sign: negative ? .minus : .plus, exponent: e, significand: Double(m))
  }
}
