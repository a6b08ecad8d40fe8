// The two activations every cell uses — sources 000–003 (tanh) and 001 (σ in the gates).

/// `h = tanh(a)`, element-wise.
@inlinable public func tanhForward<T: Scalar>(_ a: [T]) -> [T] { a.map(T.tanh) }

/// `∂E/∂a = ∂E/∂h ⊙ (1 − h²)`: `tanh' = 1 − tanh²`, read off the output `h`.
public func tanhBackward(_ dh: [Double], h: [Double]) -> [Double] {
  h.indices.map { i in dh[i] * (1 - h[i] * h[i]) }  // through tanh: 1 − h²
}

/// `s = σ(a) = 1 / (1 + e^{−a})`, element-wise.
@inlinable public func sigmoidForward<T: Scalar>(_ a: [T]) -> [T] { a.map(T.sigmoid) }

/// `∂E/∂a = ∂E/∂s ⊙ s(1 − s)`: `σ' = σ(1 − σ)`, read off the output `s`.
public func sigmoidBackward(_ ds: [Double], s: [Double]) -> [Double] {
  s.indices.map { i in ds[i] * s[i] * (1 - s[i]) }  // through σ: s(1 − s)
}
