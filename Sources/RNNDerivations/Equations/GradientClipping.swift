// Gradient clipping — source 003's remedy for exploding gradients (notes/BPTT.md, "Vanishing and
// exploding gradients"), as TensorFlow writes it: `tf.clip_by_global_norm` (every parameter's
// gradient scaled by one factor) and `tf.clip_by_value` (each entry cut to [−c, c], as
// min-char-rnn's `np.clip(dparam, -5, 5)`). Clipping runs after the backward pass: it changes the
// update, never the derivative.

/// `‖g‖₂` over every parameter together, `√(Σ_p Σ_i g_{p,i}²)`: TF's `global_norm`.
@inlinable public func globalNorm<T: Scalar>(_ g: [[T]]) -> T {
  let squares = g.reduce(T(0)) { $0 + dot($1, $1) }
  // √s = exp(½ log s), from the Scalar protocol's own functions, so every oracle differentiates
  // it; the root of 0 is 0 (log 0 is not a number).
  return squares.primal > 0 ? T.exp(T.log(squares) * T(0.5)) : 0
}

/// Clipping by global norm: `g ← g · c/‖g‖` when `‖g‖ > c`, else `g` unchanged.
///
/// Every parameter is scaled by the same factor: the direction of the whole gradient is kept,
/// and its norm becomes `c`.
///
/// Which branch runs is a decision on the value, as the stable softmax's max is: it carries no
/// derivative.
@inlinable public func clipByGlobalNorm<T: Scalar>(_ g: [[T]], clipNorm c: Double) -> [[T]] {
  let norm = globalNorm(g)
  guard norm.primal > c else { return g }
  let factor = T(c) / norm
  return g.map { $0.map { $0 * factor } }
}

/// Clipping by value: each entry cut to `[−c, c]`, independently.
///
/// Entries inside are kept, so the direction of the whole gradient changes whenever one is cut.
@inlinable public func clipByValue<T: Scalar>(_ g: [[T]], clipValue c: Double) -> [[T]] {
  g.map { $0.map { x in x.primal > c ? T(c) : x.primal < -c ? T(-c) : x } }
}

/// The Jacobian of `clipByGlobalNorm` with respect to `g` (all parameters flattened in order),
/// hand-derived.
///
/// For `‖g‖ > c`, entry `i` is `c g_i / ‖g‖`, and with `∂‖g‖/∂g_j = g_j/‖g‖`:
/// `∂(c g_i/‖g‖)/∂g_j = c/‖g‖ · δ_ij − c g_i g_j/‖g‖³`, that is `c/‖g‖ (I − ĝĝᵀ)`, `ĝ = g/‖g‖`:
/// the scaling, minus the projection onto `g` (moving along `g` changes nothing, since the
/// norm stays pinned at `c`). For `‖g‖ ≤ c` it is the identity.
public func clipByGlobalNormJacobian(_ g: [[Double]], clipNorm c: Double) -> Matrix<Double> {
  let flat = g.flatMap { $0 }
  let n = flat.count
  let norm = globalNorm(g)
  guard norm > c else { return .identity(n) }
  let unit = flat.map { $0 / norm }  // ĝ
  var jacobian = Matrix<Double>.zeros(n, n)
  for i in 0..<n {
    for j in 0..<n {
      jacobian[i, j] = c / norm * ((i == j ? 1 : 0) - unit[i] * unit[j])  // c/‖g‖ (δ_ij − ĝ_i ĝ_j)
    }
  }
  return jacobian
}

/// `cos ∠(a, b) = a·b / (‖a‖ ‖b‖)` over every parameter together: 1 when clipping kept the
/// direction.
public func cosine(_ a: [[Double]], _ b: [[Double]]) -> Double {
  let dotProduct = zip(a, b).reduce(0) { $0 + dot($1.0, $1.1) }
  return dotProduct / (globalNorm(a) * globalNorm(b))
}
