/// Every numerical tolerance and oracle setting in the project, in one place.
///
/// Each is a term of the error model of `GradientCheck`, justified by measurements in
/// notes/Verification.md: an entry passes when `|a − n| ≤ (tolerance + roundingUlps · ε ·
/// conditioning) × scale + noise`.
public enum Tolerances {
  /// Floor of the relative-error denominator: `|a − n| / max(|a|, |n|, floor)`.
  public static let relativeErrorFloor = 1e-8
  /// Hand-derived vs the exact oracles (dual numbers, the tape), as a fraction of the
  /// quantity's largest entry: all three are exact up to rounding.
  public static let exact = 1e-12
  /// Hand-derived vs central finite differences, as a fraction of the quantity's largest
  /// entry, on top of the finite difference's own error estimate.
  public static let finiteDifference = 1e-7
  /// Two exact computations of the same quantity (an identity such as K = 2 softmax = σ).
  public static let identity = 1e-12
  /// How many ulps of the largest entry, times the conditioning, a hand-derived gradient may
  /// be off by rounding alone (the conditioning is how much cancellation such as `1 − h²`
  /// near saturation magnifies the rounding; 1 where nothing cancels).
  public static let roundingUlps = 32.0
  /// How many ulps of error (on the larger of its magnitude and 1) finite differences assume
  /// in each function value they difference.
  public static let functionRoundingUlps = 16.0
  /// How many times a finite-difference step may shrink tenfold while its estimate has not
  /// settled (changes, when the step doubles, by more than its rounding and this tolerance).
  public static let stepShrinks = 6
  /// The smallest error, as a fraction of the checked quantity's largest entry, that a step
  /// sweep resolves.
  ///
  /// A jump of the one-sided slopes over it is a kink; a smallest error bar over it makes
  /// finite differences inconclusive. The catalogue's mistakes, swept on their
  /// worst failing entries, are off by 3.6e-4 to 2 with error bars below 1.6e-8.
  public static let sweepResolution = 1e-4
  /// Above this many Jacobian entries per variable (times the function's `cost`, its time
  /// steps), oracles check `uᵀ J v` on random directions instead of every entry (the fast
  /// mode): per-entry finite differences cost six evaluations an entry.
  public static let fullCheckMaxEntries = 2048
  /// Number of random direction pairs `(u, v)` in the fast mode.
  public static let projectedDirections = 8
}
