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
  /// per stencil, the function `e` and its six offsets, and gives per stencil the outputs at
  /// each offset, one offset's after another (`stencil(step:_:)`).
  static func derivatives(
    steps: [Double],
    _ g: (_ stencils: [(function: Int, offsets: [Double])]) -> [[Double]]
  ) -> [Estimate] {
    var tried = steps.map { _ in [(estimate: Estimate, settled: Bool)]() }
    var pending = Array(steps.indices)
    while !pending.isEmpty {
      // Try k: the step shrunk k times tenfold (k = 0: the starting step).
      let h = pending.map { e in steps[e] * Foundation.pow(10, -Double(tried[e].count)) }
      let outputs = g(zip(pending, h).map { ($0, offsets(step: $1)) })
      for ((e, h), at) in zip(zip(pending, h), outputs) { tried[e].append(stencil(step: h, at)) }
      pending.removeAll { e in
        tried[e].last.map(\.settled) ?? true || tried[e].count > Tolerances.stepShrinks
      }
    }
    return tried.map { tried in
      if let last = tried.last, last.settled { return last.estimate }
      let widened = zip(tried, tried.dropFirst()).map { coarse, fine in
        let e = coarse.estimate
        let noise = e.noise.indices.map { i in
          max(e.noise[i], abs(e.values[i] - fine.estimate.values[i]))
        }
        return Estimate(values: e.values, noise: noise)
      }
      return widened.min { !($0.largestNoise >= $1.largestNoise) } ?? tried[0].estimate
    }
  }

  /// Where a stencil with step `h` evaluates: `4h, 2h, h, −h, −2h, −4h` (the last two and
  /// the first two give the estimate at `2h`, Richardson's check of the one at `h`).
  static func offsets(step h: Double) -> [Double] { [4 * h, 2 * h, h, -h, -2 * h, -4 * h] }

  /// The five-point central derivative with step `h` from the outputs at the six offsets
  /// `4h, 2h, h, −h, −2h, −4h`, for vector-valued functions, and whether it has settled (its
  /// change when the step doubles is within its rounding or the tolerance of its largest
  /// output).
  ///
  /// `at` holds the outputs one offset's after another: output `i` at offset `4h` is `at[i]`,
  /// at `2h` `at[m + i]`, and so on, `m` outputs each. One array, where one per offset made the
  /// bookkeeping of a single step's check more arrays than its evaluations did.
  static func stencil(step h: Double, _ at: [Double]) -> (estimate: Estimate, settled: Bool) {
    let m = at.count / 6
    // Where each offset's outputs start in `at`.
    let (p4, p2, p1, m1, m2, m4) = (0, m, 2 * m, 3 * m, 4 * m, 5 * m)
    // Differences first: an output that does not depend on the entry gives exactly 0.
    func stencil(_ p2: Double, _ p1: Double, _ m1: Double, _ m2: Double, _ h: Double) -> Double {
      ((m2 - p2) + 8 * (p1 - m1)) / (12 * h)
    }
    let values = (0..<m).map { i in stencil(at[p2 + i], at[p1 + i], at[m1 + i], at[m2 + i], h) }
    let largest = largestMagnitude(values)
    var settled = true
    let noise = (0..<m).map { i in
      let magnitude =
        abs(at[p2 + i]) + 8 * abs(at[p1 + i]) + 8 * abs(at[m1 + i]) + abs(at[m2 + i]) + 18
      let rounding = Tolerances.functionRoundingUlps * Double.ulpOfOne * magnitude / (12 * h)
      let change = abs(values[i] - stencil(at[p4 + i], at[p2 + i], at[m2 + i], at[m4 + i], 2 * h))
      if !(change <= max(rounding, Tolerances.finiteDifference * largest)) { settled = false }
      return max(rounding, change)
    }
    return (Estimate(values: values, noise: noise), settled)
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
    return derivatives(steps: steps) { stencils in
      stencil.outputs(stencils.map { d, offsets in (entries[d], offsets) })
    }
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
    let entries = variables.flatMap { p in point[p].values.indices.map { k in (p: p, k: k) } }
    let columns = derivatives(
      steps: entries.map { step(at: point[$0.p].values[$0.k], scale: point[$0.p].stepScale) }
    ) { stencils in
      // x + t · 1 = x + t
      stencil.outputs(stencils.map { e, offsets in ([(entries[e].p, entries[e].k, 1)], offsets) })
    }
    return columns.runs(of: variables.map { point[$0].values.count }).map { own in
      Estimate(
        values: transposeColumns(own.map(\.values)), noise: transposeColumns(own.map(\.noise)))
    }
  }
}

/// Where a stencil evaluates `f`: the point with some entries moved, entry `(p, k)` to
/// `x + t · along` for each offset `t`.
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

  /// Stencils of `f` at `base`.
  init(_ f: F, at base: Parameters<Double>) {
    (self.f, self.base) = (f, base)
    if f.evaluatesLanesApart {
      lanes = Parameters(constants: base)
    }
  }

  /// Per stencil, `f` with each of its entries `(p, k)` moved to `x + t · along`: the outputs
  /// at each offset `t`, one offset's after another.
  mutating func outputs(
    _ stencils: [(moving: [(p: Int, k: Int, along: Double)], offsets: [Double])]
  ) -> [[Double]] {
    let width = stencils.reduce(1) { max($0, $1.offsets.count) }  // lanes a stencil takes
    guard var side = lanes, width <= Lanes.count else {
      return stencils.map { moving, offsets in
        offsets.flatMap { t in
          var moved = base
          for (p, k, along) in moving { moved.values[p][k] += t * along }
          return f.evaluate(moved)
        }
      }
    }
    lanes = nil  // `side` the only reference while its entries move: moved in place
    var out: [[Double]] = []
    out.reserveCapacity(stencils.count)
    for first in stride(from: 0, to: stencils.count, by: Lanes.count / width) {
      let pass = stencils[first..<min(first + Lanes.count / width, stencils.count)]
      // Stencil j takes lanes j · width + i; every other lane of a moved entry keeps its value.
      for (j, (moving, offsets)) in pass.enumerated() {
        for (p, k, along) in moving {
          for (i, t) in offsets.enumerated() {
            side.values[p][k][j * width + i] = base.values[p][k] + t * along
          }
        }
      }
      let values = f.evaluate(side)
      for (moving, _) in pass {
        for (p, k, _) in moving { side.values[p][k] = Lanes(base.values[p][k]) }
      }
      for (j, (_, offsets)) in pass.enumerated() {
        var at: [Double] = []  // offset i's outputs, one offset's after another
        at.reserveCapacity(offsets.count * values.count)
        for i in offsets.indices { for value in values { at.append(value[j * width + i]) } }
        out.append(at)
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

/// Turns `n` columns of `m` outputs into an `m × n` row-major Jacobian.
func transposeColumns(_ columns: [[Double]]) -> [Double] {
  guard let m = columns.first?.count else { return [] }
  var out: [Double] = []
  out.reserveCapacity(m * columns.count)
  for i in 0..<m { for column in columns { out.append(column[i]) } }
  return out
}
