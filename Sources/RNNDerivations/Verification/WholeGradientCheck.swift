/// Checks of a scalar loss's whole gradient for models too large to check one variable at a
/// time (`grad --check` near its caps).
///
/// Per-variable checks cost several forward passes per variable and direction; here every
/// oracle looks along random directions `v` of the whole point, all variables moving at once:
/// the hand-derived `∇E · v` against the dual number's (one forward pass per direction) and
/// the finite difference's (about six). The tape, when its recording fits in
/// `Tolerances.tapeMaxNodes`, gives every entry of every variable from one recording, and
/// each variable is checked against it entry by entry; beyond that it is skipped, and
/// `scope` says so.
public struct WholeGradientCheck: Sendable {
  /// The directional checks (dual numbers, finite differences; variable `all`) and, when the
  /// tape fitted, one per-entry check per variable against the tape.
  public var checks: [GradientCheck]
  /// What was checked, in one sentence for the report.
  public var scope: String

  /// The name the directional checks give their variable: every variable at once.
  public static let allVariables = "all"

  /// Checks `gradient` (one array per variable of `point`) of the scalar `f`.
  ///
  /// - Parameters:
  ///   - progress: told, before each oracle runs, which one.
  public init(
    _ f: some ForwardFunction, at point: [Variable], gradient: [[Double]], seed: UInt64 = 0,
    conditioning: Double = 1, magnitudes: [Double]? = nil,
    progress: (String) -> Void = { _ in }
  ) {
    var rng = SplitMix64(seed: seed ^ 0x5EED)
    let entries = point.entryCount
    // Unit directions of the whole point: a finite-difference step along v moves x by h in
    // norm, as it would along one entry.
    let directions = (0..<Tolerances.wholeGradientDirections).map { _ in
      let w = rng.vector(entries)
      let norm = dot(w, w).squareRoot()
      var rest = w.map { $0 / norm }[...]
      return point.map { v in
        defer { rest = rest.dropFirst(v.values.count) }
        return Array(rest.prefix(v.values.count))
      }
    }
    func along(_ v: [[Double]], _ g: [[Double]]) -> Double {
      zip(v, g).reduce(0) { $0 + dot($1.0, $1.1) }
    }
    let hand = directions.map { along($0, gradient) }
    // Rounding scale of each ∇E·v: the sum of its terms' absolute values, or of the terms
    // summed into the gradient's entries, whichever is larger (as in `verify`'s fast mode).
    let floors = directions.map { v in
      let terms = max(
        along(v.map { $0.map(abs) }, gradient.map { $0.map(abs) }),
        zip(v, magnitudes ?? []).reduce(0) { $0 + $1.1 * $1.0.reduce(0) { $0 + abs($1) } })
      return Tolerances.roundingUlps * Double.ulpOfOne * conditioning * terms
    }
    checks = [Oracle.dual, .finiteDifference].map { oracle in
      progress("\(oracle.rawValue): ∇E·v along \(directions.count) directions")
      // One direction at a time, each finite-difference point on `Double` (`PointByPoint`).
      let estimates = directions.map { v in
        oracle == .dual
          ? FiniteDifference.Estimate(
            values: DualOracle.directional(f, at: point, along: v), noise: [0])
          : FiniteDifference.directional(PointByPoint(f: f), at: point, along: v)
      }
      return GradientCheck(
        quantity: "∇E·v", parameter: Self.allVariables, reference: oracle.rawValue,
        shape: .vector(directions.count), analytic: hand, expected: estimates.map { $0.values[0] },
        tolerance: oracle.tolerance,
        noise: zip(estimates, floors).map { max($1, $0.noise[0]) },
        conditioning: conditioning, projected: true)
    }
    progress("tape: every entry, from one recording")
    let dims = "\(directions.count) random directions of all \(entries) entries"
    guard let tape = TapeOracle.gradient(f, at: point, limit: Tolerances.tapeMaxNodes) else {
      scope =
        "dual numbers and finite differences along \(dims); the tape skipped: its recording "
        + "needs more than \(Tolerances.tapeMaxNodes) nodes"
      return
    }
    for (p, variable) in point.enumerated() {
      checks.append(
        GradientCheck(
          quantity: "∂E/∂\(variable.name)", parameter: variable.name,
          reference: Oracle.tape.rawValue, shape: variable.shape, analytic: gradient[p],
          expected: tape[p], tolerance: Oracle.tape.tolerance,
          noise: tape[p].map { _ in 0 }, conditioning: conditioning,
          magnitude: magnitudes?[p] ?? 0))
    }
    scope = "dual numbers and finite differences along \(dims); the tape on every entry"
  }
}

/// `f`, its finite-difference points evaluated one at a time on `Double`.
///
/// A model too large to check variable by variable is all arithmetic, and a pass side by side
/// costs every lane's (twenty-four on `Lanes`, `DualLanes`) however few of them two directions
/// fill; what the lanes would share, the walk's bookkeeping, is a small part of such a pass.
struct PointByPoint<F: ForwardFunction>: ForwardFunction {
  let f: F
  var outputName: String { f.outputName }
  var cost: Int { f.cost }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] { f.evaluate(inputs) }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    f.evaluate(inputs, keeping: rooms)
  }
}
