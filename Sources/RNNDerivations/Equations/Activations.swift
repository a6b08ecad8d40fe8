// The two activations every cell uses — sources 000–003 (tanh) and 001 (σ in the gates).

/// `h = tanh(a)`, element-wise.
@inlinable public func tanhForward<T: Scalar>(_ a: consuming [T]) -> [T] { T.tanh(each: a) }

/// `∂E/∂a = ∂E/∂h ⊙ (1 − h²)`: `tanh' = 1 − tanh²`, read off the output `h`.
@inlinable public func tanhBackward<T: Scalar>(_ dh: consuming [T], h: [T]) -> [T] {
  precondition(dh.count == h.count, "∂E/∂h and h: \(dh.count) vs \(h.count) entries")
  // Named and always inlined, so that on `Lanes` it is not called through a pointer per entry.
  @inline(__always) func throughTanh(_ dh: T, _ h: T) -> T { dh * (1 - h * h) }  // 1 − h²
  return entrywise(dh, h, throughTanh)
}

/// How much `1 − h²` magnifies rounding, read off tanh outputs: the largest `1 / (1 − h²)`.
///
/// `h` is stored with an absolute error of about ε; near saturation `1 − h²` is tiny and that
/// error becomes a relative error of ε / (1 − h²) in the derivative. Capped at 1/ε, where
/// double precision can no longer resolve the derivative at all.
public func tanhConditioning(_ h: [Double]) -> Double {
  h.reduce(1) { max($0, min(1 / (1 - $1 * $1), 1 / Double.ulpOfOne)) }
}

/// How much `1 − s` magnifies rounding, read off sigmoid outputs: the largest `1 / (1 − s)`
/// (capped at 1/ε), for `σ' = s(1 − s)` and for the `1 − z` of a GRU's update.
public func sigmoidConditioning(_ s: [Double]) -> Double {
  s.reduce(1) { max($0, min(1 / (1 - $1), 1 / Double.ulpOfOne)) }
}

/// `s = σ(a) = 1 / (1 + e^{−a})`, element-wise.
@inlinable public func sigmoidForward<T: Scalar>(_ a: consuming [T]) -> [T] { T.sigmoid(each: a) }

/// `∂E/∂a = ∂E/∂s ⊙ s(1 − s)`: `σ' = σ(1 − σ)`, read off the output `s`.
@inlinable public func sigmoidBackward<T: Scalar>(_ ds: consuming [T], s: [T]) -> [T] {
  precondition(ds.count == s.count, "∂E/∂s and s: \(ds.count) vs \(s.count) entries")
  // Named and always inlined, as in `tanhBackward`.
  @inline(__always) func throughSigmoid(_ ds: T, _ s: T) -> T { ds * s * (1 - s) }  // s(1 − s)
  return entrywise(ds, s, throughSigmoid)
}
