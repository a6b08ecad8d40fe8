// Exercise 4 of 7: the softmax output layer backwards. Harness and hints: notes/Exercises.md.
//
// Write: the gradients of one step's loss E_t = −log ŷ_t[k_t], ŷ_t = softmax(V s_t + b_y), with
// respect to V, b_y and the state s_t.
// The equations (notes/OutputLayer.md, "Derivation"): ∂E_t/∂z = ŷ_t − y_t (exercise 2), then
// ∂E_t/∂V = (ŷ_t − y_t) ⊗ s_t, ∂E_t/∂b_y = ŷ_t − y_t, ∂E_t/∂s_t = Vᵀ(ŷ_t − y_t).
// oneHot(k, K) builds y_t.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: outputLayerBackward in
// Sources/RNNDerivations/Equations/OutputLayer.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/OutputLayerExercise.swift

@testable import RNNDerivations

/// The step's gradients: `OutputLayerGradients(dV: K×H, db_y: K, ds: H)`.
func yourOutputLayerBackward(yHat: [Double], target: Int, s: [Double], V: Matrix<Double>)
  -> OutputLayerGradients?
{
  // Your code here: return OutputLayerGradients(dV: …, db_y: …, ds: …) instead of nil.
  return nil
}
