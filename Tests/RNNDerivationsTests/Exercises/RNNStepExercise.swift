// Exercise 3 of 7: one vanilla RNN step backwards. Harness and hints: notes/Exercises.md.
//
// Write: every gradient of one step h_t = tanh(a_t), a_t = W h_{t−1} + U x_t + b, given
// dh = ∂E/∂h_t from above.
// The equations (notes/RNNStep.md, "Derivation"): da = ∂E/∂a_t = dh ⊙ tanh'(a_t), with tanh'
// read off the output h_t; then ∂E/∂W = da ⊗ h_{t−1}, ∂E/∂U = da ⊗ x_t, ∂E/∂b = da,
// ∂E/∂h_{t−1} = Wᵀ da, ∂E/∂x_t = Uᵀ da.
// The cache holds x_t (cache.x), h_{t−1} (cache.hPrev) and h_t (cache.h). Matrix helpers:
// Matrix.outer(a, b), W.transposeTimes(v), W * v; element-wise .* .+ .- on arrays.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: rnnStepBackward in Sources/RNNDerivations/Equations/RNNStep.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/RNNStepExercise.swift

@testable import RNNDerivations

/// The step's gradients: `AffineGradients(dW: H×H, dU: H×D, db: H, dhPrev: H, dx: D)`.
func yourRNNStepBackward(
  _ dh: [Double], cache: RNNStepCache<Double>, W: Matrix<Double>, U: Matrix<Double>
) -> AffineGradients? {
  // Your code here: return AffineGradients(dW: …, dU: …, db: …, dhPrev: …, dx: …) instead of nil.
  return nil
}
