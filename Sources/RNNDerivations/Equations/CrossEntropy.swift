// Cross-entropy and its fusion with softmax — source 003, "Define loss" and "The gradient of V".

/// `E = −Σ_k y_k log ŷ_k`.
/// - Parameters:
///   - yHat: predicted probabilities `ŷ`, `K` (positive).
///   - y: target distribution, `K` (one-hot or soft, summing to 1).
@inlinable public func crossEntropyForward<T: Scalar>(_ yHat: [T], target y: [T]) -> T {
  var E: T = 0
  for k in yHat.indices { E -= y[k] * T.log(yHat[k]) }
  return E
}

/// `∂E/∂ŷ_k = −y_k / ŷ_k` (the derivative of `log` is `1/ŷ`).
public func crossEntropyBackward(_ yHat: [Double], target y: [Double]) -> [Double] {
  yHat.indices.map { k in -y[k] / yHat[k] }
}

/// `E(z) = −Σ_k y_k log softmax(z)_k`: the loss of one time step from its logits.
///
/// Computed as `Σ_k y_k (log Σ_j e^{z_j − m} − (z_k − m))` with `m = max_j z_j`: the same
/// number, but finite for any logit gap, where `−log ŷ_k` becomes `−log 0 = ∞` once `ŷ_k`
/// underflows (a gap of about 745).
@inlinable public func softmaxCrossEntropyForward<T: Scalar>(_ z: [T], target y: [T]) -> T {
  let m = T.largestPrimal(z)
  var sum: T = 0
  for e in T.exp(each: z.map { $0 - m }) { sum += e }
  let logSum = T.log(sum)
  var E: T = 0
  for k in z.indices { E += y[k] * (logSum - (z[k] - m)) }  // −y_k log ŷ_k
  return E
}

/// `∂E/∂z = ŷ − y`, valid when `Σ_k y_k = 1`.
///
/// Chaining `∂E/∂ŷ = −y/ŷ` through the softmax Jacobian: `ŷ_i(g_i − g·ŷ)` with
/// `g = −y/ŷ` gives `−y_i + ŷ_i Σ_k y_k = ŷ_i − y_i`: the factor source 003's `∂E/∂V`
/// derivation collapses to.
@inlinable public func softmaxCrossEntropyBackward<T: Scalar>(_ yHat: [T], target y: [T]) -> [T] {
  yHat .- y
}

/// A one-hot target: 1 at class `k` of `K`.
public func oneHot(_ k: Int, _ K: Int) -> [Double] {
  var y = filled(0.0, count: K)
  if y.indices.contains(k) { y[k] = 1 }
  return y
}
