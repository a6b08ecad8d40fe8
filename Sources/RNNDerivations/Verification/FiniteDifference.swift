import Foundation

/// Central finite differences on `Double`: the oracle that needs nothing but the forward pass.
///
/// The five-point central stencil `(−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h` has
/// truncation error `O(h⁴)`; with `h = ε^{1/5} · max(1, |x|)` it balances rounding
/// (`ε/h`) and reaches ~1e-12 absolute on unit-scale functions. The two-point stencil
/// (`O(h²)`, `h ~ ε^{1/3}`) reaches only ~1e-10, which is a relative error above 1e-7 on
/// entries as small as 1e-4 — common in a gradient through time.
public enum FiniteDifference {
  /// The step for an entry of size `x` of a variable whose natural scale is `scale`.
  @inlinable public static func step(at x: Double, scale: Double = 1) -> Double {
    pow(Double.ulpOfOne, 0.2) * max(scale, abs(x))
  }

  /// A derivative and the oracle's own error bar per entry.
  public struct Estimate {
    /// The estimated derivatives, one per entry.
    public var values: [Double]
    /// The oracle's own error bar per entry.
    ///
    /// The larger of the rounding noise of the stencil — `c` ulps of error in each function
    /// value, `c ε (|f₊₂| + 8|f₊₁| + 8|f₋₁| + |f₋₂| + 18) / 12h` with `c =
    /// Tolerances.functionRoundingUlps` ulps on the larger of each value and 1 — and
    /// `|D(h) − D(2h)|`, how much the estimate moves when the step doubles (about 15 times the
    /// truncation error of the `O(h⁴)` stencil). A loss computed as `log Σ e^z − z` carries the
    /// rounding of its O(1) terms even when it is tiny, and a sum over T steps that of each
    /// term: hence the floor of 1 and the several ulps.
    public var noise: [Double]

    /// The largest error bar: what choosing among steps minimises.
    var largestNoise: Double { noise.reduce(0) { max($0, $1) } }

    /// The estimate of entries `range` alone.
    func entries(_ range: Range<Int>) -> Estimate {
      Estimate(values: Array(values[range]), noise: Array(noise[range]))
    }
  }

  /// The five-point central derivatives of several functions `g_e` at 0, each starting from
  /// its own step `steps[e]`.
  ///
  /// The default step assumes `g` varies on the scale of its argument. Where it varies much
  /// faster — exploding gradients, with `∂E/∂x` of 10⁵ — a stencil of that width no longer
  /// sees a polynomial, and neither the estimate nor its error bar means anything. The step is
  /// kept when the estimate has settled: for every output, its change when the step doubles
  /// (Richardson's estimate of the truncation error) is within its rounding or within
  /// `Tolerances.finiteDifference` of the largest output. Otherwise the step shrinks tenfold
  /// until the estimate settles, up to `Tolerances.stepShrinks` times. If it never does, each
  /// estimate's error bar is widened to its disagreement with the estimate at a tenfold smaller
  /// step — two steps a decade apart agree by chance only where `g` is smooth — and the estimate
  /// with the smallest bar is kept (notes/Verification.md shows the curves).
  ///
  /// Every stencil a round needs (each unsettled function's next step) goes to `g` in one call,
  /// so that a pass on `Lanes` can hold the stencils of several entries side by side. `g` gets,
  /// per stencil, the function `e` and its step `h`, and gives one array: per stencil, one
  /// after another, the outputs at its six offsets, one offset's after another
  /// (`stencil(step:_:)`). The estimates come back the same way, in one pair of arrays:
  /// function `e`'s `m` outputs' derivatives are entries `e·m ..< (e+1)·m`.
  static func derivatives(
    steps: [Double], _ g: (_ stencils: [(function: Int, step: Double)]) -> [Double]
  ) -> Estimate {
    var all = Estimate(values: [], noise: [])  // sized at the first round, once m is known
    var settled = [Bool](repeating: false, count: steps.count)
    // Per function not settled yet, its estimates at every step tried (usually none).
    var unsettled: [Int: [Estimate]] = [:]
    var pending = Array(steps.indices)
    var m = 0  // outputs per function
    while !pending.isEmpty {
      // Try k: the step shrunk k times tenfold (k = 0: the starting step).
      let stencils = pending.map { e in
        (e, steps[e] * Foundation.pow(10, -Double(unsettled[e]?.count ?? 0)))
      }
      let outputs = g(stencils)
      let each = outputs.count / stencils.count  // six offsets' outputs a stencil
      if all.values.isEmpty {
        m = each / 6
        let zeros = [Double](repeating: 0, count: steps.count * m)
        all = Estimate(values: zeros, noise: zeros)
      }
      for (n, (e, h)) in stencils.enumerated() {
        let start = e * m
        if stencil(step: h, outputs[n * each..<(n + 1) * each], into: &all, from: start) {
          settled[e] = true
        } else {
          unsettled[e, default: []].append(all.entries(start..<start + m))
        }
      }
      pending.removeAll { e in
        settled[e] || unsettled[e, default: []].count > Tolerances.stepShrinks
      }
    }
    for (e, tried) in unsettled where !settled[e] {
      let widened = zip(tried, tried.dropFirst()).map { coarse, fine in
        let noise = coarse.noise.indices.map { i in
          max(coarse.noise[i], abs(coarse.values[i] - fine.values[i]))
        }
        return Estimate(values: coarse.values, noise: noise)
      }
      let kept = widened.min { !($0.largestNoise >= $1.largestNoise) } ?? tried[0]
      all.values.replaceSubrange(e * m..<(e + 1) * m, with: kept.values)
      all.noise.replaceSubrange(e * m..<(e + 1) * m, with: kept.noise)
    }
    return all
  }

  /// Entry `k` of variable `p` moving `along` times a stencil's offset (`Stencil`).
  typealias Move = (p: Int, k: Int, along: Double)

  /// Where a stencil with step `h` evaluates, as multiples of `h`: `4h, 2h, h, −h, −2h, −4h`
  /// (the last two and the first two give the estimate at `2h`, Richardson's check of the one
  /// at `h`).
  static let multiples: [Double] = [4, 2, 1, -1, -2, -4]

  /// The five-point central derivative with step `h` from the outputs at the six offsets
  /// `4h, 2h, h, −h, −2h, −4h`, for vector-valued functions, and whether it has settled (its
  /// change when the step doubles is within its rounding or the tolerance of its largest
  /// output).
  ///
  /// `at` holds the outputs one offset's after another: output `i` at offset `4h` is its first
  /// entry plus `i`, at `2h` `m` entries further, and so on, `m` outputs each. A slice of one
  /// array for every stencil of a round, where an array per offset made the bookkeeping of a
  /// single step's check more arrays than its evaluations did.
  static func stencil(step h: Double, _ at: ArraySlice<Double>) -> (
    estimate: Estimate, settled: Bool
  ) {
    let zeros = [Double](repeating: 0, count: at.count / 6)
    var estimate = Estimate(values: zeros, noise: zeros)
    let settled = stencil(step: h, at, into: &estimate, from: 0)
    return (estimate, settled)
  }

  /// The same written into `estimate`'s entries `start ..< start + m`; whether it has settled.
  ///
  /// A round's estimates go into one pair of arrays this way (`derivatives`).
  static func stencil(
    step h: Double, _ at: ArraySlice<Double>, into estimate: inout Estimate, from start: Int
  ) -> Bool {
    let m = at.count / 6
    // Where each offset's outputs start in `at`.
    let first = at.startIndex
    let (p4, p2, p1) = (first, first + m, first + 2 * m)
    let (m1, m2, m4) = (first + 3 * m, first + 4 * m, first + 5 * m)
    // Differences first: an output that does not depend on the entry gives exactly 0.
    func stencil(_ p2: Double, _ p1: Double, _ m1: Double, _ m2: Double, _ h: Double) -> Double {
      ((m2 - p2) + 8 * (p1 - m1)) / (12 * h)
    }
    for i in 0..<m {
      estimate.values[start + i] = stencil(at[p2 + i], at[p1 + i], at[m1 + i], at[m2 + i], h)
    }
    let values = estimate.values[start..<start + m]
    let largest = values.withUnsafeBufferPointer(largestMagnitude)
    var settled = true
    for i in 0..<m {
      let magnitude =
        abs(at[p2 + i]) + 8 * abs(at[p1 + i]) + 8 * abs(at[m1 + i]) + abs(at[m2 + i]) + 18
      let rounding = Tolerances.functionRoundingUlps * Double.ulpOfOne * magnitude / (12 * h)
      let coarse = stencil(at[p4 + i], at[p2 + i], at[m2 + i], at[m4 + i], 2 * h)
      let change = abs(values[start + i] - coarse)
      if !(change <= max(rounding, Tolerances.finiteDifference * largest)) { settled = false }
      estimate.noise[start + i] = max(rounding, change)
    }
    return settled
  }

  /// The derivative along a direction of the whole point, every variable `p` moving along
  /// `v[p]`; the step is the largest of the moving variables' own steps.
  public static func directional(
    _ f: some ForwardFunction, at point: [Variable], along v: [[Double]]
  ) -> Estimate {
    directionals(f, at: point, along: [v])[0]
  }

  /// `directional` along each of several directions, their stencils handed to `Stencil`
  /// together (side by side on `Lanes`).
  public static func directionals(
    _ f: some ForwardFunction, at point: [Variable], along directions: [[[Double]]]
  ) -> [Estimate] {
    // Per direction, the variables it moves, and their every entry moving along it.
    let moving = directions.map { v in point.indices.filter { v[$0].contains { $0 != 0 } } }
    let steps = moving.map { moving in
      moving.map { p in
        step(at: largestMagnitude(point[p].values), scale: point[p].stepScale)
      }.max() ?? step(at: 0)
    }
    let entries = zip(directions, moving).map { v, moving in
      moving.flatMap { p in v[p].indices.map { k in (p: p, k: k, along: v[p][k]) } }
    }
    var stencil = Stencil(f, at: Parameters(point))
    let all = derivatives(steps: steps) { stencils in
      stencil.outputs(stencils.map { d, h in (entries[d][...], h) })
    }
    let m = directions.isEmpty ? 0 : all.values.count / directions.count  // outputs of f
    return directions.indices.map { d in all.entries(d * m..<(d + 1) * m) }
  }

  /// The Jacobian `∂f/∂x_p`, one central difference per entry (outputs × entries, row-major).
  public static func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> Estimate
  {
    jacobians(f, at: point, wrt: [p])[0]
  }

  /// The Jacobians `∂f/∂x_p` for each variable `p` of `variables`, in that order: every
  /// entry's stencils handed to `Stencil` together, so a pass holds as many as fit.
  public static func jacobians(
    _ f: some ForwardFunction, at point: [Variable], wrt variables: [Int]
  ) -> [Estimate] {
    var stencil = Stencil(f, at: Parameters(point))
    // Each entry moved on its own: x + t · 1 = x + t.
    let entries = variables.flatMap { p in
      point[p].values.indices.map { k in (p: p, k: k, along: 1.0) }
    }
    let all = derivatives(
      steps: entries.map { step(at: point[$0.p].values[$0.k], scale: point[$0.p].stepScale) }
    ) { stencils in
      stencil.outputs(stencils.map { e, h in (entries[e...e], h) })  // entry e alone
    }
    let m = entries.isEmpty ? 0 : all.values.count / entries.count  // outputs of f
    // Entry e's m derivatives are `all`'s e·m ..< (e+1)·m: a variable's Jacobian has its
    // entries' as its columns, outputs × entries, row-major.
    var first = 0  // the variable's first entry among `entries`
    return variables.map { p in
      let n = point[p].values.count
      defer { first += n }
      func rows(_ columns: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(m * n)
        for i in 0..<m { for k in 0..<n { out.append(columns[(first + k) * m + i]) } }
        return out
      }
      return Estimate(values: rows(all.values), noise: rows(all.noise))
    }
  }
}

/// Where a stencil evaluates `f`: the point with some entries moved, entry `(p, k)` to
/// `x + t · along` for each offset `t` of the stencil's step (`FiniteDifference.multiples`).
///
/// When `f` evaluates lanes apart, the offsets run side by side on `Lanes`, as many stencils
/// a pass as fit (lane `j · 6 + i` is stencil `j`'s evaluation at its offset `i`, to the
/// bit); otherwise one evaluation each.
struct Stencil<F: ForwardFunction> {
  /// The function evaluated.
  let f: F
  /// The point.
  let base: Parameters<Double>
  /// The point on `Lanes`, every lane the same, when `f` evaluates lanes apart.
  var lanes: Parameters<Lanes>?
  /// The arrays each pass leaves for the next (`PassRooms`).
  let rooms = PassRooms()

  /// Stencils of `f` at `base`.
  init(_ f: F, at base: Parameters<Double>) {
    (self.f, self.base) = (f, base)
    if f.evaluatesLanesApart {
      lanes = Parameters(constants: base)
    }
  }

  /// The outputs of `f` for every stencil, in one array: stencil after stencil, each
  /// stencil's one offset's after another.
  ///
  /// A stencil moves each of its entries `(p, k)` to `x + t · along`, at each offset `t = c · h`
  /// of its step `h` (`c` in `FiniteDifference.multiples`). Its moves are a slice of an array
  /// the caller keeps, not an array of their own.
  mutating func outputs(_ stencils: [(moving: ArraySlice<FiniteDifference.Move>, step: Double)])
    -> [Double]
  {
    let multiples = FiniteDifference.multiples
    var out: [Double] = []
    guard var side = lanes else {
      for (moving, h) in stencils {
        for c in multiples {
          var moved = base
          for (p, k, along) in moving { moved.values[p][k] += c * h * along }
          out += f.evaluate(moved, keeping: rooms)
        }
      }
      return out
    }
    lanes = nil  // `side` the only reference while its entries move: moved in place
    let width = multiples.count  // lanes a stencil takes
    for first in stride(from: 0, to: stencils.count, by: Lanes.count / width) {
      let pass = stencils[first..<min(first + Lanes.count / width, stencils.count)]
      // Stencil j takes lanes j · width + i; every other lane of a moved entry keeps its value.
      for (j, (moving, h)) in pass.enumerated() {
        for (p, k, along) in moving {
          for (i, c) in multiples.enumerated() {
            side.values[p][k][j * width + i] = base.values[p][k] + c * h * along
          }
        }
      }
      let values = f.evaluate(side, keeping: rooms)
      for (moving, _) in pass {
        for (p, k, _) in moving { side.values[p][k] = Lanes(base.values[p][k]) }
      }
      out.reserveCapacity(stencils.count * width * values.count)  // every pass's, at the first
      // Stencil j's outputs, offset i's after offset i − 1's.
      for j in 0..<pass.count {
        for i in 0..<width { for value in values { out.append(value[j * width + i]) } }
      }
    }
    lanes = side
    return out
  }
}

extension Array {
  /// The elements in consecutive runs of `counts` (which add up to `count`): results worked out
  /// for several variables together, handed back variable by variable.
  func runs(of counts: [Int]) -> [ArraySlice<Element>] {
    precondition(counts.reduce(0, +) == count, "the runs cover the elements")
    var start = startIndex
    return counts.map { n in
      defer { start += n }
      return self[start..<start + n]
    }
  }
}
