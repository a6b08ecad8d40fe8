@testable import RNNDerivations
import Testing

/// A gate's weights from rows (as NumPy arrays are written).
private func gate(W: [[Double]], U: [[Double]], b: [Double]) -> GateParameters<Double> {
  GateParameters(
    W: Matrix(rows: W.count, cols: W[0].count, storage: W.flatMap { $0 }),
    U: Matrix(rows: U.count, cols: U[0].count, storage: U.flatMap { $0 }), b: b)
}

/// One step at D = 2, H = 3 (no output layer).
///
/// The expected values of the tests below are NumPy 2.4.6 (float64) on exactly these
/// numbers: a[g] = W[g]@h + U[g]@x + b[g] per gate, then the expression each test quotes.
private enum Step {
  static let p = LSTMGates<Double>(
    i: gate(
      W: [[0.1, -0.2, 0.3], [0.0, 0.4, -0.1], [0.2, 0.1, 0.0]],
      U: [[0.5, -0.3], [0.2, 0.1], [-0.4, 0.6]], b: [0.1, 0.0, -0.1]),
    f: gate(
      W: [[-0.3, 0.1, 0.2], [0.2, -0.1, 0.4], [0.0, 0.3, -0.2]],
      U: [[0.4, 0.2], [-0.5, 0.3], [0.1, -0.2]], b: [0.0, 0.2, -0.3]),
    o: gate(
      W: [[0.2, 0.0, -0.1], [0.1, 0.3, 0.2], [-0.2, 0.1, 0.4]],
      U: [[-0.1, 0.4], [0.3, -0.2], [0.2, 0.2]], b: [0.05, -0.05, 0.1]),
    c: gate(
      W: [[0.3, -0.1, 0.0], [-0.2, 0.2, 0.1], [0.1, 0.0, 0.3]],
      U: [[0.6, 0.1], [-0.3, 0.5], [0.2, -0.4]], b: [-0.1, 0.1, 0.0]))
  static let x = [0.7, -0.4]
  static let hPrev = [0.3, -0.6, 0.9]
  static let cPrev = [0.5, -1.2, 0.8]
  static let dh = [1.0, -0.5, 0.25]
  static let dc = [0.2, 0.4, -0.3]
}

/// A random LSTM problem (forget_bias 0), drawn as the traces draw one (inputs only: no
/// expected value comes from it).
private func example(_ dims: Dims, steps: Int, seed: UInt64) -> SequenceExample<LSTMCell> {
  SequenceExample(
    LSTMCell(forgetBias: 0), dims, steps: steps, seed: seed, stateNames: ["h_{−1}", "c_{−1}"])
}

/// The twelve gate parameter names.
private func gateNames(_ gates: String...) -> Set<String> {
  Set(gates.flatMap { ["W_" + $0, "U_" + $0, "b_" + $0] })
}

/// A gate's three parameters as named variables, from rows.
private func gateVariables(_ g: String, W: [[Double]], U: [[Double]], b: [Double]) -> [Variable] {
  let p = gate(W: W, U: U, b: b)
  return [Variable("W_" + g, p.W), Variable("U_" + g, p.U), Variable("b_" + g, p.b)]
}

@Suite struct LSTMCellTests {
  // MARK: Traces

  @Test(arguments: ["lstm-gates", "lstm-bptt"])
  func everySizeAndSeedPasses(id: String) throws { try expectPassesEverywhere(id) }

  // MARK: Single functions, known answers

  /// The cell update and its four partials, by hand at H = 2.
  ///
  /// Every value is exact in binary except 0.3 and 0.1 (one rounding each):
  /// c = f ⊙ c_{t−1} + i ⊙ c̃ = [0.5·2 + 0.75·0.4, 0.25·(−4) + 0.5·(−0.2)] = [1.3, −1.1].
  /// With dc = [1, −2]: ∂E/∂f = dc ⊙ c_{t−1} = [2, 8], ∂E/∂c_{t−1} = dc ⊙ f = [0.5, −0.5],
  /// ∂E/∂i = dc ⊙ c̃ = [0.4, 0.4], ∂E/∂c̃ = dc ⊙ i = [0.75, −1].
  @Test func cellKnownAnswer() {
    let (f, cPrev, i, candidate) = ([0.5, 0.25], [2.0, -4.0], [0.75, 0.5], [0.4, -0.2])
    let c = lstmCellForward(f: f, cPrev: cPrev, i: i, candidate: candidate)
    expectClose(c, [1.3, -1.1], tolerance: 1e-15, "c")
    let g = lstmCellBackward([1.0, -2.0], f: f, cPrev: cPrev, i: i, candidate: candidate)
    #expect(g.df == [2.0, 8.0])
    #expect(g.dcPrev == [0.5, -0.5])
    expectClose(g.di, [0.4, 0.4], tolerance: 1e-15, "di")
    #expect(g.dCandidate == [0.75, -1.0])
  }

  /// The output h = o ⊙ tanh c and its two partials.
  ///
  /// At o = [0.5, 0.8], c = [1, −0.5], with dh = [1, 2]: ∂E/∂o = dh ⊙ tanh c,
  /// ∂E/∂c = dh ⊙ o ⊙ (1 − tanh² c).
  /// NumPy, with g = dh: o*np.tanh(c), g*np.tanh(c), g*o*(1-np.tanh(c)**2).
  @Test func outputKnownAnswer() {
    let (o, c) = ([0.5, 0.8], [1.0, -0.5])
    expectClose(
      lstmOutputForward(o: o, c: c).h, [0.3807970779778824, -0.3696937258080078], tolerance: 1e-15,
      "h")
    let g = lstmOutputBackward([1.0, 2.0], o: o, tanhC: lstmOutputForward(o: o, c: c).tanhC)
    expectClose(g.dO, [0.7615941559557649, -0.9242343145200195], tolerance: 1e-15, "dO")
    expectClose(g.dc, [0.20998717080701307, 1.258316372745484], tolerance: 1e-15, "dc")
  }

  /// The candidate c̃ = tanh(W_c h_{t−1} + U_c x_t + b_c) at D = 2, H = 3.
  ///
  /// NumPy: np.tanh(W['c']@h + U['c']@x + b['c']).
  @Test func candidateKnownAnswer() {
    let candidate = lstmCandidateForward(x: Step.x, hPrev: Step.hPrev, p: Step.p.c)
    expectClose(
      candidate, [0.4053213086894629, -0.3799489622552248, 0.5370495669980353], tolerance: 1e-12,
      "c̃")
  }

  /// forget_bias enters f alone.
  ///
  /// f = σ(a_f + 1) instead of σ(a_f), with a_f = W_f h_{t−1} + U_f x_t + b_f
  /// = [0.23, 0.21, −0.51]; i, o and c̃ are untouched.
  /// NumPy: sig(a['f']) and sig(a['f'] + 1.0) with sig = 1/(1+np.exp(-a)), then
  /// c = f*cp + i*cc, h = o*np.tanh(c).
  @Test func forgetBiasShiftsOnlyTheForgetGate() {
    let k0 = lstmStepForward(
      x: Step.x, hPrev: Step.hPrev, cPrev: Step.cPrev, p: Step.p, forgetBias: 0
    ).cache
    let k1 = lstmStepForward(
      x: Step.x, hPrev: Step.hPrev, cPrev: Step.cPrev, p: Step.p, forgetBias: 1
    ).cache
    expectClose(k0.f, [0.5572478545985555, 0.5523079095743253, 0.3751935255315707], "σ(a_f)")
    expectClose(k1.f, [0.7738185742694538, 0.7702989490466019, 0.6201064323430902], "σ(a_f + 1)")
    #expect(k0.i == k1.i)
    #expect(k0.o == k1.o)
    #expect(k0.candidate == k1.candidate)
    expectClose(k0.i, [0.7290879223493065, 0.44275214540144436, 0.34978145142617295], "i")
    expectClose(k0.o, [0.4476920904256747, 0.5670929049654543, 0.598687660112452], "o")
    expectClose(k0.c, [0.5741387981355802, -0.8309927096707435, 0.4880047974576271], "c, bias 0")
    expectClose(k1.c, [0.6824241579710293, -1.0925819570374755, 0.6839351229068427], "c, bias 1")
    expectClose(k0.h, [0.23208015238437077, -0.38619519288849, 0.2709848524319727], "h, bias 0")
    expectClose(k1.h, [0.26552308640381356, -0.45243725805175045, 0.3556633861946701], "h, bias 1")
  }

  /// With dh = 0 nothing arrives through h_t, so dc_total = dc; with W_f = U_f = 0 and
  /// b_f = 0 the forget gate is σ(0) = 1/2 everywhere:
  /// ∂E/∂c_{t−1} = dc ⊙ f = [0.1, 0.2, −0.15] by hand.
  @Test func dcPrevIsDcTimesForgetGateByHand() {
    var p = Step.p
    p.f = gate(
      W: Array(repeating: [0, 0, 0], count: 3), U: [[0, 0], [0, 0], [0, 0]], b: [0, 0, 0])
    let k = lstmStepForward(x: Step.x, hPrev: Step.hPrev, cPrev: Step.cPrev, p: p, forgetBias: 0)
      .cache
    #expect(k.f == [0.5, 0.5, 0.5])
    let g = lstmStepBackward(dh: [0, 0, 0], dc: Step.dc, cache: k, p: p)
    #expect(g.dcThroughH == [0, 0, 0])
    #expect(g.dcPrev == [0.1, 0.2, -0.15])
  }

  /// With dh ≠ 0, ∂E/∂c_{t−1} is the total ∂E/∂c_t times f.
  ///
  /// dc_total = dc + dh ⊙ o ⊙ (1 − tanh² c) and ∂E/∂c_{t−1} = dc_total ⊙ f.
  /// NumPy: dct = dc + dh*o*(1-np.tanh(c)**2); dct*f, for forget_bias 0 and 1.
  @Test(arguments: [
    (
      0.0, [0.5273835161117071, 0.24795468754587507, -0.180992150368602],
      [0.2938833329038915, 0.13694733514761726, -0.06790708299033596]
    ),
    (
      1.0, [0.4902121819770537, 0.2969349736478431, -0.20315047162993966],
      [0.3793352917470017, 0.22872869813611396, -0.12597491419125803]
    ),
  ])
  func dcPrevIsTotalDcTimesForgetGate(forgetBias: Double, dcTotal: [Double], dcPrev: [Double]) {
    let k = lstmStepForward(
      x: Step.x, hPrev: Step.hPrev, cPrev: Step.cPrev, p: Step.p, forgetBias: forgetBias
    ).cache
    let g = lstmStepBackward(dh: Step.dh, dc: Step.dc, cache: k, p: Step.p)
    expectClose(Step.dc .+ g.dcThroughH, dcTotal, "dc_total")
    expectClose(g.dcPrev, dcPrev, "∂E/∂c_{t−1}")
  }

  // MARK: A NumPy reference

  /// D = 1, H = 2, K = 2, T = 2, forget_bias 1 and 0, non-zero initial state.
  ///
  /// Loss and final state from NumPy 2.4.6, written independently of this project
  /// (a short script: `sig(W h + U x + b)` per gate, `f` adds forget_bias, `c = f*c + i*c̃`,
  /// `h = o*tanh(c)`, `E += -log(softmax(V h + b_y)[k])`). The same script reproduces every
  /// TensorFlow fixture loss (lstm, lstm-forget-bias) to 2e-16 relative.
  @Test(arguments: [
    (
      1.0, 1.544901657314465, [0.1930068722708655, 0.10396893029110016],
      [0.4696877398393803, 0.2372987676907809]
    ),
    (
      0.0, 1.5947603454821844, [0.1274711114512332, 0.07769343721249217],
      [0.2983935736855474, 0.17676447553470687]
    ),
  ])
  func tinyLSTMMatchesNumPy(forgetBias: Double, loss: Double, h: [Double], c: [Double]) {
    let dims = Dims(D: 1, H: 2, K: 2)
    let point =
      gateVariables("i", W: [[0.1, -0.2], [0.3, 0.05]], U: [[0.4], [-0.3]], b: [0.0, 0.1])
      + gateVariables("f", W: [[0.2, 0.1], [-0.1, 0.3]], U: [[-0.5], [0.2]], b: [0.1, -0.2])
      + gateVariables("o", W: [[-0.3, 0.2], [0.1, 0.1]], U: [[0.3], [0.6]], b: [0.0, 0.05])
      + gateVariables("c", W: [[0.5, -0.4], [0.2, 0.2]], U: [[0.7], [-0.6]], b: [0.1, 0.0])
      + [
        Variable("V", Matrix(rows: 2, cols: 2, storage: [0.8, -0.5, -0.3, 0.9])),
        Variable("b_y", [0.1, -0.1]), Variable("h_{−1}", [0.2, -0.1]),
        Variable("c_{−1}", [0.3, 0.4]),
      ]
    let model = SequenceModel(
      LSTMCell(forgetBias: forgetBias), xs: [[1.0], [-0.5]], targets: [1, 0], dims: dims,
      stateNames: ["h_{−1}", "c_{−1}"])
    #expect(point.map(\.name) == model.parameters.map(\.name) + model.stateNames)
    let result = model.gradients(at: point)
    expectClose([result.loss], [loss], "E")
    expectClose(model.evaluate(Parameters(point)), [loss], "E (generic forward)")
    #expect(result.finalState.map(\.name) == ["h", "c"])
    expectClose(result.finalState.first?.values ?? [], h, "final h")
    expectClose(result.finalState.last?.values ?? [], c, "final c")
    // And the hand-derived gradients at this point agree with both oracles.
    let checks = verify(model, at: point, analytic: result.gradients)
    #expect(checks.count == point.count * Oracle.allCases.count)
    for check in checks { #expect(check.passed, "\(check.summary)") }
  }

  // MARK: Wrong backward passes are caught

  /// The real LSTM cell, except that its backward step is handed no `dcNext` (each step's
  /// cell sees only what arrives through its own h_t).
  ///
  /// V and b_y never depend on it and pass; the initial state and the i, f, c gates fail. At
  /// T = 2 the o gate still passes — step 1 carries nothing into c_1 anyway, and step 0's
  /// dO = dh ⊙ tanh c needs only dh, whose dhNext comes from the unaffected step 1; from T = 3
  /// on, a wrong dc at step 1 reaches step 0's dh through dhNext, and o fails too.
  @Test(arguments: [(2, gateNames("i", "f", "c")), (3, gateNames("i", "f", "o", "c"))])
  func bpttWithoutCellCarryIsCaught(steps: Int, failingGates: Set<String>) {
    let ex = example(Dims(D: 3, H: 5, K: 4), steps: steps, seed: 7)
    let cell = ex.model.cell
    let withoutCarry = MistakenCell(base: cell) { dState, cache, p in
      cell.backward(CellState(h: dState.h, c: dState.c.map(zeroed)), cache, reading: p)
    }
    let rightChecks = verify(ex.model, at: ex.point, analytic: ex.gradients.flat)
    #expect(
      rightChecks.allSatisfy { $0.passed }, "\(rightChecks.filter { !$0.passed }.map(\.summary))")

    let checks = verify(ex.model, at: ex.point, analytic: ex.gradients(with: withoutCarry))
    let failed = Set(checks.filter { !$0.passed }.map(\.parameter))
    #expect(failed == failingGates.union(["h_{−1}", "c_{−1}"]), "\(checks.map(\.summary))")
  }

  /// A step backward that writes tanh(c) where 1 − tanh²(c) belongs in ∂h_t/∂c_t.
  ///
  /// Composed from the cell's own pieces, with a switch; the right switch reproduces
  /// `lstmStepBackward`. At T = 1 the wrong ∂E/∂c_t reaches i, f and c̃ (through the cell) and
  /// both initial states, but not o (∂E/∂o = dh ⊙ tanh c), V or b_y — so exactly those pass.
  @Test func tanhInsteadOfItsDerivativeIsCaught() {
    let ex = example(Dims(D: 3, H: 5, K: 4), steps: 1, seed: 2)
    func stepBackward(rightDerivative: Bool) -> MistakenCell<LSTMCell> {
      MistakenCell(base: ex.model.cell) { dState, k, params in
        let (dh, p, tanhC) = (dState.h, LSTMGates(params), tanhForward(k.c))
        let dcThroughH =
          rightDerivative
          ? tanhBackward(dh .* k.o, h: tanhC)  // dh ⊙ o ⊙ (1 − tanh² c)
          : dh .* k.o .* tanhC  // wrong: dh ⊙ o ⊙ tanh c
        let dc = (dState.c ?? zeroed(dh)) .+ dcThroughH
        let cell = lstmCellBackward(dc, f: k.f, cPrev: k.cPrev, i: k.i, candidate: k.candidate)
        let gi = gateBackward(cell.di, gate: k.i, x: k.x, hPrev: k.hPrev, W: p.i.W, U: p.i.U)
        let gf = gateBackward(cell.df, gate: k.f, x: k.x, hPrev: k.hPrev, W: p.f.W, U: p.f.U)
        let go = gateBackward(dh .* tanhC, gate: k.o, x: k.x, hPrev: k.hPrev, W: p.o.W, U: p.o.U)
        let gc = lstmCandidateBackward(
          cell.dCandidate, candidate: k.candidate, x: k.x, hPrev: k.hPrev, p: p.c)
        return CellGradients(
          parameters: gi.named(LSTMCell.gates.i) + gf.named(LSTMCell.gates.f)
            + go.named(LSTMCell.gates.o) + gc.named(LSTMCell.gates.c),
          dStatePrev: CellState(
            h: gi.dhPrev .+ gf.dhPrev .+ go.dhPrev .+ gc.dhPrev, c: cell.dcPrev),
          dx: gi.dx .+ gf.dx .+ go.dx .+ gc.dx)
      }
    }

    let right = ex.gradients(with: stepBackward(rightDerivative: true))
    for (a, b) in zip(right, ex.gradients.flat) {
      #expect(a == b, "the composition is lstmStepBackward")
    }
    #expect(verify(ex.model, at: ex.point, analytic: right).allSatisfy { $0.passed })

    let checks = verify(
      ex.model, at: ex.point, analytic: ex.gradients(with: stepBackward(rightDerivative: false)))
    let failed = Set(checks.filter { !$0.passed }.map(\.parameter))
    #expect(
      failed == gateNames("i", "f", "c").union(["h_{−1}", "c_{−1}"]), "\(checks.map(\.summary))")
    let passed = Set(checks.filter(\.passed).map(\.parameter))
    #expect(passed == gateNames("o").union(["V", "b_y"]))
  }
}

extension LSTMCellTests {
  /// The `lstm-bptt` trace's ∂E/∂c_t = ∂E/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t) + dcNext, where dcNext
  /// (the walk's carry) is ∂E/∂c_{t+1} ⊙ f_{t+1} already: adding dcNext ⊙ f_{t+1} would count
  /// the forget gate twice.
  ///
  /// Independent construction: the walk restarted at step t + 1 from (h_t, c_t) as its initial
  /// state; the dual oracle's derivative of its loss with respect to that c, h_t held fixed, is
  /// exactly the path through c_{t+1}.
  @Test func dcNextAlreadyCarriesTheForgetGate() throws {
    let ex = SequenceExample(
      LSTMCell(forgetBias: 0), Dims(D: 2, H: 3, K: 4), steps: 3, seed: 0,
      stateNames: ["h_{−1}", "c_{−1}"])
    let (run, model) = (ex.run, ex.model)
    for t in 0..<(model.xs.count - 1) {
      let rest = SequenceModel(
        model.cell, xs: Array(model.xs[(t + 1)...]), targets: Array(model.targets[(t + 1)...]),
        dims: model.dims, stateNames: model.stateNames)
      let point = rest.point(ex.p, initial: run.states[t])
      let throughNextCell = DualOracle.jacobian(rest, at: point, wrt: point.count - 1)
      let dcNext = ex.gradients.upstream[t].cellState
      expectClose(dcNext, throughNextCell, tolerance: 1e-13, "dcNext at t = \(t)")
      let f = run.caches[t + 1].f
      #expect(
        zip(dcNext .* f, throughNextCell).contains { abs($0 - $1) > 1e-4 },
        "dcNext ⊙ f_{t+1} would be wrong at t = \(t)")
    }
    let step = try #require(
      lstmBPTTTrace(Config()).first { $0.title == "Backward through time" })
    #expect(step.equation.contains("+ dcNext,   dcNext = ∂E/∂c_{t+1} ⊙ f_{t+1}"))
    #expect(!step.equation.contains("dcNext ⊙"))
    #expect(
      step.latex.hasSuffix(
        #"+ \underbrace{\frac{\partial E}{\partial c_{t+1}} \odot f_{t+1}}_{\mathrm{dcNext}}"#))
  }
}
