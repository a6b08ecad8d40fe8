@testable import RNNDerivations
import Testing

/// The candidate's weights and inputs at D = 2, H = 3.
///
/// Expected values below are NumPy 2.4.6 (float64) on exactly these numbers, with
/// Wh, Uh, bh, x, hp = W, U, b, x, hPrev and the expression each test quotes.
private enum Candidate {
  static let p = GateParameters<Double>(
    W: Matrix(rows: 3, cols: 3, storage: [0.4, -0.7, 0.2, 0.9, 0.1, -0.3, -0.5, 0.6, 0.8]),
    U: Matrix(rows: 3, cols: 2, storage: [0.3, -0.2, 0.5, 0.7, -0.6, 0.1]), b: [0.05, -0.1, 0.2])
  static let x = [0.7, -0.4]
  static let hPrev = [0.3, -0.6, 0.9]

  static func forward(r: [Double], _ variant: GRUVariant) -> [Double] {
    gruCandidateForward(x: x, hPrev: hPrev, r: r, p: p, variant: variant)
  }
}

/// A random GRU problem, drawn as the traces draw one (inputs only: no expected value comes
/// from it).
private func example(_ variant: GRUVariant, _ dims: Dims, steps: Int, seed: UInt64)
  -> SequenceExample<GRUCell>
{
  SequenceExample(GRUCell(variant: variant), dims, steps: steps, seed: seed, stateNames: ["h_{−1}"])
}

@Suite struct GRUCellTests {
  // MARK: Traces

  @Test(arguments: ["gru-gates", "gru-bptt"])
  func everySizeAndSeedPasses(id: String) throws { try expectPassesEverywhere(id) }

  // MARK: The two conventions

  /// With r = 1 the conventions agree bit for bit.
  ///
  /// W_h (1 ⊙ h) and 1 ⊙ (W_h h) are the same products, so they agree exactly, and both
  /// are tanh(W_h h_{t−1} + U_h x_t + b_h).
  /// NumPy: np.tanh(Wh@hp + Uh@x + bh).
  @Test func conventionsAgreeWhenResetIsOne() {
    let ones = [1.0, 1.0, 1.0]
    let before = Candidate.forward(r: ones, .resetBefore)
    let after = Candidate.forward(r: ones, .resetAfter)
    #expect(before == after)
    expectClose(
      before, [0.7856638590269437, -0.0897577847471601, -0.04995837495787987], "h̃ at r = 1")
  }

  /// With r = 0 both drop h_{t−1} entirely.
  ///
  /// W_h (0 ⊙ h) = 0 = 0 ⊙ (W_h h), so both are
  /// tanh(U_h x_t + b_h). NumPy: np.tanh(Uh@x + bh).
  @Test func conventionsAgreeWhenResetIsZero() {
    let zeros = [0.0, 0.0, 0.0]
    let before = Candidate.forward(r: zeros, .resetBefore)
    let after = Candidate.forward(r: zeros, .resetAfter)
    #expect(before == after)
    expectClose(
      before, [0.3274773948087053, -0.029991003238820143, -0.2542955326263911], "h̃ at r = 0")
  }

  /// For a general r = [0.2, 0.7, 0.9] the conventions are different functions.
  ///
  /// NumPy: np.tanh(Wh@(r*hp) + Uh@x + bh) and np.tanh(r*(Wh@hp) + Uh@x + bh).
  @Test func conventionsDifferForGeneralReset() {
    let r = [0.2, 0.7, 0.9]
    let before = Candidate.forward(r: r, .resetBefore)
    let after = Candidate.forward(r: r, .resetAfter)
    expectClose(
      before, [0.6750698748386079, -0.255230628306125, 0.10560477088938747], "h̃ reset-before")
    expectClose(
      after, [0.44944135186836454, -0.07187584144881774, -0.07088093640739958], "h̃ reset-after")
    #expect(zip(before, after).allSatisfy { abs($0 - $1) > 0.1 })
  }

  // MARK: The update, by hand

  /// The update and its three partials, by hand.
  ///
  /// z = [1/4, 1/2], h_{t−1} = [2, −1], h̃ = [1/2, 1/4], all exact in binary:
  /// h = z ⊙ h_{t−1} + (1 − z) ⊙ h̃ = [0.5 + 0.375, −0.5 + 0.125] = [0.875, −0.375].
  /// With dh = [1, 2]: ∂E/∂z = dh ⊙ (h_{t−1} − h̃) = [1.5, −2.5], ∂E/∂h_{t−1} (direct)
  /// = dh ⊙ z = [0.25, 1], ∂E/∂h̃ = dh ⊙ (1 − z) = [0.75, 1].
  @Test func updateKnownAnswer() {
    let (z, hPrev, candidate) = ([0.25, 0.5], [2.0, -1.0], [0.5, 0.25])
    #expect(gruUpdateForward(z: z, hPrev: hPrev, candidate: candidate) == [0.875, -0.375])
    let g = gruUpdateBackward([1.0, 2.0], z: z, hPrev: hPrev, candidate: candidate)
    #expect(g.dz == [1.5, -2.5])
    #expect(g.dhPrev == [0.25, 1.0])
    #expect(g.dCandidate == [0.75, 1.0])
  }

  // MARK: A wrong backward pass is caught

  /// The real reset-after cell, except that its backward step takes ∂E/∂W_h from the
  /// reset-before formula, da ⊗ (r ⊙ h_{t−1}), instead of (r ⊙ da) ⊗ h_{t−1}.
  ///
  /// The wrong ∂E/∂W_h feeds nothing else (it is accumulated, never propagated), so W_h alone
  /// fails, and every oracle sees it.
  @Test(arguments: [1, 3])
  func resetBeforeWeightGradientInResetAfterIsCaught(steps: Int) {
    let ex = example(.resetAfter, Dims(D: 3, H: 5, K: 4), steps: steps, seed: 4)
    let cell = ex.model.cell
    let mistaken = MistakenCell(base: cell) { dState, k, p in
      var g = cell.backward(dState, k, reading: p)
      let da = g.parameters.first { $0.name == "b_h" }?.gradient.values ?? []  // ∂E/∂b_h = da
      let wrong = StepGradient.outer(da, k.r .* k.hPrev)  // wrong: da ⊗ (r ⊙ h)
      g.parameters = g.parameters.map { $0.name == "W_h" ? ("W_h", wrong) : $0 }
      return g
    }
    let rightChecks = verify(ex.model, at: ex.point, analytic: ex.gradients.flat)
    #expect(
      rightChecks.allSatisfy { $0.passed }, "\(rightChecks.filter { !$0.passed }.map(\.summary))")

    let checks = verify(ex.model, at: ex.point, analytic: ex.gradients(with: mistaken))
    let failing = checks.filter { !$0.passed }
    #expect(Set(failing.map(\.parameter)) == ["W_h"], "\(checks.map(\.summary))")
    #expect(failing.count == Oracle.allCases.count, "every oracle sees it")
    for check in failing { #expect(check.summary.contains("∂E/∂W_h"), "\(check.summary)") }
  }
}

// MARK: The paths into h_{t−1}

/// One GRU step with h_{t−1} fed in as four separate copies.
///
/// One copy per place the forward pass reads h_{t−1}: the reset gate, the update gate, the
/// candidate's recurrent product, and the update's direct term z ⊙ h_{t−1}. Built here from the
/// elementary functions, not from `gruStepForward`.
private struct GRUStepWithCopies: ForwardFunction {
  static let copies = ["h→r", "h→z", "h→h̃", "h direct"]
  var variant: GRUVariant
  var outputName: String { "h_t" }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    let (p, x) = (GRUGates(v), v["x_t"] as [T])
    let r = gateForward(x: x, hPrev: v["h→r"], W: p.r.W, U: p.r.U, b: p.r.b)
    let z = gateForward(x: x, hPrev: v["h→z"], W: p.z.W, U: p.z.U, b: p.z.b)
    let candidate = gruCandidateForward(x: x, hPrev: v["h→h̃"], r: r, p: p.h, variant: variant)
    return gruUpdateForward(z: z, hPrev: v["h direct"], candidate: candidate)
  }
}

/// The library's step, `h_t` as a function of the same variables with one `h_{t−1}`.
private struct GRUStepOutput: ForwardFunction {
  var variant: GRUVariant
  var outputName: String { "h_t" }
  func evaluate<T: Scalar>(_ v: Parameters<T>) -> [T] {
    gruStepForward(x: v["x_t"], hPrev: v["h_{t−1}"], p: GRUGates(v), variant: variant).h
  }
}

extension GRUCellTests {
  /// `∂E/∂h_{t−1}` is the direct path `z ⊙ δh` plus exactly three weight paths, through W_z,
  /// W_r and W_h, in both conventions, and each is the formula the `gru-bptt` trace prints.
  ///
  /// The Jacobians are the dual oracle's, on the forward pass only; the vector–Jacobian
  /// products they are compared with are written out by hand below from the cache.
  @Test(arguments: GRUVariant.allCases)
  func dhPrevIsDirectPlusThreeWeightPaths(variant: GRUVariant) throws {
    var rng = SplitMix64(seed: 9)
    let dims = Dims(D: 3, H: 4, K: 2)
    let cell = GRUCell(variant: variant)
    let params = Parameters.random(cell.parameters, dims, &rng, scale: 1)
    let (x, hPrev, g) = (rng.vector(dims.D), rng.vector(dims.H), rng.vector(dims.H))
    let p = GRUGates(params)
    let k = gruStepForward(x: x, hPrev: hPrev, p: p, variant: variant).cache
    let shared = params.variables + [Variable("x_t", x)]
    let copiesPoint = shared + GRUStepWithCopies.copies.map { Variable($0, hPrev) }
    let copies = GRUStepWithCopies(variant: variant)
    // gᵀ J for each copy: what that path sends back to h_{t−1}.
    let sent = GRUStepWithCopies.copies.indices.map { c in
      let J = DualOracle.jacobian(copies, at: copiesPoint, wrt: shared.count + c)
      return (0..<dims.H).map { j in (0..<dims.H).reduce(0) { $0 + g[$1] * J[$1 * dims.H + j] } }
    }
    // The four copies are every use of h_{t−1}: together they give the step's whole gradient.
    let whole = DualOracle.jacobian(
      GRUStepOutput(variant: variant), at: shared + [Variable("h_{t−1}", hPrev)],
      wrt: shared.count)
    let total = (0..<dims.H).map { j in
      (0..<dims.H).reduce(0) { $0 + g[$1] * whole[$1 * dims.H + j] }
    }
    expectClose(sent.reduce(zeroed(g)) { $0 .+ $1 }, total, tolerance: 1e-14, "Σ paths")

    // The formulas of the trace, by hand: δ's are ∂E/∂(pre-activation).
    let sigmoidPrime = { (s: [Double]) in s.map { $0 * (1 - $0) } }
    let da = g .* k.z.map { 1 - $0 } .* k.candidate.map { 1 - $0 * $0 }  // ∂E/∂h̃ ⊙ (1 − h̃²)
    let dz = g .* (hPrev .- k.candidate) .* sigmoidPrime(k.z)
    let dr: [Double]
    let viaCandidate: [Double]
    switch variant {
    case .resetBefore:
      dr = p.h.W.transposeTimes(da) .* hPrev .* sigmoidPrime(k.r)
      viaCandidate = k.r .* p.h.W.transposeTimes(da)  // r ⊙ (W_hᵀ δa)
    case .resetAfter:
      dr = da .* (p.h.W * hPrev) .* sigmoidPrime(k.r)
      viaCandidate = p.h.W.transposeTimes(k.r .* da)  // W_hᵀ (r ⊙ δa)
    }
    expectClose(sent[0], p.r.W.transposeTimes(dr), tolerance: 1e-14, "W_rᵀ δr")
    expectClose(sent[1], p.z.W.transposeTimes(dz), tolerance: 1e-14, "W_zᵀ δz")
    expectClose(sent[2], viaCandidate, tolerance: 1e-14, "W_h path")
    expectClose(sent[3], g .* k.z, tolerance: 1e-15, "z ⊙ δh")
    for path in sent { #expect(path.contains { abs($0) > 1e-3 }, "every path carries something") }

    // The trace states the same four terms, in text and in LaTeX.
    let trace = try #require(Catalog.derivation("gru-bptt")).trace(Config())
    let step = try #require(trace.steps.first { $0.title.hasPrefix(variant.rawValue) })
    let (text, latex) =
      variant == .resetBefore
      ? ("r ⊙ (W_hᵀ δa)", #"r_{t+1} \odot (W_h^\top \delta a)"#)
      : ("W_hᵀ (r ⊙ δa)", #"W_h^\top (r_{t+1} \odot \delta a)"#)
    #expect(step.equation.hasSuffix("dhNext = z ⊙ δh + W_zᵀ δz + W_rᵀ δr + " + text))
    #expect(
      step.latex.hasSuffix(
        #"z_{t+1} \odot \delta h_{t+1} + W_z^\top \delta z + W_r^\top \delta r + "# + latex))
    #expect(step.note.contains("three weight paths") && !step.equation.contains("four"))
  }
}
