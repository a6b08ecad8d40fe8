import Foundation
import Testing

@testable import RNNDerivations

/// `Double`'s `exp`, `tanh` and `σ` are our own kernels, run eight lanes at a time
/// (Numerics/Elementary.swift): each within its bound of the true value, the same bits alone
/// as among a gate's entries, and right at the edges of their range.
@Suite struct ElementaryTests {
  /// Arguments across each function's range, evenly spaced, and the edges themselves.
  static func grid(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
    (0...count).map { lo + (hi - lo) * Double($0) / Double(count) }
  }

  #if arch(x86_64)
    /// The error of `got` in units in the last place of the true value `exact`, which 80-bit
    /// arithmetic gives to eleven bits more than a double holds (its own error is below 1/1000
    /// of a unit).
    static func unitsInLastPlace(_ got: Double, _ exact: Float80) -> Double {
      let unit = Double(exact) == 0 ? Double.leastNonzeroMagnitude : Double(exact).ulp
      return Double(abs(Float80(got) - exact) / Float80(unit))
    }

    /// Each function on a grid of arguments, its worst error against its bound.
    ///
    /// The bounds are the kernels' error analyses (Numerics/Elementary.swift): `eˣ` rounds
    /// three times in its last steps (r, r + r² q, 1 + …: at most 1 unit); `tanh` adds the
    /// division of `1 − 2/(e + 1)` (1.5); `σ` divides by `1 + e` after `exp` (2.5, as the
    /// C library's `exp` in the same form measures). A wrong coefficient or reduction costs
    /// thousands of units.
    @Test(arguments: [
      ("exp", -745.0, 709.78, 1.0), ("exp", -2.0, 2.0, 1.0), ("tanh", -20.0, 20.0, 1.5),
      ("tanh", -1.0, 1.0, 1.5), ("sigmoid", -745.0, 40.0, 2.5), ("sigmoid", -40.0, 40.0, 2.5),
    ])
    func eachIsWithinItsBoundOfTheTrueValue(name: String, lo: Double, hi: Double, bound: Double) {
      let (ours, library, exact): ((Double) -> Double, (Double) -> Double, (Float80) -> Float80) =
        switch name {
        case "exp": (Double.exp, Foundation.exp, { Foundation.exp($0) })
        case "tanh": (Double.tanh, Foundation.tanh, { Foundation.tanh($0) })
        default:
          (
            Double.sigmoid,
            {
              $0 >= 0
                ? 1 / (1 + Foundation.exp(-$0)) : Foundation.exp($0) / (1 + Foundation.exp($0))
            },
            { 1 / (1 + Foundation.exp(-$0)) }
          )
        }
      var (worst, at, libraryWorst, differ) = (0.0, 0.0, 0.0, 0)
      let grid = Self.grid(lo, hi, count: 100_000)
      for x in grid {
        let exactX = exact(Float80(x))
        let error = Self.unitsInLastPlace(ours(x), exactX)
        if error > worst { (worst, at) = (error, x) }
        libraryWorst = max(libraryWorst, Self.unitsInLastPlace(library(x), exactX))
        if ours(x) != library(x) { differ += 1 }
      }
      #expect(worst <= bound, "\(name) is \(worst) units off at \(at)")
      #expect(worst > 0, "\(name) measured against itself")
      func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
      TestOutput.write(
        "\(name) on [\(lo), \(hi)], \(grid.count) points: worst \(f(worst)) units in the last place"
          + " (bound \(f(bound, 1))); the C library's \(f(libraryWorst)); \(f(100 * Double(differ) / Double(grid.count), 1))%"
          + " of results differ from its in the last bit")
    }
  #endif

  /// A gate's entries eight at a time, and `Lanes`, give the bits of each entry on its own:
  /// every length up to three vectors, the last one padded.
  @Test func manyAtOnceAreOneByOne() {
    var rng = SplitMix64(seed: 7)
    let edges: [Double] = [0, -0.0, 0.625, -0.625, 20, 708, -708, 710, -746, .nan, .infinity]
    for n in 0...24 {
      let values = (0..<n).map { i in i < edges.count && n > 20 ? edges[i] : 60 * rng.unit() - 30 }
      for (each, one) in [
        (Double.exp(each:), Double.exp), (Double.tanh(each:), Double.tanh),
        (Double.sigmoid(each:), Double.sigmoid),
      ] as [(([Double]) -> [Double], (Double) -> Double)] {
        #expect(each(values).map(\.bitPattern) == values.map { one($0).bitPattern })
      }
    }
    let lanes = (0..<Lanes.count).map { _ in 60 * rng.unit() - 30 }
    for (onLanes, one) in [
      (Lanes.exp, Double.exp), (Lanes.tanh, Double.tanh), (Lanes.sigmoid, Double.sigmoid),
    ] as [((Lanes) -> Lanes, (Double) -> Double)] {
      let out = onLanes(Lanes(lanes: lanes))
      #expect((0..<Lanes.count).map { out[$0].bitPattern } == lanes.map { one($0).bitPattern })
    }
  }

  /// notes/Activations.md shows `tanhLanes` as it is: its listing is the source, line for line.
  @Test func theNotesShowTheTanhKernel() throws {
    let source = try repositoryFile("Sources/RNNDerivations/Numerics/Elementary.swift")
    let start = try #require(source.range(of: "@inlinable @inline(__always) public func tanhLanes"))
    let end = try #require(source.range(of: "\n}\n", range: start.upperBound..<source.endIndex))
    let kernel = source[start.lowerBound..<end.upperBound]
    #expect(try repositoryFile("notes/Activations.md").contains("```swift\n" + kernel + "```\n"))
  }

  /// Past the range where the result is 0, 1 or ∞, at zero of either sign, and at NaN.
  @Test func theEdgesAreTheLimits() {
    #expect(Double.exp(0) == 1 && Double.exp(-0.0) == 1)
    #expect(Double.exp(710) == .infinity && Double.exp(.infinity) == .infinity)
    #expect(Double.exp(-746) == 0 && Double.exp(-.infinity) == 0)
    #expect(Double.exp(-745) == Double.leastNonzeroMagnitude)  // e^−745 ≈ 4.9e−324
    #expect(Double.exp(.nan).isNaN && Double.tanh(.nan).isNaN && Double.sigmoid(.nan).isNaN)
    #expect(Double.tanh(0).bitPattern == 0 && Double.tanh(-0.0).bitPattern == (-0.0).bitPattern)
    #expect(Double.tanh(30) == 1 && Double.tanh(-.infinity) == -1)
    #expect(Double.sigmoid(0) == 0.5 && Double.sigmoid(.infinity) == 1)
    #expect(Double.sigmoid(-.infinity) == 0 && Double.sigmoid(-746) == 0)
  }
}
