@testable import RNNDerivations
import Testing

/// A random problem for the vanilla RNN, drawn as the traces draw one (inputs only: no
/// expected value comes from it).
private func example(_ dims: Dims, steps: Int, seed: UInt64) -> SequenceExample<RNNCell> {
  SequenceExample(RNNCell(), dims, steps: steps, seed: seed, stateNames: ["s_{−1}"])
}

/// The real RNN cell, except that its backward step passes nothing on to `s_{t−1}`.
private let withoutDhNext = MistakenCell(base: RNNCell()) { dState, cache, p in
  let g = RNNCell().backward(dState, cache, p)
  return CellGradients(
    parameters: g.parameters, dStatePrev: CellState(h: zeroed(g.dStatePrev.h)), dx: g.dx)
}

@Suite struct BPTTTests {
  @Test(arguments: ["bptt-recursive", "bptt-jacobian-product", "bptt-index-form"])
  func traceAtDefaultsPassesAndPrints(id: String) throws {
    expectPasses(try #require(Catalog.derivation(id)).trace(Config()))
  }

  @Test(arguments: ["bptt-recursive", "bptt-jacobian-product", "bptt-index-form"])
  func everySizeAndSeedPasses(id: String) throws { try expectPassesEverywhere(id) }

  /// Source 003's sum has one term per pair k ≤ t: T(T+1)/2 = 10 for T = 4, and the terms
  /// add up to the recursion's ∂E/∂W and ∂E/∂U.
  @Test func jacobianProductHasTriangularTermsSummingToRecursion() {
    let ex = example(Dims(D: 3, H: 5, K: 4), steps: 4, seed: 3)
    let terms = bpttJacobianProduct(ex.run, targets: ex.model.targets, p: ex.p)
    #expect(terms.count == 10)
    let pairs = Set(terms.map { [$0.t, $0.k] })
    #expect(pairs == Set((0..<4).flatMap { t in (0...t).map { [t, $0] } }), "each k ≤ t once")
    let g = ex.gradients.parameters
    let dW = terms.reduce(Matrix<Double>.zeros(5, 5)) { $0 + $1.dW }
    let dU = terms.reduce(Matrix<Double>.zeros(5, 3)) { $0 + $1.dU }
    expectClose(dW.storage, g["W"], tolerance: 1e-12, "Σ terms ∂E/∂W")
    expectClose(dU.storage, g["U"], tolerance: 1e-12, "Σ terms ∂E/∂U")
  }

  /// Source 004's index loops and the recursion are the same sum, at D = 2, H = 4, K = 3, T = 5.
  @Test(arguments: 0..<8 as Range<UInt64>)
  func indexFormEqualsRecursion(seed: UInt64) {
    let ex = example(Dims(D: 2, H: 4, K: 3), steps: 5, seed: seed)
    let index = bpttIndexForm(ex.run, targets: ex.model.targets, p: ex.p)
    let recursive = ex.gradients
    let names = ex.point.map(\.name)
    #expect(names == ["U", "W", "b", "V", "b_y", "s_{−1}"])
    for (name, (a, b)) in zip(names, zip(index.flat, recursive.flat)) {
      expectClose(a, b, tolerance: 1e-12, "seed \(seed) ∂E/∂\(name)")
    }
  }

  /// With T = 1 there is no later step: the recursion is the output layer's backward pass
  /// feeding the RNN step's, and ∂E/∂s_{−1} is that step's dh_{t−1}.
  @Test func singleStepIsRNNStepPlusOutputLayer() {
    let ex = example(Dims(D: 3, H: 5, K: 4), steps: 1, seed: 11)
    let (g, p) = (ex.gradients, ex.p)
    let cache = ex.run.caches[0]
    let out = outputLayerBackward(
      yHat: ex.run.yHats[0], target: ex.model.targets[0], s: cache.h, V: p.matrix("V"))
    let step = rnnStepBackward(out.ds, cache: cache, W: p.matrix("W"), U: p.matrix("U"))
    expectClose(g.parameters["V"], out.dV.storage, "dV")
    expectClose(g.parameters["b_y"], out.db_y, "db_y")
    expectClose(g.parameters["W"], step.dW.storage, "dW")
    expectClose(g.parameters["U"], step.dU.storage, "dU")
    expectClose(g.parameters["b"], step.db, "db")
    expectClose(g.initialState.h, step.dhPrev, "dh0")
    #expect(g.upstream.count == 1)
    expectClose(g.upstream.first?.h ?? [], out.ds, "∂E/∂s_0")
  }

  /// A recursion that forgets dhNext (each step sees only its own E_t) is caught.
  ///
  /// The real RNN cell, whose backward step passes nothing on to s_{t−1}. The oracles on the whole model catch it
  /// for U, W, b and s_{−1}, but not V and b_y, which never depend on it.
  @Test func recursionWithoutDhNextIsCaught() {
    let ex = example(Dims(D: 3, H: 5, K: 4), steps: 3, seed: 5)
    let checks = verify(ex.model, at: ex.point, analytic: ex.gradients(with: withoutDhNext))
    let failed = Set(checks.filter { !$0.passed }.map(\.parameter))
    #expect(failed == ["U", "W", "b", "s_{−1}"], "\(checks.map(\.summary))")
    // The unchanged cell through the same wrapper is the walk's own result.
    let unchanged = MistakenCell(base: RNNCell()) { RNNCell().backward($0, $1, $2) }
    #expect(ex.gradients(with: unchanged) == ex.gradients.flat)
  }
}

extension BPTTTests {
  /// At H = 48, W has 2304 entries: the oracles switch to uᵀ J v on unit directions, and the
  /// recursion still passes every check — and a recursion without the through-time carry fails.
  @Test func projectedModeAtLargeHidden() {
    let ex = example(Dims(D: 4, H: 48, K: 3), steps: 3, seed: 7)
    let checks = verify(ex.model, at: ex.point, analytic: ex.gradients.flat)
    #expect(checks.contains { $0.parameter == "W" && $0.projected })
    for check in checks { #expect(check.passed, "\(check.summary)") }
    // Without dhNext, each step's ∂E/∂W misses what later steps owe through s_t.
    let bad = verify(ex.model, at: ex.point, analytic: ex.gradients(with: withoutDhNext))
      .filter { $0.parameter == "W" }
    #expect(!bad.isEmpty && bad.allSatisfy { !$0.passed && $0.projected })
  }
}
