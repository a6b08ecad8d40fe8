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
  let (_, sum, m) = shiftedExponentials(z)
  return softmaxCrossEntropy(z, m: m, sum: sum, target: y)
}

/// The same from the softmax's shift `m` and sum `Σ_j e^{z_j − m}` (`shiftedExponentials`):
/// `−log ŷ_k = log Σ_j e^{z_j − m} − (z_k − m)`.
@inlinable public func softmaxCrossEntropy<T: Scalar>(_ z: [T], m: T, sum: T, target y: [T])
  -> T
{
  let logSum = T.log(sum)
  var E: T = 0
  for k in z.indices { E += y[k] * (logSum - (z[k] - m)) }  // −y_k log ŷ_k
  return E
}

/// The same for a one-hot `y` at class `k`: the sum's one term that is not `0 · (…)`.
///
/// For finite logits it is the same number: every other term is `0 ·` a finite number, a
/// zero, and adding zeros changes no sum (`classIndexIsItsOneHot` checks it to the bit). It
/// needs no one-hot array.
@inlinable public func softmaxCrossEntropy<T: Scalar>(_ z: [T], m: T, sum: T, target k: Int)
  -> T
{
  T.log(sum) - (z[k] - m)  // −log ŷ_k
}

/// `∂E/∂z = ŷ − y`, valid when `Σ_k y_k = 1`.
///
/// Chaining `∂E/∂ŷ = −y/ŷ` through the softmax Jacobian: `ŷ_i(g_i − g·ŷ)` with
/// `g = −y/ŷ` gives `−y_i + ŷ_i Σ_k y_k = ŷ_i − y_i`: the factor source 003's `∂E/∂V`
/// derivation collapses to.
@inlinable public func softmaxCrossEntropyBackward<T: Scalar>(_ yHat: [T], target y: [T]) -> [T] {
  yHat .- y
}

/// The same for a one-hot `y` at class `k`: `ŷ_k − 1`, and `ŷ_i − 0 = ŷ_i` everywhere else.
@inlinable public func softmaxCrossEntropyBackward<T: Scalar>(_ yHat: [T], target k: Int) -> [T] {
  var dz = yHat
  dz[k] = dz[k] - 1
  return dz
}

/// A one-hot target: 1 at class `k` of `K`.
public func oneHot(_ k: Int, _ K: Int) -> [Double] {
  var y = filled(0.0, count: K)
  if y.indices.contains(k) { y[k] = 1 }
  return y
}
