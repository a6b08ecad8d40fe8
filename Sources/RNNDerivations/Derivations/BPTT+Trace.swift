// The traces of `rnn-explain show bptt-recursive`, `bptt-jacobian-product` and
// `bptt-index-form`: the walk of Sequence/SequenceModel.swift with `RNNCell`, and the two
// long forms of Equations/BPTT.swift, narrated.

extension SequenceExample<RNNCell> {
  /// The vanilla RNN at a config, its initial state named `s_{−1}` as sources 003 and 004 do.
  init(rnn config: Config) { self.init(RNNCell(), config, stateNames: ["s_{−1}"]) }

  var forwardStep: TraceStep {
    var values =
      ["U", "W", "b", "V", "b_y"].map { parameter($0) } + [NamedValue("s_{−1}", initial.h)]
    for t in run.caches.indices {
      values += [
        NamedValue("x_\(t)", model.xs[t]), NamedValue("s_\(t)", run.states[t].h),
        NamedValue("ŷ_\(t) (k_\(t) = \(model.targets[t]))", run.yHats[t]),
      ]
    }
    values.append(NamedValue("E", run.loss))
    return TraceStep(
      "Forward through time",
      equation:
        "s_t = tanh(U x_t + W s_{t−1} + b),  ŷ_t = softmax(V s_t + b_y),  E = Σ_t −log ŷ_t[k_t]",
      latex:
        #"s_t = \tanh(U x_t + W s_{t-1} + b),\ \hat y_t = \mathrm{softmax}(V s_t + b_y),\ E = \sum_t E_t"#,
      values: values)
  }

  /// Identity checks between two forms of BPTT: `(parameter, this form, reference form)`.
  func agreement(_ form: String, reference: String, _ pairs: [(String, [Double], [Double])])
    -> [GradientCheck]
  {
    pairs.map { label, values, expected in
      let k = point.firstIndex { $0.name == label }
      return GradientCheck(
        quantity: "∂E/∂\(label) (\(form))", parameter: label, reference: reference,
        shape: k.map { point[$0].shape } ?? .vector(values.count),
        analytic: values, expected: expected, tolerance: Tolerances.identity,
        magnitude: k.map { gradients.magnitudes[$0] } ?? 0)
    }
  }
}

func bpttRecursiveTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let g = ex.gradients
  let product = bpttJacobianProduct(ex.run, targets: ex.model.targets, p: ex.p)
  let deltas = g.upstream.enumerated().map { NamedValue("∂E/∂s_\($0.offset)", $0.element.h) }
  return [
    ex.forwardStep,
    TraceStep(
      "Backward through time",
      equation:
        "∂E/∂s_t = Vᵀ(ŷ_t − y_t) + dhNext,  da_t = ∂E/∂s_t ⊙ (1 − s_t²),  dhNext = Wᵀ da_t",
      latex:
        #"\frac{\partial E}{\partial s_t} = V^\top(\hat y_t - y_t) + W^\top\big(\tfrac{\partial E}{\partial s_{t+1}} \odot (1 - s_{t+1}^2)\big)"#,
      note:
        "Walking t = T−1 … 0, each step adds its outer products into the shared dU, dW, db, dV, "
        + "db_y; dhNext carries everything later steps owe to s_t. What is left at the end is ∂E/∂s_{−1}.",
      values: deltas + [
        NamedValue("∂E/∂U", g.parameters.matrix("U")),
        NamedValue("∂E/∂W", g.parameters.matrix("W")),
        NamedValue("∂E/∂b", g.parameters["b"]), NamedValue("∂E/∂V", g.parameters.matrix("V")),
        NamedValue("∂E/∂b_y", g.parameters["b_y"]), NamedValue("∂E/∂s_{−1}", g.initialState.h),
      ],
      checks: verify(
        ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)
        + ex.agreement(
          "recursive", reference: "bptt-jacobian-product",
          [
            ("W", g.parameters["W"], sumOfTerms(product, \.dW).storage),
            ("U", g.parameters["U"], sumOfTerms(product, \.dU).storage),
          ])),
  ]
}

func bpttJacobianProductTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let terms = bpttJacobianProduct(ex.run, targets: ex.model.targets, p: ex.p)
  let H = config.dims.H
  var steps = [ex.forwardStep]
  var dW = Matrix<Double>.zeros(H, H)
  let dU = sumOfTerms(terms, \.dU)
  for t in ex.run.caches.indices {
    var values: [NamedValue] = []
    var dWt = Matrix<Double>.zeros(H, H)
    for term in terms where term.t == t {
      dWt += term.dW
      values += [
        NamedValue("k=\(term.k): ‖Π_{j=\(term.k + 1)..\(t)} ∂s_j/∂s_{j−1}‖_F", term.productNorm),
        NamedValue("k=\(term.k): ‖term‖_F", term.dW.frobeniusNorm),
        NamedValue("k=\(term.k): ‖running sum‖_F", dWt.frobeniusNorm),
      ]
    }
    dW += dWt
    values.append(NamedValue("∂E_\(t)/∂W", dWt))
    steps.append(
      TraceStep(
        "∂E_\(t)/∂W as a sum over k = 0..\(t)",
        equation: "∂E_t/∂W = Σ_k ∂E_t/∂ŷ_t ∂ŷ_t/∂s_t (Π_{j=k+1..t} diag(1 − s_j²) W) ∂s_k/∂W",
        latex:
          #"\frac{\partial E_t}{\partial W} = \sum_{k=0}^t \frac{\partial E_t}{\partial \hat y_t}\frac{\partial \hat y_t}{\partial s_t}\Big(\prod_{j=k+1}^t \frac{\partial s_j}{\partial s_{j-1}}\Big)\frac{\partial s_k}{\partial W}"#,
        note: t == 0
          ? "For k = t the product is empty (the identity). ∂s_k/∂W is the immediate derivative: s_{k−1} held fixed."
          : "Each earlier k multiplies one more Jacobian diag(1 − s_j²) W: watch the norms shrink or grow.",
        values: values))
  }
  let g = ex.gradients
  var products = g  // the recursion's gradients, with ∂E/∂U and ∂E/∂W from the products
  products.parameters.replace("U", with: dU.storage)
  products.parameters.replace("W", with: dW.storage)
  steps.append(
    TraceStep(
      "Sum over t, and the recursion",
      equation: "∂E/∂W = Σ_t ∂E_t/∂W   (\(terms.count) terms, O(T²))  =  bptt-recursive (O(T))",
      latex: #"\frac{\partial E}{\partial W} = \sum_t \frac{\partial E_t}{\partial W}"#,
      note:
        "The recursion computes the same sum, factored: dhNext at step k already holds "
        + "Σ_{t>k} of the products, so each Jacobian is applied once instead of once per term.",
      values: [NamedValue("∂E/∂W", dW), NamedValue("∂E/∂U", dU)],
      checks: ex.agreement(
        "Jacobian products", reference: "bptt-recursive",
        [("W", dW.storage, g.parameters["W"]), ("U", dU.storage, g.parameters["U"])])
        + verify(
          ex.model, at: ex.point, analytic: products.flat, seed: config.seed,
          conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes
        ).filter {
          ["U", "W"].contains($0.parameter)
        }))
  return steps
}

/// `Σ` of one gradient over every term of the Jacobian-product form.
func sumOfTerms(
  _ terms: [JacobianProductTerm], _ part: KeyPath<JacobianProductTerm, Matrix<Double>>
)
  -> Matrix<Double>
{
  terms.dropFirst().reduce(terms[0][keyPath: part]) { $0 + $1[keyPath: part] }
}

func bpttIndexFormTrace(_ config: Config) -> [TraceStep] {
  let ex = SequenceExample(rnn: config)
  let g = bpttIndexForm(ex.run, targets: ex.model.targets, p: ex.p)
  let r = ex.gradients
  let names = ex.point.map(\.name)
  return [
    ex.forwardStep,
    TraceStep(
      "Index loops",
      equation:
        "∂E_t/∂S_t^h = Σ_k ∂E_t/∂y_t^k ∂y_t^k/∂S_t^h,  ∂E/∂v_kh, ∂E/∂u_hd, ∂E/∂w_hj, summed over t",
      latex:
        #"\frac{\partial E_0}{\partial S^h_0} = \sum_{k=1}^K \frac{\partial E_0}{\partial y^k_0}\frac{\partial y^k_0}{\partial S^h_0}"#,
      note:
        "Source 004 names the targets ∂E/∂v_hk, ∂E/∂u_ij, ∂E/∂w_dh; with its own roles "
        + "(U: D→H, W: H×H, V: H→K) they are v_kh, u_hd and w_hj (Errata).",
      values: ["V", "U", "W"].map { NamedValue("∂E/∂" + $0, g.parameters.matrix($0)) },
      checks: ex.agreement(
        "index form", reference: "bptt-recursive",
        zip(names, zip(g.flat, r.flat)).map { ($0, $1.0, $1.1) })
        + verify(
          ex.model, at: ex.point, analytic: g.flat, seed: config.seed,
          conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)),
  ]
}
