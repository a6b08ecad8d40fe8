import Foundation
@testable import RNNDerivations
import Testing

/// `f(x)` of one variable `x` (one entry), written over `Scalar` as every forward pass is:
/// `tanh3x`, `exp`, `tanh`, or `abs`.
private struct OneVariable: ForwardFunction {
  var outputName: String { "f" }
  let name: String
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    let x = inputs["x"][0]
    switch name {
    case "tanh3x": return [T.tanh(3 * x)]
    case "exp": return [T.exp(x)]
    case "tanh": return [T.tanh(x)]
    default: return [x.primal < 0 ? -x : x]  // |x|: a kink at 0
    }
  }
}

/// The sweep of `f` at `x` against the derivative `a` worked out by hand (scale |a|).
private func sweep(
  _ name: String, at x: Double, analytic a: Double, precision: Precision = .double
) -> StepSweep {
  StepSweep(
    OneVariable(name: name), at: [Variable("x", [x])], wrt: 0, direction: [1],
    output: [1], base: max(1, abs(x)), entry: "[0]", analytic: a, scale: abs(a),
    conditioning: 1, precision: precision)
}

@Suite struct StepSweepTests {
  /// Every catalogued mistake, swept on the worst entry of each finite-difference check it
  /// fails, is a wrong derivation: its error does not fall with the step.
  @Test(arguments: Mistakes.all.map(\.id))
  func everyMistakeIsAWrongDerivation(id: String) throws {
    let mistake = try #require(Mistakes.mistake(id))
    let failing = mistake.checks().filter {
      $0.reference == Oracle.finiteDifference.rawValue && !$0.passed
    }
    #expect(!failing.isEmpty, "\(id): no finite-difference check fails")
    for check in failing {
      let sweep = try #require(check.diagnosis)
      #expect(sweep.diagnosis == .wrongDerivation, "\(id): \(SweepReport.line(check, sweep))")
    }
  }

  /// A correct derivative checked at a poorly chosen step fails.
  ///
  /// The sweep shows the U-shaped curve and classifies it truncation/rounding. d/dx tanh(3x) = 3 / cosh²(3x), by hand.
  @Test func aBadStepIsTruncation() {
    let a = 3 / Foundation.pow(Foundation.cosh(1.2), 2)
    let f = OneVariable(name: "tanh3x")
    // The oracle's own stencil forced to h = 0.3: truncation h⁴ g⁽⁵⁾/30 is far over 1e-7.
    let forced = FiniteDifference.stencil(
      step: 0.3,
      FiniteDifference.multiples.flatMap { c in  // at the offsets c · h
        f.evaluate(Parameters([Variable("x", [0.4 + c * 0.3])]))
      }[...]
    ).estimate
    let check = GradientCheck(
      quantity: "∂f/∂x", parameter: "x", reference: "finite-difference", shape: .vector(1),
      analytic: [a], expected: forced.values, tolerance: Tolerances.finiteDifference)
    #expect(!check.passed)
    let s = sweep("tanh3x", at: 0.4, analytic: a)
    #expect(s.diagnosis == .truncationRounding, "\(s.explanation)")
    // Falls as h² (100 times a decade) from 1e-1 to 1e-3, then rises as ε/h.
    let errors = s.rows.map { s.error($0.central) }
    #expect(errors[1] < errors[0] / 50 && errors[2] < errors[1] / 50)
    #expect(errors[11] > errors[6])
  }

  /// |x| at 0: the one-sided slopes are +1 and −1 at every step.
  ///
  /// A learner's sign(0) = 1.
  @Test func absoluteValueAtZeroIsAKink() {
    let s = sweep("abs", at: 0, analytic: 1)
    #expect(s.diagnosis == .kink, "\(s.explanation)")
    let check = verify(OneVariable(name: "abs"), at: [Variable("x", [0])], analytic: [[1]])
    let fd = check.first { $0.reference == Oracle.finiteDifference.rawValue }
    #expect(fd?.diagnosis?.diagnosis == .kink)
  }

  /// exp at 700: the sweep's largest step (70) overflows.
  ///
  /// d/dx eˣ = eˣ.
  @Test func overflowIsIllConditioned() {
    let s = sweep("exp", at: 700, analytic: Foundation.exp(700))
    #expect(s.diagnosis == .illConditioned, "\(s.explanation)")
    #expect(s.explanation.contains("not finite"))
  }

  /// tanh saturated at 20: the derivative 1/cosh²(20) ≈ 1.7e-17 is far below the rounding of
  /// f ≈ 1 at any step, so finite differences are inconclusive.
  @Test func saturationIsIllConditioned() {
    let s = sweep("tanh", at: 20, analytic: 1 / Foundation.pow(Foundation.cosh(20), 2))
    #expect(s.diagnosis == .illConditioned, "\(s.explanation)")
    #expect(s.explanation.contains("rounding"))
  }

  /// In single precision the best step of the central difference is ~1e-2…1e-3 and its best
  /// error ~1e-4…1e-6 of the derivative: ε_f^{1/3} and ε_f^{2/3} for ε_f = 1.2e-7, where
  /// double reaches 1e-10 at 1e-5 (d/dx tanh(3x) = 3/cosh²(3x), by hand).
  @Test func singlePrecisionBestStepAndError() throws {
    let a = 3 / Foundation.pow(Foundation.cosh(1.2), 2)
    let s = sweep("tanh3x", at: 0.4, analytic: a, precision: .float)
    let closest = try #require(s.rows.min { s.error($0.central) < s.error($1.central) })
    #expect((1e-3...1e-2).contains(closest.step), "closest at \(closest.step)")
    #expect((1e-6...1e-4).contains(s.error(closest.central)), "\(s.error(closest.central))")
    // 16 ulps of float on |f| ≈ 1 is an error bar over the sweep's resolution at every step:
    // single precision cannot tell the catalogue's smallest mistake (3.6e-4) from rounding.
    #expect(s.best.bar > Tolerances.sweepResolution)
    #expect(s.diagnosis == .illConditioned, "\(s.explanation)")
    let double = sweep("tanh3x", at: 0.4, analytic: a)
    #expect(double.error(double.best.central) < 1e-9)
    #expect(double.diagnosis == .truncationRounding)
  }

  /// The exploding-gradient config the sweep found failing: ∂E/∂b reaches 10⁵ over 43 steps.
  ///
  /// Its sweep falls as h² to ~1e-7 at h = 1e-9 (truncation/rounding), and the oracle, choosing
  /// its step by Richardson agreement, now passes it.
  @Test func explodingGradientsConverge() throws {
    let config = Config(
      seed: 446_257_807_492_389_724, dims: Dims(D: 2, H: 12, K: 13), steps: 43, scale: 5)
    let trace = try #require(Catalog.derivation("bptt-recursive")).trace(config)
    for check in trace.checks { #expect(check.passed, "\(check.summary)") }
    let b = try #require(
      trace.checks.first { $0.parameter == "b" && $0.reference == "finite-difference" })
    let s = try #require(b.sweep?(0, .double))
    #expect(s.diagnosis == .truncationRounding, "\(s.explanation)")
    #expect(s.best.step < 1e-7)
    #expect(s.error(s.rows[2].central) > 0.1)  // at the old oracle's step scale, h ~ 1e-3
  }
}
