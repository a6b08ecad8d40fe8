import Foundation
@testable import RNNDerivations
import Testing

/// A random problem for the vanilla RNN, drawn as the traces draw one (inputs only: no
/// expected value comes from it).
private func example(_ dims: Dims, steps: Int, seed: UInt64) -> SequenceExample<RNNCell> {
  SequenceExample(RNNCell(), dims, steps: steps, seed: seed, stateNames: ["s_{−1}"])
}

/// The real RNN cell, except that its backward step passes nothing on to `s_{t−1}`.
private let withoutDhNext = MistakenCell(base: RNNCell()) { dState, cache, p in
  let g = RNNCell().backward(dState, cache, reading: p)
  return CellGradients(
    parameters: g.parameters, dStatePrev: CellState(h: zeroed(g.dStatePrev.h)), dx: g.dx)
}

@Suite struct BPTTTests {
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
    let unchanged = MistakenCell(base: RNNCell()) { RNNCell().backward($0, $1, reading: $2) }
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

// MARK: Two truncations (notes/BPTT.md, "Two truncations")

/// ∂E/∂W with each loss E_t sent back only to the states s_k with `keep(t, k)` (a window that
/// ends at t): one explicit backward walk per loss, one `rnnStepBackward` per state reached.
private func dWSendingEachLossBack(
  _ ex: SequenceExample<RNNCell>, keep: (_ t: Int, _ k: Int) -> Bool
) -> Matrix<Double> {
  let (W, U, V) = (ex.p.matrix("W"), ex.p.matrix("U"), ex.p.matrix("V"))
  var dW = Matrix<Double>.zeros(W.rows, W.cols)
  for t in ex.run.caches.indices {
    var ds = outputLayerBackward(  // ∂E_t/∂s_t = Vᵀ(ŷ_t − y_t)
      yHat: ex.run.yHats[t], target: ex.model.targets[t], s: ex.run.caches[t].h, V: V
    ).ds
    var k = t
    while k >= 0 && keep(t, k) {
      let step = rnnStepBackward(ds, cache: ex.run.caches[k], W: W, U: U)
      dW += step.dW  // term (t, k) of source 003's sum
      ds = step.dhPrev  // ∂E_t/∂s_{k−1}
      k -= 1
    }
  }
  return dW
}

/// ∂E/∂W from one backward walk over the whole sequence whose carry `dhNext` is zeroed at the
/// start of every chunk of `numSteps` steps: TensorFlow-style truncation (the forward state
/// still runs through; only the gradient stops).
private func dWZeroingDhNextAtChunks(_ ex: SequenceExample<RNNCell>, numSteps n: Int)
  -> Matrix<Double>
{
  let (W, U, V) = (ex.p.matrix("W"), ex.p.matrix("U"), ex.p.matrix("V"))
  var dW = Matrix<Double>.zeros(W.rows, W.cols)
  var dhNext = [Double](repeating: 0, count: W.rows)
  for t in ex.run.caches.indices.reversed() {
    let out = outputLayerBackward(
      yHat: ex.run.yHats[t], target: ex.model.targets[t], s: ex.run.caches[t].h, V: V)
    let step = rnnStepBackward(out.ds .+ dhNext, cache: ex.run.caches[t], W: W, U: U)
    dW += step.dW
    dhNext = t % n == 0 ? zeroed(step.dhPrev) : step.dhPrev  // a chunk starts at t: stop here
  }
  return dW
}

/// ‖a − b‖_F.
private func distance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
  zip(a.storage, b.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
}

extension BPTTTests {
  /// The example of notes/BPTT.md: seed 0, D = 2, H = 3, K = 2, T = 6, window n = 3.
  static let truncationExample = example(Dims(D: 2, H: 3, K: 2), steps: 6, seed: 0)

  /// True truncation (every E_t reaches the n states s_t … s_{t−n+1}) and TensorFlow-style
  /// chunks of num_steps = n (E_t reaches back only to the start of its chunk) are different
  /// sums; each is computed two ways, and the note prints these very numbers.
  @Test func twoTruncationsDiffer() throws {
    let ex = Self.truncationExample
    let n = 3
    let full = dWSendingEachLossBack(ex) { _, _ in true }
    let trueTruncation = dWSendingEachLossBack(ex) { t, k in t - k < n }
    let chunks = dWSendingEachLossBack(ex) { t, k in t / n == k / n }
    // Both styles, and no truncation, agree with their other formulation.
    expectClose(full.storage, ex.gradients.parameters["W"], tolerance: 1e-13, "untruncated")
    expectClose(
      chunks.storage, dWZeroingDhNextAtChunks(ex, numSteps: n).storage, tolerance: 1e-13,
      "chunks: dropped terms = zeroed dhNext")
    let all = dWSendingEachLossBack(ex) { t, k in t - k < ex.model.xs.count }
    #expect(all.storage == full.storage, "a window as long as the sequence truncates nothing")
    #expect(
      dWZeroingDhNextAtChunks(ex, numSteps: ex.model.xs.count).storage.elementsEqual(
        full.storage
      ) { abs($0 - $1) <= 1e-15 })
    // The library's walk in both styles (Sequence/Truncation.swift) gives the same numbers.
    for (style, expected) in [(Truncation.window(n), trueTruncation), (.chunks(n), chunks)] {
      expectClose(
        expected.storage, ex.model.backward(ex.run, ex.p, truncation: style).parameters["W"],
        tolerance: 1e-13, "the walk, \(style)")
    }
    // The two truncations differ from each other and from the full gradient.
    let gap = distance(trueTruncation, chunks)
    #expect(gap > 1e-3, "true truncation vs chunks: \(gap)")
    #expect(distance(trueTruncation, full) > 1e-4)

    let renderer = TextRenderer()
    let block = [
      NamedValue("∂E/∂W, full", full),
      NamedValue("∂E/∂W, true truncation (n = 3)", trueTruncation),
      NamedValue("∂E/∂W, TF-style chunks (num_steps = 3)", chunks),
      NamedValue("‖true − full‖_F", distance(trueTruncation, full)),
      NamedValue("‖chunks − full‖_F", distance(chunks, full)),
      NamedValue("‖true − chunks‖_F", gap),
    ].map(renderer.render).joined()
    let text = try repositoryFile("notes/BPTT.md")
    #expect(text.contains("```\n" + block + "```\n"), "notes/BPTT.md should print:\n\(block)")
  }
}
