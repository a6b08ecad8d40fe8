import Foundation

/// The precision a step sweep evaluates the forward pass in (the analytic value is always the
/// `Double` one).
public enum Precision: String, Sendable, CaseIterable {
  case double, float

  /// The unit roundoff's spacing at 1: the `ε` of `ε·|f|/h`.
  public var epsilon: Double {
    switch self {
    case .double: Double.ulpOfOne
    case .float: Double(Float.ulpOfOne)
    }
  }
}

/// Why a finite-difference check failed, read off how its error moves with the step.
public enum Diagnosis: String, Sendable {
  /// The error is flat across steps and stays far above the model: the analytic value is not
  /// the limit of the difference quotients.
  case wrongDerivation = "wrong derivation"
  /// The error falls as `h²`, then rises as `ε|f|/h`, and its minimum agrees: the derivation is
  /// right, the oracle's step was not.
  case truncationRounding = "truncation/rounding"
  /// The one-sided differences disagree at every small step: not differentiable there.
  case kink
  /// The function cannot be differenced here: it overflows, its rounding `ε|f|/h` swamps the
  /// gradient at every step, or the cell's conditioning κ is beyond what double resolves.
  case illConditioned = "ill-conditioned"
}

/// One entry's (or one direction's) finite-difference estimate at steps `10⁻¹ … 10⁻¹²` (times
/// the entry's scale, as the oracle scales its step), with its error against the analytic value.
///
/// `g(t) = uᵀ f(x + t v)`: for a Jacobian entry `(i, j)`, `u` and `v` are unit vectors; in the
/// fast mode they are the check's random directions. Errors are `|D − a| / S`, fractions of the
/// checked quantity's largest entry `S`, the yardstick of the error model.
public struct StepSweep: Sendable {
  /// One step of the sweep.
  public struct Row: Sendable {
    /// `h`, scaled by the entry's size as the oracle's step is.
    public var step: Double
    /// `(g(h) − g(−h)) / 2h`: truncation `h² g‴/6`.
    public var central: Double
    /// `(g(h) − g(0)) / h`: truncation `h g″/2`.
    public var forward: Double
    /// `(g(0) − g(−h)) / h`.
    public var backward: Double
    /// The rounding of the central difference, as a fraction of `S`:
    /// `Tolerances.functionRoundingUlps` ulps of `max(|g(±h)|, 1)` per value, over `2h`.
    public var rounding: Double
    /// The central difference's error bar, as a fraction of `S`: the larger of its rounding and
    /// its change at the next, tenfold smaller step (Richardson's estimate of its truncation,
    /// which also sees whatever noise the rounding model misses); infinite at the last step.
    public var bar = Double.infinity
    /// Whether `g(±h)` are numbers.
    public var isFinite: Bool
  }

  /// Which entry: `[3, 1]`, or `direction [2]` in the fast mode.
  public var entry: String
  /// The hand-derived value of the entry.
  public var analytic: Double
  /// `S`, the checked quantity's largest entry.
  public var scale: Double
  /// `g(0)`: the function value whose rounding limits every difference.
  public var value: Double
  /// The check's conditioning κ.
  public var conditioning: Double
  /// The precision the forward evaluations ran in.
  public var precision: Precision
  /// One row per step `h`, largest first.
  public var rows: [Row]

  /// The sweep's steps, as multiples of the entry's scale: `10⁻¹ … 10⁻¹²`.
  public static let steps = (1...12).map { Foundation.pow(10, -Double($0)) }

  /// Runs the sweep of `g(t) = uᵀ f(x + t v)` (variable `p` of `point`) in `precision`.
  ///
  /// `base` is the scale the oracle multiplies its step by (`max(stepScale, |x|)`).
  public init(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, direction v: [Double],
    output u: [Double], base: Double, entry: String, analytic: Double, scale: Double,
    conditioning: Double, precision: Precision
  ) {
    func g(_ t: Double) -> Double {
      switch precision {
      case .double: Self.evaluate(f, point, p, v, u, t, as: Double.self)
      case .float: Self.evaluate(f, point, p, v, u, t, as: Float.self)
      }
    }
    let g0 = g(0)
    let ulps = Tolerances.functionRoundingUlps * precision.epsilon
    var rows = Self.steps.map { step in
      let h = step * base
      let (plus, minus) = (g(h), g(-h))
      return Row(
        step: h, central: (plus - minus) / (2 * h), forward: (plus - g0) / h,
        backward: (g0 - minus) / h,
        rounding: ulps * (max(abs(plus), 1) + max(abs(minus), 1)) / (2 * h) / scale,
        isFinite: plus.isFinite && minus.isFinite)
    }
    for n in rows.indices.dropLast() {
      rows[n].bar = max(rows[n].rounding, abs(rows[n].central - rows[n + 1].central) / scale)
    }
    self.rows = rows
    (self.entry, self.analytic, self.scale, self.value) = (entry, analytic, scale, g0)
    (self.conditioning, self.precision) = (conditioning, precision)
  }

  /// The sweep of entry `k` of `check`, a check of variable `p` of `point`, along output
  /// direction `u` and input direction `v`, from the oracle's step scale: the largest `|x|`
  /// the direction moves, or the variable's `stepScale`.
  init(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, of check: GradientCheck,
    entry k: Int, precision: Precision, output u: [Double], direction v: [Double]
  ) {
    let moved = zip(point[p].values, v).reduce(0) { $1.1 == 0 ? $0 : max($0, abs($1.0)) }
    self.init(
      f, at: point, wrt: p, direction: v, output: u, base: max(point[p].stepScale, moved),
      entry: check.projected ? "direction [\(k)]" : check.shape.index(k),
      analytic: check.analytic[k], scale: check.scale, conditioning: check.conditioning,
      precision: precision)
  }

  /// `uᵀ f(x + t v)`, the forward pass run in `P` (the point rounded to `P` after the step).
  static func evaluate<P: Scalar>(
    _ f: some ForwardFunction, _ point: [Variable], _ p: Int, _ v: [Double], _ u: [Double],
    _ t: Double, as: P.Type
  ) -> Double {
    var values = point.map(\.values)
    for k in values[p].indices { values[p][k] += t * v[k] }
    let layout = Layout(names: point.map(\.name), shapes: point.map(\.shape))
    let outputs = f.evaluate(Parameters<P>(constants: Parameters(layout, values: values)))
    return zip(u, outputs).reduce(0) { $0 + $1.0 * $1.1.primal }
  }

  /// `|D − a| / S` for a difference quotient `D`.
  public func error(_ estimate: Double) -> Double { abs(estimate - analytic) / scale }

  /// The row whose central difference has the smallest error bar: the sweep's best estimate
  /// of the limit, wherever the analytic value is.
  public var best: Row { rows.min { !($0.bar >= $1.bar) } ?? rows[0] }

  /// What the error model allows of the best estimate, as a fraction of `S`: the
  /// finite-difference tolerance and the hand-derived pass's rounding `32 ε κ`.
  var model: Double {
    Tolerances.finiteDifference + Tolerances.roundingUlps * Double.ulpOfOne * conditioning
  }

  /// The classification, rule by rule (notes/Verification.md gives the figures behind each).
  public var diagnosis: Diagnosis { classify.diagnosis }

  /// One line: the diagnosis and the numbers that show it.
  public var explanation: String { classify.reason }

  private var classify: (diagnosis: Diagnosis, reason: String) {
    let resolution = Tolerances.sweepResolution
    // 1. Overflow: a difference of infinities is no estimate at all.
    if let bad = rows.first(where: { !$0.isFinite }) {
      return (.illConditioned, "f is not finite at h=\(sci(bad.step)) (overflow)")
    }
    // 2. A kink: the one-sided slopes differ by a jump that does not shrink with h, at every
    //    step from 10⁻⁴ down, by more than the noise there (a smooth function's differ by h·g″,
    //    which falls with h).
    let small = rows[3..<11]  // h = 10⁻⁴ … 10⁻¹¹ of the entry's scale: each with a bar
    let jumps = small.map { abs($0.forward - $0.backward) / scale }
    if let smallest = jumps.min(),
      zip(jumps, small).allSatisfy({ $0 > resolution + 2 * $1.bar })
    {
      return (
        .kink,
        "the one-sided differences differ by at least \(sci(smallest)) of the largest entry at "
          + "every step from h=\(sci(rows[3].step)) down: a non-differentiable point"
      )
    }
    // 3. No step resolves the gradient: even the smallest error bar is over what separates
    //    a wrong derivation from a right one.
    let (best, first) = (best, rows[0])
    let bestError = error(best.central)
    if !(best.bar <= resolution) {
      return (
        .illConditioned,
        "the smallest error bar, \(sci(best.bar)) of the largest entry at h=\(sci(best.step)), "
          + "is over \(sci(resolution)): the rounding of |f| = \(sci(abs(value))), "
          + "\(sci(abs(value) / scale)) × the largest entry, leaves finite differences inconclusive"
      )
    }
    // 4. The best estimate agrees within the model and its own bar: the derivation is the
    //    limit; only the oracle's step was wrong.
    if bestError <= model + best.bar {
      let falls =
        best.step == first.step
        ? "error \(sci(bestError)) at h=\(sci(first.step)), the most settled step"
        : "error \(sci(error(first.central))) at h=\(sci(first.step)) falls to "
          + "\(sci(bestError)) at h=\(sci(best.step))"
      return (.truncationRounding, falls + "; the derivation agrees with the limit")
    }
    // 5. The hand-derived pass's own rounding, 32 ε κ, is over the resolution: a saturated
    //    point double precision does not resolve.
    if Tolerances.roundingUlps * Double.ulpOfOne * conditioning > resolution {
      return (
        .illConditioned,
        "conditioning κ = \(sci(conditioning)): the hand-derived value itself is not resolved "
          + "(best error \(sci(bestError)) at h=\(sci(best.step)))"
      )
    }
    // 6. Otherwise the error does not fall to the model at any step: not the limit.
    return (
      .wrongDerivation,
      "error \(sci(error(first.central))) at h=\(sci(first.step)) is still \(sci(bestError)) at "
        + "h=\(sci(best.step)), where the estimate is good to \(sci(best.bar)): the analytic "
        + "value is not the limit"
    )
  }
}
