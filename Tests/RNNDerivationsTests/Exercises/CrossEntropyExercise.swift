// Exercise 2 of 7: cross-entropy through softmax. Harness and hints: notes/Exercises.md.
//
// Write: ∂E/∂z for E = −Σ_k y_k log ŷ_k with ŷ = softmax(z): the first factor of source 003's
// ∂E/∂V.
// The equation (notes/CrossEntropy.md, "Derivation", 2): chain ∂E/∂ŷ_k = −y_k/ŷ_k through
// softmax's Jacobian ∂ŷ_k/∂z_i = ŷ_k (δ_ki − ŷ_i), with Σ_k y_k = 1.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: softmaxCrossEntropyBackward in
// Sources/RNNDerivations/Equations/CrossEntropy.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/CrossEntropyExercise.swift

@testable import RNNDerivations

/// `∂E/∂z` (K numbers) from the prediction `yHat = ŷ` and the target distribution `y`.
func yourSoftmaxCrossEntropyBackward(_ yHat: [Double], target y: [Double]) -> [Double]? {
  // Your code here: return ∂E/∂z instead of nil.
  return nil
}
