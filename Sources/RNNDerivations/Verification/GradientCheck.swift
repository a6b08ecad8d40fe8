/// The independent ways a hand-derived derivative is checked.
public enum Oracle: String, Sendable, CaseIterable {
  /// Forward-mode dual numbers through the generic forward pass.
  case dual
  /// Central finite differences on `Double`.
  case finiteDifference = "finite-difference"

  public var tolerance: Double {
    switch self {
    case .dual: Tolerances.dual
    case .finiteDifference: Tolerances.finiteDifference
    }
  }

  /// The Jacobian `∂f/∂x_p` with the oracle's own rounding noise per entry (0 for duals,
  /// whose rounding is that of the hand-derived pass: see `Tolerances.roundingUlps`).
  func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> FiniteDifference.Estimate
  {
    switch self {
    case .dual:
      let values = DualOracle.jacobian(f, at: point, wrt: p)
      return .init(values: values, noise: values.map { _ in 0 })
    case .finiteDifference: return FiniteDifference.jacobian(f, at: point, wrt: p)
    }
  }

  func directional(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, direction v: [Double]
  ) -> FiniteDifference.Estimate {
    switch self {
    case .dual:
      let values = DualOracle.directional(f, at: point, wrt: p, direction: v)
      return .init(values: values, noise: values.map { _ in 0 })
    case .finiteDifference: return FiniteDifference.directional(f, at: point, wrt: p, direction: v)
    }
  }
}

/// One comparison of a hand-derived quantity with an independent reference, entry by entry.
///
/// A failure says where: the worst entry's index, both values there, and how many entries
/// are over tolerance — never a bare `false`.
///
/// An entry passes when its relative error is within tolerance, or when the absolute
/// difference is within `resolution`: what double precision can resolve for that entry
/// (the oracle's rounding noise, and `Tolerances.roundingUlps` ulps of the largest entry).
/// Such entries are counted in `atRoundingFloor` and reported, never hidden, as the
/// verification policy asks for points at a kink.
public struct GradientCheck: Sendable {
  /// What is compared, as the derivation writes it: `∂E/∂W`.
  public var quantity: String
  /// The variable differentiated: `W`.
  public var parameter: String
  /// Where the reference values come from: an `Oracle` name, or `identity`.
  public var reference: String
  public var shape: Shape
  public var analytic: [Double]
  public var expected: [Double]
  public var tolerance: Double
  public var relativeErrors: [Double]
  /// Absolute differences at or below this, per entry, are below double precision's reach.
  public var resolution: [Double]
  /// Set when only `uᵀ J v` on random directions was compared (large sizes).
  public var projected: Bool

  public init(
    quantity: String, parameter: String, reference: String, shape: Shape,
    analytic: [Double], expected: [Double], tolerance: Double, noise: [Double]? = nil,
    projected: Bool = false
  ) {
    precondition(analytic.count == expected.count, "\(quantity): value counts differ")
    self.quantity = quantity
    self.parameter = parameter
    self.reference = reference
    self.shape = shape
    self.analytic = analytic
    self.expected = expected
    self.tolerance = tolerance
    self.relativeErrors = zip(analytic, expected).map(relativeError)
    // The rounding of two double computations of the same numbers — a few ulps of the
    // largest entry — or the reference's own error bar (`noise`), whichever is larger.
    let scale = zip(analytic, expected).reduce(0) { max($0, abs($1.0), abs($1.1)) }
    let floor = Tolerances.roundingUlps * Double.ulpOfOne * scale
    self.resolution = (noise ?? analytic.map { _ in 0 }).map { max($0, floor) }
    self.projected = projected
  }

  /// Entry `k` differs by more than the tolerance allows and more than rounding explains.
  public func fails(_ k: Int) -> Bool {
    !(relativeErrors[k] <= tolerance) && !(abs(analytic[k] - expected[k]) <= resolution[k])
  }

  /// The flat index of the worst failing entry, else of the largest relative error.
  public var worstIndex: Int {
    let failing = relativeErrors.indices.filter(fails)
    let candidates = failing.isEmpty ? Array(relativeErrors.indices) : failing
    return candidates.max { relativeErrors[$0] < relativeErrors[$1] } ?? 0
  }
  public var maxRelativeError: Double { relativeErrors.max() ?? 0 }
  public var failures: Int { relativeErrors.indices.filter(fails).count }
  /// Entries over the relative tolerance whose difference rounding explains.
  public var atRoundingFloor: Int {
    relativeErrors.indices.filter { !(relativeErrors[$0] <= tolerance) && !fails($0) }.count
  }
  public var passed: Bool { failures == 0 }

  /// One line: `∂E/∂W vs dual: max rel 3.1e-16 at [1, 2] (0.12 vs 0.12) PASS`.
  public var summary: String {
    let k = worstIndex
    let at =
      analytic.isEmpty
      ? ""
      : " at \(projected ? "direction [\(k)]" : shape.index(k)) "
        + "(\(format(analytic[k])) vs \(format(expected[k])))"
    let over = passed ? "" : ", \(failures) of \(analytic.count) over \(sci(tolerance))"
    let floor = atRoundingFloor == 0 ? "" : ", \(atRoundingFloor) at the rounding floor"
    return "\(quantity) vs \(reference): max rel \(sci(maxRelativeError))\(at)\(over)\(floor)"
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
public func verify(
  _ f: some ForwardFunction, at point: [Variable], analytic: [[Double]],
  oracles: [Oracle] = Oracle.allCases, seed: UInt64 = 0
) -> [GradientCheck] {
  precondition(analytic.count == point.count, "one analytic Jacobian per variable")
  var rng = SplitMix64(seed: seed ^ 0x5EED)
  var checks: [GradientCheck] = []
  for (p, variable) in point.enumerated() {
    let entries = variable.values.count
    let outputs = analytic[p].count / max(entries, 1)
    let quantity = "∂\(f.outputName)/∂\(variable.name)"
    let shape = outputs == 1 ? variable.shape : .matrix(outputs, entries)
    if analytic[p].count <= Tolerances.fullCheckMaxEntries {
      for oracle in oracles {
        let reference = oracle.jacobian(f, at: point, wrt: p)
        checks.append(
          GradientCheck(
            quantity: quantity, parameter: variable.name, reference: oracle.rawValue,
            shape: shape, analytic: analytic[p], expected: reference.values,
            tolerance: oracle.tolerance, noise: reference.noise))
      }
      continue
    }
    // Fast mode: compare uᵀ J v on random unit-scale directions.
    // Random unit directions: a finite-difference step along v moves x by h in norm, as it
    // would along one entry.
    func unit(_ n: Int) -> [Double] {
      let w = rng.vector(n)
      let norm = dot(w, w).squareRoot()
      return w.map { $0 / norm }
    }
    let directions = (0..<Tolerances.projectedDirections).map { _ in
      (u: unit(outputs), v: unit(entries))
    }
    let jacobian = Matrix(rows: outputs, cols: entries, storage: analytic[p])
    let hand = directions.map { dot($0.u, jacobian * $0.v) }
    // Rounding scale of each uᵀ J v: the sum of the absolute values of its terms.
    let magnitude = jacobian.map(abs)
    let floors = directions.map {
      Tolerances.roundingUlps * Double.ulpOfOne * dot($0.u.map(abs), magnitude * $0.v.map(abs))
    }
    for oracle in oracles {
      let estimates = directions.map { oracle.directional(f, at: point, wrt: p, direction: $0.v) }
      checks.append(
        GradientCheck(
          quantity: "uᵀ(\(quantity))v", parameter: variable.name, reference: oracle.rawValue,
          shape: .vector(directions.count), analytic: hand,
          expected: zip(directions, estimates).map { dot($0.u, $1.values) },
          tolerance: oracle.tolerance,
          noise: zip(zip(directions, estimates), floors).map { pair, floor in
            max(floor, dot(pair.0.u.map(abs), pair.1.noise))
          },
          projected: true))
    }
  }
  return checks
}
