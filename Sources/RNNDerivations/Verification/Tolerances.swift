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
  /// A learner's gradient (`grad --compare`) against the walk's, as a fraction of the correct
  /// gradient's largest entry: what float32 arithmetic and a gradient printed to 4
  /// significant digits can be off by (notes/Verification.md, "A learner's gradients").
  public static let learnerGradient = 1e-3
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
  /// Number of random directions of the whole point in `WholeGradientCheck`: a wrong
  /// gradient differs from the right one along almost every direction, and each direction
  /// costs about seven forward passes of a model too large to check variable by variable.
  public static let wholeGradientDirections = 2
  /// The most nodes a tape records before its oracle gives up.
  ///
  /// 2²⁵ nodes of 32 bytes is 1 GiB, plus the 8-byte adjoints of the sweep. An lstm with
  /// H = 64 and T = 64 records about 5 × 10⁶ nodes; one with H = 256 and T = 1000 would need
  /// 10⁹.
  public static let tapeMaxNodes = 1 << 25
  /// The most operations per-variable checks may take before `grad --check` checks the whole
  /// gradient at once.
  ///
  /// See `WholeGradientCheck`. The estimate is `2 T P` operations per forward pass (P
  /// parameter and state entries, each used about once a step in a multiply and an add) times
  /// 10 passes (one dual, six finite-difference, a tape worth three) per direction or entry of
  /// each variable. 10¹⁰ is about 25 s on the machine of notes/Verification.md.
  public static let perVariableCheckMaxOperations = 1e10
}
