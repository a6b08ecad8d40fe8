// Backpropagation through time for the vanilla RNN, written out as sources 003 (the sum of
// Jacobian products) and 004 (the element-wise index form). The recursion itself is the one
// walk in Sequence/SequenceModel.swift, run with `RNNCell`; these two forms compute the same
// gradients the long way, as the sources write them. Time runs t = 0..<T from the initial
// state s_{−1}, as in both sources.

/// The vanilla RNN's forward pass over a sequence: states, caches, `ŷ_t`, `E`.
public typealias RNNSequence = SequenceForward<Double, RNNStepCache<Double>>

/// One term of source 003's sum: the contribution of `s_k`'s immediate dependence on `W`
/// to `∂E_t/∂W`.
public struct JacobianProductTerm: Sendable {
  /// The step `t` of the loss term `E_t`.
  public var t: Int
  /// The step `k ≤ t` whose immediate dependence on `W` this term is.
  public var k: Int
  /// `‖Π_{j=k+1..t} ∂s_j/∂s_{j−1}‖_F`: how much of `∂E_t/∂s_t` reaches `s_k`.
  public var productNorm: Double
  /// The term's share of `∂E_t/∂W` (H×H): `da_k ⊗ s_{k−1}`.
  public var dW: Matrix<Double>
  /// The term's share of `∂E_t/∂U` (H×D): `da_k ⊗ x_k`.
  public var dU: Matrix<Double>
}

/// Source 003's form computed literally, O(T²).
///
/// `∂E_t/∂W = Σ_{k=0..t} ∂E_t/∂ŷ_t · ∂ŷ_t/∂s_t · (Π_{j=k+1..t} ∂s_j/∂s_{j−1}) · ∂s_k/∂W`,
/// with every Jacobian `∂s_j/∂s_{j−1} = diag(1 − s_j²) W` formed as a matrix. `∂s_k/∂W` is
/// the immediate derivative (`s_{k−1}` held fixed); likewise for `U`. Letters as 003 writes
/// them: `k` is the earlier step a term reaches, `j` runs between `k` and `t`.
public func bpttJacobianProduct(_ seq: RNNSequence, targets: [Int], p: Parameters<Double>)
  -> [JacobianProductTerm]
{
  let (W, V) = (p.matrix("W"), p.matrix("V"))
  let H = W.rows
  var terms: [JacobianProductTerm] = []
  for t in seq.caches.indices {
    // ∂E_t/∂s_t = Vᵀ (ŷ_t − y_t): the first two factors, as a vector.
    let dEds = outputLayerBackward(
      yHat: seq.yHats[t], target: targets[t], s: seq.caches[t].h, V: V
    ).ds
    var product = Matrix<Double>.identity(H)  // Π_{j=k+1..t} ∂s_j/∂s_{j−1}, empty for k = t
    for k in stride(from: t, through: 0, by: -1) {
      let cache = seq.caches[k]
      let dEdsk = product.transposeTimes(dEds)  // ∂E_t/∂s_k = Πᵀ ∂E_t/∂s_t
      let da = tanhBackward(dEdsk, h: cache.h)  // ∂s_k/∂a_k = diag(1 − s_k²)
      terms.append(
        JacobianProductTerm(
          t: t, k: k, productNorm: product.frobeniusNorm,
          dW: .outer(da, cache.hPrev),  // ∂a_k/∂W, immediate: ⊗ s_{k−1}
          dU: .outer(da, cache.x)))  // ∂a_k/∂U, immediate: ⊗ x_k
      let jacobian = W.scalingRows(by: cache.h.map { 1 - $0 * $0 })  // ∂s_k/∂s_{k−1}
      product = product * jacobian  // extend the product one step further back
    }
  }
  return terms
}

/// Source 004's element-wise form: every entry by explicit index loops.
///
/// No matrix operations: `∂E_t/∂y_t^k`, then `∂E_t/∂S_t^h = Σ_k ∂E_t/∂y_t^k ∂y_t^k/∂S_t^h`,
/// then through tanh to `v_kh`, `u_hd`, `w_hj`, `b_h` and back to `S_{t−1}`. Letters as 004
/// writes them: `k` and `j` are classes here (not 003's earlier step), `h` a hidden unit, `d`
/// an input. It walks back through time by itself, because 004's loops are the derivation;
/// the walk every model runs is `SequenceModel.backward`.
public func bpttIndexForm(_ seq: RNNSequence, targets: [Int], p: Parameters<Double>)
  -> SequenceGradients
{
  let (U, W, V) = (p.matrix("U"), p.matrix("W"), p.matrix("V"))
  let (D, H, K) = (U.cols, W.rows, V.rows)
  var (dU, dW, dV) = (
    Matrix<Double>.zeros(H, D), Matrix<Double>.zeros(H, H), Matrix<Double>.zeros(K, H)
  )
  var (db, db_y) = ([Double](repeating: 0, count: H), [Double](repeating: 0, count: K))
  var carry = [Double](repeating: 0, count: H)  // ∂(E_{t+1} + …)/∂S_t^h
  for t in seq.caches.indices.reversed() {
    let (y, S, SPrev, x) = (seq.yHats[t], seq.caches[t].h, seq.caches[t].hPrev, seq.caches[t].x)
    var dEdy = [Double](repeating: 0, count: K)
    for k in 0..<K { dEdy[k] = k == targets[t] ? -1 / y[k] : 0 }  // (1): ∂E_t/∂y_t^k
    var dEdz = [Double](repeating: 0, count: K)
    for j in 0..<K {
      for k in 0..<K { dEdz[j] += dEdy[k] * y[k] * ((k == j ? 1 : 0) - y[j]) }  // ∂y^k/∂z^j
    }
    for j in 0..<K {
      db_y[j] += dEdz[j]
      for h in 0..<H { dV[j, h] += dEdz[j] * S[h] }  // ∂z^j/∂v_jh = S^h
    }
    var dEda = [Double](repeating: 0, count: H)
    for h in 0..<H {
      var dEdS = carry[h]
      for j in 0..<K { dEdS += dEdz[j] * V[j, h] }  // (2): Σ_k ∂E/∂y^k ∂y^k/∂S^h
      dEda[h] = dEdS * (1 - S[h] * S[h])  // through tanh
    }
    for h in 0..<H {
      db[h] += dEda[h]
      for d in 0..<D { dU[h, d] += dEda[h] * x[d] }  // ∂a^h/∂u_hd = x^d
      for j in 0..<H { dW[h, j] += dEda[h] * SPrev[j] }  // ∂a^h/∂w_hj = S_{t−1}^j
    }
    for j in 0..<H {
      carry[j] = 0
      for h in 0..<H { carry[j] += dEda[h] * W[h, j] }  // ∂a^h/∂S_{t−1}^j = w_hj
    }
  }
  var g = Parameters<Double>.zeros(p.layout)
  for (name, m) in [("U", dU), ("W", dW), ("V", dV)] { g.add(name, m.storage) }
  g.add("b", db)
  g.add("b_y", db_y)
  return SequenceGradients(parameters: g, initialState: CellState(h: carry), upstream: [])
}
