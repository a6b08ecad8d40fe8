/// The independent ways a hand-derived derivative is checked.
public enum Oracle: String, Sendable, CaseIterable {
  /// Forward-mode dual numbers through the generic forward pass.
  case dual
  /// Reverse mode: a tape recorded through the generic forward pass, swept backwards.
  case tape
  /// Central finite differences on `Double`.
  case finiteDifference = "finite-difference"

  /// The relative tolerance of this oracle's error model: `Tolerances.exact` or
  /// `.finiteDifference`.
  public var tolerance: Double {
    switch self {
    case .dual, .tape: Tolerances.exact
    case .finiteDifference: Tolerances.finiteDifference
    }
  }

  /// The Jacobians `∂f/∂x_p` of each variable `p` of `variables`, worked out together, with
  /// the oracle's own error bar per entry (none for the exact oracles, whose rounding the
  /// model's `roundingUlps` term covers).
  func jacobians(_ f: some ForwardFunction, at point: [Variable], wrt variables: [Int])
    -> [FiniteDifference.Estimate]
  {
    func exact(_ values: [Double]) -> FiniteDifference.Estimate {
      .init(values: values, noise: values.map { _ in 0 })
    }
    switch self {
    case .dual: return DualOracle.jacobians(f, at: point, wrt: variables).map(exact)
    case .tape: return TapeOracle.jacobians(f, at: point, wrt: variables).map(exact)
    case .finiteDifference: return FiniteDifference.jacobians(f, at: point, wrt: variables)
    }
  }

  /// `J v` for each direction `v` of each variable of `variables` (`directions[i]` are
  /// `variables[i]`'s), worked out together: the tape records the forward pass once, the dual
  /// numbers and the stencils run the directions side by side.
  func directionals(
    _ f: some ForwardFunction, at point: [Variable], wrt variables: [Int],
    directions: [[[Double]]]
  ) -> [[FiniteDifference.Estimate]] {
    if self == .tape {
      // Each Jacobian's rows (each output's gradient with respect to x_p), dotted with each v.
      return zip(TapeOracle.rows(f, at: point, wrt: variables), directions).map { rows, vs in
        vs.map { v in .init(values: rows.map { dot($0, v) }, noise: rows.map { _ in 0 }) }
      }
    }
    let along = zip(variables, directions).flatMap { p, vs in vs.map { only(p, $0, in: point) } }
    let estimates =
      self == .dual
      ? DualOracle.directionals(f, at: point, along: along).map { values in
        FiniteDifference.Estimate(values: values, noise: values.map { _ in 0 })
      }
      : FiniteDifference.directionals(f, at: point, along: along)
    return estimates.runs(of: directions.map(\.count)).map(Array.init)
  }
}

/// One comparison of a hand-derived quantity with an independent reference, entry by entry.
///
/// Pass or fail comes from an error model, not from each entry's own relative error: entry
/// `k` passes when `|a_k − n_k| ≤ tolerance × scale + noise_k`, where `scale` is the largest
/// entry of the quantity (analytic or reference) and `noise_k` the reference's own error bar
/// (finite differences estimate theirs; exact oracles have none), plus the rounding of the
/// hand-derived pass itself, `roundingUlps` ulps of `scale` times the computation's
/// `conditioning` (how much cancellation, as in `1 − h²` near saturation, magnifies it). An
/// error of a correct
/// computation — rounding in the hand-derived pass, truncation and rounding in the finite
/// difference — is on the scale of the whole quantity, not of one entry: an entry 10⁶ times
/// smaller than the largest cannot be computed, by any method, to a relative error that the
/// largest can. Per-entry relative errors are reported as information (`small`
/// counts the entries whose own relative error is over the tolerance yet within the model).
/// A failure says where: the worst entry's index, both values there, and how many entries
/// are over.
public struct GradientCheck: Sendable {
  /// What is compared, as the derivation writes it: `∂E/∂W`.
  public var quantity: String
  /// The variable differentiated: `W`.
  public var parameter: String
  /// Where the reference values come from: an `Oracle` name, or `identity`.
  public var reference: String
  /// The gradient's shape: how its flat entries are indexed.
  public var shape: Shape
  /// The hand-derived gradient, flat (row-major).
  public let analytic: [Double]
  /// The reference gradient, flat, in the same order.
  public let expected: [Double]
  /// The model's relative accuracy, as a fraction of `scale`.
  public let tolerance: Double
  /// `|a − n| / max(|a|, |n|, 1e-8)` per entry: information, not the verdict.
  ///
  /// Worked out when read: `check` keeps every run's checks for its report
  /// (notes/Performance.md, nineteenth round).
  public var relativeErrors: [Double] { zip(analytic, expected).map(relativeError) }
  /// The largest entry of the quantity, analytic or reference, or of any one term summed
  /// into it (`magnitude`), whichever is larger.
  public let scale: Double
  /// How much cancellation magnifies the hand-derived pass's rounding (1: none).
  public let conditioning: Double
  /// What the error model allows every entry: `(tolerance + rounding) × scale`.
  let allowedOfEvery: Double
  /// The reference's own error bar per entry; nil: none (all zeros, as the exact oracles give,
  /// are kept as none: `check` keeps every run's checks).
  let noise: [Double]?
  /// Set when only `uᵀ J v` on random directions was compared (large sizes).
  public var projected: Bool
  /// For a finite-difference check, the step sweep of an entry (a flat index of `shape`) in a
  /// precision; nil for other references.
  public var sweep: (@Sendable (_ entry: Int, _ precision: Precision) -> StepSweep)?

  /// A check of `analytic` against `expected`: relative errors, scale and allowed differences
  /// computed here.
  public init(
    quantity: String, parameter: String, reference: String, shape: Shape,
    analytic: [Double], expected: [Double], tolerance: Double, noise: [Double]? = nil,
    conditioning: Double = 1, magnitude: Double = 0, projected: Bool = false
  ) {
    precondition(analytic.count == expected.count, "\(quantity): value counts differ")
    self.quantity = quantity
    self.parameter = parameter
    self.reference = reference
    self.shape = shape
    self.analytic = analytic
    self.expected = expected
    self.tolerance = tolerance
    let scale = zip(analytic, expected).reduce(magnitude) { max($0, abs($1.0), abs($1.1)) }
    self.scale = scale
    self.conditioning = conditioning
    let rounding = Tolerances.roundingUlps * Double.ulpOfOne * conditioning
    allowedOfEvery = (tolerance + rounding) * scale
    self.noise = noise.flatMap { noise in noise.contains { $0 != 0 } ? noise : nil }
    self.projected = projected
    // The figures a report reads, worked out once here (on the core that made the check).
    let relativeErrors = self.relativeErrors
    maxRelativeError = relativeErrors.max() ?? 0
    // The largest scaled error found as `max()` finds it (the first, then each later one that is
    // larger), in this loop: a closure over `self` copies the whole check, 45,000 times a `check`.
    var largest: Double?
    for k in relativeErrors.indices {  // each entry failing, or small and accepted, or neither
      let scaled = scaledError(k)
      if largest.map({ $0 < scaled }) ?? true { largest = scaled }
      if fails(k) {
        failures += 1
      } else if !(relativeErrors[k] <= tolerance) {
        small += 1
      }
    }
    maxScaledError = largest ?? 0
  }

  /// The largest difference the error model allows entry `k`: `(tolerance + rounding) × scale`
  /// plus the reference's own error bar there.
  public func allowed(_ k: Int) -> Double { allowedOfEvery + (noise?[k] ?? 0) }

  /// `|a_k − n_k|`.
  public func difference(_ k: Int) -> Double { abs(analytic[k] - expected[k]) }

  /// Entry `k` differs by more than the error model allows (or is not a number).
  public func fails(_ k: Int) -> Bool { !(difference(k) <= allowed(k)) }

  /// The difference of entry `k` as a fraction of the scale: the model's yardstick.
  public func scaledError(_ k: Int) -> Double {
    let d = difference(k)
    return d == 0 ? 0 : d / scale
  }

  /// The flat index of the worst failing entry (the furthest over what the model allows),
  /// else of the largest relative error.
  public var worstIndex: Int {
    let failing = analytic.indices.filter(fails)
    if !failing.isEmpty {
      return failing.max { difference($0) - allowed($0) < difference($1) - allowed($1) } ?? 0
    }
    let relativeErrors = self.relativeErrors  // worked out once, not at every comparison
    return relativeErrors.indices.max { relativeErrors[$0] < relativeErrors[$1] } ?? 0
  }
  /// The largest per-entry relative error.
  public private(set) var maxRelativeError: Double = 0
  /// The largest difference as a fraction of the scale.
  public private(set) var maxScaledError: Double = 0
  /// How many entries differ by more than the error model allows.
  public private(set) var failures: Int = 0
  /// Entries whose own relative error is over the tolerance while the model accepts them:
  /// entries far smaller than the largest, where a per-entry yardstick means nothing.
  public private(set) var small: Int = 0
  /// No entry differs by more than the error model allows.
  public var passed: Bool { failures == 0 }

  /// For a failing finite-difference check, the step sweep of its worst entry: why it failed.
  public var diagnosis: StepSweep? { passed ? nil : sweep?(worstIndex, .double) }

  /// One line: `∂E/∂W vs dual: max error 3.1e-16 of the largest entry (max rel 2.0e-15) at [1, 2] (0.12 vs 0.12)`.
  public var summary: String {
    let k = worstIndex
    let at =
      analytic.isEmpty
      ? ""
      : " at \(projected ? "direction [\(k)]" : shape.index(k)) "
        + "(\(format(analytic[k])) vs \(format(expected[k])))"
    let over =
      passed ? "" : ", \(failures) of \(analytic.count) over \(sci(tolerance)) × \(format(scale))"
    let small = small == 0 ? "" : ", \(small) small"
    let κ = conditioning < 1e3 ? "" : ", conditioning \(sci(conditioning))"
    return "\(quantity) vs \(reference): max error \(sci(maxScaledError)) of the largest entry "
      + "(max rel \(sci(maxRelativeError)))\(at)\(over)\(small)\(κ)"
  }
}

/// Checks hand-derived Jacobians against every oracle, each through `f`'s forward pass only.
///
/// - Parameters:
///   - f: the forward pass, generic over `Scalar`.
///   - point: the variables and the values they are evaluated at.
///   - analytic: for each variable, the hand-derived Jacobian `∂f/∂x_p` (outputs × entries,
///     row-major; for a scalar output, the gradient in the variable's shape).
///   - seed: the random directions of the fast mode.
///   - conditioning: how much cancellation magnifies the hand-derived pass's rounding at this
///     point (`SequenceModel.conditioning`); 1 where nothing cancels.
///   - magnitudes: per variable, the largest term summed into its gradient (a sum over time
///     rounds on the scale of its terms; `SequenceGradients.magnitudes`); none by default.
public func verify(
  _ f: some ForwardFunction, at point: [Variable], analytic: [[Double]],
  oracles: [Oracle] = Oracle.allCases, seed: UInt64 = 0, conditioning: Double = 1,
  magnitudes: [Double]? = nil
) -> [GradientCheck] {
  precondition(analytic.count == point.count, "one analytic Jacobian per variable")
  var rng = SplitMix64(seed: seed ^ 0x5EED)
  var checks: [GradientCheck] = []
  // The variables checked entry by entry, and the rest along random directions (`uᵀ J v`):
  // each oracle works out all the Jacobians at once, and all the directions.
  let full = point.indices.filter { analytic[$0].count * f.cost <= Tolerances.fullCheckMaxEntries }
  let fast = point.indices.filter { !full.contains($0) }
  // Random unit directions, variable by variable: a finite-difference step along v moves x by
  // h in norm, as it would along one entry.
  func unit(_ n: Int) -> [Double] {
    let w = rng.vector(n)
    let norm = dot(w, w).squareRoot()
    return w.map { $0 / norm }
  }
  let drawn = fast.map { p in
    let entries = point[p].values.count
    let outputs = analytic[p].count / max(entries, 1)
    return (0..<Tolerances.projectedDirections).map { _ in (u: unit(outputs), v: unit(entries)) }
  }
  let references = oracles.map { $0.jacobians(f, at: point, wrt: full) }
  let along = oracles.map {
    $0.directionals(f, at: point, wrt: fast, directions: drawn.map { $0.map(\.v) })
  }
  for (p, variable) in point.enumerated() {
    let entries = variable.values.count
    let outputs = analytic[p].count / max(entries, 1)
    let quantity = "∂\(f.outputName)/∂\(variable.name)"
    let shape = outputs == 1 ? variable.shape : .matrix(outputs, entries)
    if let index = full.firstIndex(of: p) {
      for (oracle, references) in zip(oracles, references) {
        let reference = references[index]
        var check = GradientCheck(
          quantity: quantity, parameter: variable.name, reference: oracle.rawValue,
          shape: shape, analytic: analytic[p], expected: reference.values,
          tolerance: oracle.tolerance, noise: reference.noise, conditioning: conditioning,
          magnitude: magnitudes?[p] ?? 0)
        if oracle == .finiteDifference {
          // Entry k is output k / entries along input k % entries: two unit vectors.
          let made = check
          check.sweep = { k, precision in
            func unit(_ i: Int, _ n: Int) -> [Double] { (0..<n).map { $0 == i ? 1 : 0 } }
            return StepSweep(
              f, at: point, wrt: p, of: made, entry: k, precision: precision,
              output: unit(k / entries, outputs), direction: unit(k % entries, entries))
          }
        }
        checks.append(check)
      }
      continue
    }
    // Fast mode: compare uᵀ J v on random unit-scale directions.
    guard let index = fast.firstIndex(of: p) else { continue }
    let directions = drawn[index]
    let jacobian = Matrix(rows: outputs, cols: entries, storage: analytic[p])
    let hand = directions.map { dot($0.u, jacobian * $0.v) }
    // Rounding scale of each uᵀ J v: the sum of the absolute values of its terms, or of the
    // terms summed into J's entries, whichever is larger.
    let magnitude = jacobian.map(abs)
    let summands = magnitudes?[p] ?? 0
    let floors = directions.map { d in
      let (u, v) = (d.u.map(abs), d.v.map(abs))
      let terms = max(dot(u, magnitude * v), summands * u.reduce(0, +) * v.reduce(0, +))
      return Tolerances.roundingUlps * Double.ulpOfOne * conditioning * terms
    }
    for (oracle, along) in zip(oracles, along) {
      let estimates = along[index]
      var check = GradientCheck(
        quantity: "uᵀ(\(quantity))v", parameter: variable.name, reference: oracle.rawValue,
        shape: .vector(directions.count), analytic: hand,
        expected: zip(directions, estimates).map { dot($0.u, $1.values) },
        tolerance: oracle.tolerance,
        noise: zip(zip(directions, estimates), floors).map { pair, floor in
          max(floor, dot(pair.0.u.map(abs), pair.1.noise))
        },
        conditioning: conditioning, projected: true)
      if oracle == .finiteDifference {
        let made = check
        check.sweep = { k, precision in
          StepSweep(
            f, at: point, wrt: p, of: made, entry: k, precision: precision,
            output: directions[k].u, direction: directions[k].v)
        }
      }
      checks.append(check)
    }
  }
  return checks
}
