/// SplitMix64 (Steele, Lea, Flood 2014): the only source of random numbers in the project.
///
/// Own implementation, never the system generator, so the same seed gives byte-identical
/// traces on every machine and Swift version.
public struct SplitMix64: Sendable {
  /// The seed plus, wrapping, `0x9E3779B97F4A7C15` per draw so far.
  public private(set) var state: UInt64

  /// A generator started at `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in `[0, 1)`, from the top 53 bits.
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Uniform in `[-scale, scale)`.
  public mutating func uniform(_ scale: Double = 1) -> Double { (2 * unit() - 1) * scale }

  /// `count` values uniform in `[-scale, scale)`.
  public mutating func vector(_ count: Int, scale: Double = 1) -> [Double] {
    (0..<count).map { _ in uniform(scale) }
  }

  /// A `rows × cols` matrix of values uniform in `[-scale, scale)`.
  public mutating func matrix(_ rows: Int, _ cols: Int, scale: Double = 1) -> Matrix<Double> {
    Matrix(rows: rows, cols: cols, storage: vector(rows * cols, scale: scale))
  }

  /// A random sequence: `T` inputs of `D` numbers in `[-1, 1)` and `T` classes in `0..<K`.
  public mutating func sequence(_ dims: Dims, steps T: Int) -> (xs: [[Double]], targets: [Int]) {
    let xs = (0..<T).map { _ in vector(dims.D) }
    return (xs, (0..<T).map { _ in index(below: dims.K) })
  }

  /// A uniform integer in `0..<bound`.
  public mutating func index(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
