import Foundation
@testable import RNNDerivations
import Testing
import _Differentiation

// The compiler's reverse-mode AD (`_Differentiation`) as a third, independent source of the
// elementary derivatives that `Dual` and `Traced` state by hand. The toolchain registers
// derivatives for Glibc's `exp`, `log` and `tanh` on `Double` and for `*` and `/`; `σ` has
// none, so it is written from `exp`. Nothing here registers a derivative of its own: the
// references are the compiler's differentiation of plain `Double` code.

/// `tanh` from `exp` on each half-line, `(1 − e^{−2|x|}) / (1 + e^{−2|x|})` with the sign of
/// `x`: the compiler's derivative of it, `4e^{−2|x|}/(1 + e^{−2|x|})²` in effect, sums terms
/// of one sign, so it is accurate to a few ulps where `1 − tanh²` cancels (`|x|` ≳ 10).
@differentiable(reverse)
private func tanhFromExp(_ x: Double) -> Double {
  if x >= 0 {
    let u = exp(-2 * x)
    return (1 - u) / (1 + u)
  }
  let u = exp(2 * x)
  return (u - 1) / (u + 1)
}

/// `σ` from `exp` on each half-line, never taking `exp` of a large positive number:
/// `1/(1 + e^{−x})` for `x ≥ 0`, `eˣ/(1 + eˣ)` below.
@differentiable(reverse)
private func sigmoidFromExp(_ x: Double) -> Double {
  if x >= 0 { return 1 / (1 + exp(-x)) }
  let e = exp(x)
  return e / (1 + e)
}

/// The derivative of a unary rule: on `Dual` (seeded tangent 1) and on a tape (one sweep).
private func derivatives(
  dual f: (Dual) -> Dual, tape g: (Traced) -> Traced, at x: Double
) -> (dual: Double, tape: Double) {
  let tape = Tape()
  let v = tape.variable(x)
  return (f(Dual(x, derivative: 1)).derivative, tape.gradient(of: g(v))[v.index])
}

/// The partial derivatives of a binary rule at `(a, b)`, on `Dual` and on a tape.
private func partials(
  dual f: (Dual, Dual) -> Dual, tape g: (Traced, Traced) -> Traced, at a: Double, _ b: Double
) -> (dual: (Double, Double), tape: (Double, Double)) {
  let tape = Tape()
  let (u, v) = (tape.variable(a), tape.variable(b))
  let adjoint = tape.gradient(of: g(u, v))
  return (
    (
      f(Dual(a, derivative: 1), Dual(b)).derivative,
      f(Dual(a), Dual(b, derivative: 1)).derivative
    ),
    (adjoint[u.index], adjoint[v.index])
  )
}

/// `|ours − reference|` in units of the reference's relative ulp, `ε·|reference|`
/// (0 where both are 0, infinite where only the reference is).
private func ulps(_ ours: Double, _ reference: Double) -> Double {
  if ours == reference { return 0 }
  return abs(ours - reference) / (Double.ulpOfOne * abs(reference))
}

@Suite struct ElementaryRulesTests {
  /// Zero, both signs of tiny, unit, moderate and large arguments, up to where `exp` is still
  /// finite (e^{700} ≈ 1.0e304), and 40 random points in [−10, 10).
  static let points: [Double] = {
    let fixed: [Double] = [1e-8, 0.1, 0.5, 1, 2, 5, 20, 40, 700]
    var rng = SplitMix64(seed: 11)
    return [0] + fixed + fixed.map { -$0 } + rng.vector(40, scale: 10)
  }()

  /// The bound on the relative difference from the compiler's derivative, in ulps.
  ///
  /// Each side evaluates the same derivative by at most a few operations, each correctly
  /// rounded (½ ulp) or — `exp`, `log`, `cosh`, `tanh` of glibc — within 1 ulp: `sech²` is
  /// one `cosh`, a division and a product (≤ 3.5 ulps), the compiler's derivative of
  /// `tanhFromExp`/`sigmoidFromExp` about as many on the other side. 8 ulps (1.8e-15) covers
  /// both with a little room (measured: 2.3 ulps for `tanh`, 0.9 for `σ`, 0.8 for the
  /// quotient, 0 for `exp`, `log` and the product). A wrong rule (`1 − tanh²` at |x| ≥ 20,
  /// `σ` for `σ′`, a sign, a missing factor) is off by far more than that.
  static let bound = 8.0

  @Test func expAndLogAreTheCompilers() {
    var worst = 0.0
    for x in Self.points {
      let reference = gradient(at: x) { x in exp(x) }
      let ours = derivatives(dual: Dual.exp, tape: Traced.exp, at: x)
      #expect(ulps(ours.dual, reference) <= Self.bound, "d exp at \(x): dual \(ours.dual)")
      #expect(ulps(ours.tape, reference) <= Self.bound, "d exp at \(x): tape \(ours.tape)")
      worst = max(worst, ulps(ours.dual, reference), ulps(ours.tape, reference))
    }
    for x in Self.points where x > 0 {
      let reference = gradient(at: x) { x in log(x) }
      let ours = derivatives(dual: Dual.log, tape: Traced.log, at: x)
      #expect(ulps(ours.dual, reference) <= Self.bound, "d log at \(x): dual \(ours.dual)")
      #expect(ulps(ours.tape, reference) <= Self.bound, "d log at \(x): tape \(ours.tape)")
      worst = max(worst, ulps(ours.dual, reference), ulps(ours.tape, reference))
    }
    TestOutput.write("exp, log: worst \(worst) ulps from the compiler's derivative")
  }

  /// `sech²` against the compiler's derivative of `tanhFromExp` (to 8 ulps everywhere) and
  /// against the derivative the toolchain registers for Glibc's `tanh`, `1 − tanh²`.
  ///
  /// That registered rule is the form the hand-derived passes use; it cancels at large `|x|`:
  /// `tanh x` within an ulp makes `1 − tanh²` off by up to ~2ε absolutely (exactly 0 once
  /// `tanh x` rounds to 1, from |x| ≈ 19.1), so the comparison with it allows
  /// `8ε·|reference| + 4ε`.
  @Test func tanhIsSechSquared() {
    var (worst, worstRegistered) = (0.0, 0.0)
    for x in Self.points {
      let reference = gradient(at: x, of: tanhFromExp)
      let registered = gradient(at: x) { x in tanh(x) }
      let ours = derivatives(dual: Dual.tanh, tape: Traced.tanh, at: x)
      for (name, value) in [("dual", ours.dual), ("tape", ours.tape)] {
        #expect(ulps(value, reference) <= Self.bound, "d tanh at \(x): \(name) \(value)")
        let floor = 4 * Double.ulpOfOne
        #expect(
          abs(value - registered) <= Self.bound * Double.ulpOfOne * abs(registered) + floor,
          "d tanh at \(x): \(name) \(value) vs registered \(registered)")
        worst = max(worst, ulps(value, reference))
        worstRegistered = max(worstRegistered, abs(value - registered))
      }
    }
    TestOutput.write(
      "tanh: worst \(worst) ulps from AD of tanh via exp; "
        + "worst |difference| from the registered 1 − tanh² \(worstRegistered)")
  }

  @Test func sigmoidIsTheCompilersDerivativeOfItsDefinition() {
    var worst = 0.0
    for x in Self.points {
      let reference = gradient(at: x, of: sigmoidFromExp)
      let ours = derivatives(dual: Dual.sigmoid, tape: Traced.sigmoid, at: x)
      #expect(ulps(ours.dual, reference) <= Self.bound, "dσ at \(x): dual \(ours.dual)")
      #expect(ulps(ours.tape, reference) <= Self.bound, "dσ at \(x): tape \(ours.tape)")
      worst = max(worst, ulps(ours.dual, reference), ulps(ours.tape, reference))
    }
    TestOutput.write("sigmoid: worst \(worst) ulps from AD of σ via exp")
  }

  /// The product and quotient rules at every pair of nonzero points: `∂(ab) = (b, a)` exactly,
  /// `∂(a/b) = (1/b, −a/b²)` to an ulp or two (the compiler's `−a/(b·b)`; `Dual`'s `b/(b·b)`).
  @Test func productAndQuotientRules() {
    var worst = 0.0
    for a in Self.points where a != 0 {
      for b in Self.points where b != 0 {
        let product = gradient(at: a, b) { a, b in a * b }
        let ours = partials(dual: *, tape: *, at: a, b)
        #expect(ours.dual == product && ours.tape == product, "∂(ab) at (\(a), \(b))")

        let quotient = gradient(at: a, b) { a, b in a / b }
        let q = partials(dual: /, tape: /, at: a, b)
        for (name, (da, db)) in [("dual", q.dual), ("tape", q.tape)] {
          #expect(ulps(da, quotient.0) <= Self.bound, "∂(a/b)/∂a at (\(a), \(b)): \(name) \(da)")
          #expect(ulps(db, quotient.1) <= Self.bound, "∂(a/b)/∂b at (\(a), \(b)): \(name) \(db)")
          worst = max(worst, ulps(da, quotient.0), ulps(db, quotient.1))
        }
      }
    }
    TestOutput.write("product exact; quotient: worst \(worst) ulps from the compiler's derivative")
  }
}
