// Exercise 7 of 7: one GRU step backwards, in both conventions. Harness and hints:
// notes/Exercises.md.
//
// Write: every gradient of one GRU step, given dh = ∂E/∂h_t.
// The equations (notes/GRUCell.md, "Derivation"), with h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃:
//   ∂E/∂z = dh ⊙ (h_{t−1} − h̃), ∂E/∂h̃ = dh ⊙ (1 − z), and z ⊙ dh straight to h_{t−1};
//   the candidate h̃ = tanh(a): reset-before a = W_h (r ⊙ h_{t−1}) + U_h x_t + b_h,
//   reset-after a = r ⊙ (W_h h_{t−1}) + U_h x_t + b_h: where W_h, r and h_{t−1} meet differs,
//   and ∂E/∂r comes out of the candidate;
//   r and z through σ' = s(1 − s) and their affine maps; ∂E/∂h_{t−1} sums four paths.
// The cache holds x, hPrev, r, z, candidate, h; p.r, p.z, p.h each hold W, U, b. You may call
// affineBackward(da, x:, hPrev:, W:, U:) for a gate's affine map. The harness checks both
// conventions.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: gruStepBackward in Sources/RNNDerivations/Equations/GRUCell.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/GRUCellExercise.swift

@testable import RNNDerivations

/// The step's gradients: `GRUStepGradients(r:, z:, h:, dhPrev:, dx:)`; `h` is the candidate's
/// `GRUCandidateGradients(dW:, dU:, db:, dr:, dhPrev:, dx:)` (only its dW, dU, db are checked).
func yourGRUStepBackward(
  _ dh: [Double], cache: GRUStepCache<Double>, p: GRUGates<Double>, variant: GRUVariant
) -> GRUStepGradients? {
  // Your code here: return GRUStepGradients(…) instead of nil.
  return nil
}
