// Exercise 1 of 7: softmax's backward pass. Harness and hints: notes/Exercises.md.
//
// Write: ∂E/∂z for an upstream gradient g = ∂E/∂ŷ, from the softmax output ŷ alone, in O(K):
// without forming the K×K Jacobian.
// The equation (notes/Softmax.md, "Derivation"): ∂ŷ_j/∂z_i = ŷ_j (δ_ij − ŷ_i), so
//   ∂E/∂z_i = Σ_j g_j ∂ŷ_j/∂z_i.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: softmaxBackward in Sources/RNNDerivations/Equations/Softmax.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/SoftmaxExercise.swift

@testable import RNNDerivations

/// `∂E/∂z` (K numbers) for the upstream gradient `dy = ∂E/∂ŷ` and the softmax output `y = ŷ`.
func yourSoftmaxBackward(_ dy: [Double], y: [Double]) -> [Double]? {
  // Your code here: return ∂E/∂z instead of nil.
  return nil
}
