// Softmax and its derivative — source 003, "Derivative of softmax".

/// `ŷ = softmax(z)`: `ŷ_i = e^{z_i − m} / Σ_k e^{z_k − m}` with `m = max_k z_k`.
///
/// Subtracting `m` changes nothing mathematically (it cancels between numerator and
/// denominator) and keeps `exp` from overflowing. `m` is taken as a constant: the
/// derivative of softmax along `(1, …, 1)` is zero, so no derivative is lost.
/// - Parameter z: logits, `K`.
/// - Returns: probabilities `ŷ`, `K`, summing to 1.
@inlinable public func softmaxForward<T: Scalar>(_ z: [T]) -> [T] {
  let (e, sum, _) = shiftedExponentials(z)
  return softmax(e, sum: sum)
}

/// `e_k = e^{z_k − m}` with `m = max_k z_k`, and `Σ_k e_k`: the softmax's numerators and
/// denominator, which its loss also reads (`outputStepForward` works them out once for both).
@inlinable public func shiftedExponentials<T: Scalar>(_ z: [T]) -> (e: [T], sum: T, m: T) {
  var e: [T] = []
  let (sum, m) = shiftedExponentials(z, into: &e)
  return (e, sum, m)
}

/// The same with the `e_k` written into `e`, its array reused where no one else holds it: an
/// oracle's pass keeps one for all its steps (`outputStepLoss(s:V:b_y:target:into:)`).
@inlinable public func shiftedExponentials<T: Scalar>(_ z: [T], into e: inout [T]) -> (
  sum: T, m: T
) {
  let m = T.largestPrimal(z)
  resize(&e, to: z.count)
  // A loop, not `map`: on `Lanes` a closure was called for every entry.
  for k in z.indices { e[k] = z[k] - m }
  update(&e) { T.exp(each: $0) }  // in place
  var sum: T = 0
  for x in e { sum += x }
  return (sum, m)
}

/// `ŷ_i = e_i / Σ_k e_k`, divided in place: no second array.
@inlinable public func softmax<T: Scalar>(_ e: consuming [T], sum: T) -> [T] {
  for i in e.indices { e[i] = e[i] / sum }
  return e
}

/// The hand-derived Jacobian `∂ŷ_i/∂z_j = ŷ_i (δ_ij − ŷ_j)`, that is `diag(ŷ) − ŷ ŷᵀ`.
///
/// Diagonal (`i = j`): the quotient rule gives `ŷ_i (1 − ŷ_i)`. Off the diagonal: the
/// numerator `e^{z_i}` does not depend on `z_j`, only the denominator does: `−ŷ_i ŷ_j`.
/// - Parameter y: the softmax output `ŷ`, `K`.
/// - Returns: `K × K`, row `i` = output, column `j` = logit.
public func softmaxJacobian(_ y: [Double]) -> Matrix<Double> {
  var J = Matrix<Double>.zeros(y.count, y.count)
  for i in y.indices {
    for j in y.indices {
      J[i, j] = i == j ? y[i] * (1 - y[i]) : -y[i] * y[j]  // δ_ij term, −ŷ_i ŷ_j term
    }
  }
  return J
}

/// The vector–Jacobian product `∂E/∂z = Jᵀ g = ŷ ⊙ (g − (g·ŷ))`, without forming `J`.
/// - Parameters:
///   - dy: upstream gradient `g = ∂E/∂ŷ`, `K`.
///   - y: the softmax output `ŷ`, `K`.
/// - Returns: `∂E/∂z`, `K`.
public func softmaxBackward(_ dy: [Double], y: [Double]) -> [Double] {
  // Σ_j g_j ŷ_j; −ŷ_i times it is row i of the ŷŷᵀ part, Σ_j −ŷ_i ŷ_j g_j (j = i included)
  let gDotY = dot(dy, y)
  return y.indices.map { i in y[i] * (dy[i] - gDotY) }  // ŷ_i (g_i − g·ŷ)
}
