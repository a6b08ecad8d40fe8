// Exercise 6 of 7: one LSTM step backwards. Harness and hints: notes/Exercises.md.
//
// Write: every gradient of one LSTM step, given dh = ∂E/∂h_t and dc = ∂E/∂c_t from later steps.
// The equations (notes/LSTMCell.md, "Derivation"), with c_t = f ⊙ c_{t−1} + i ⊙ c̃ and
// h_t = o ⊙ tanh(c_t):
//   ∂E/∂o = dh ⊙ tanh(c_t);  ∂E/∂c_t (total) = dc + dh ⊙ o ⊙ (1 − tanh²(c_t));
//   ∂E/∂f = ∂E/∂c_t ⊙ c_{t−1}, ∂E/∂i = ∂E/∂c_t ⊙ c̃, ∂E/∂c̃ = ∂E/∂c_t ⊙ i,
//   ∂E/∂c_{t−1} = ∂E/∂c_t ⊙ f;
//   each gate then through its activation (σ' = s(1 − s) for i, f, o; 1 − c̃² for c̃) and its
//   affine map (as in exercise 3); ∂E/∂h_{t−1} and ∂E/∂x_t sum the four gates' shares.
// The cache holds x, hPrev, cPrev, i, f, o, candidate, c, h; p.i, p.f, p.o, p.c each hold a
// gate's W, U, b. You may call affineBackward(da, x:, hPrev:, W:, U:) for a gate's affine map.
// dcThroughH (the part of ∂E/∂c_t that came through h_t) is for the traces: the harness
// does not check it.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: lstmStepBackward in
// Sources/RNNDerivations/Equations/LSTMCell.swift.
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/LSTMCellExercise.swift

@testable import RNNDerivations

/// The step's gradients: `LSTMStepGradients(i:, f:, o:, c:, dhPrev:, dcPrev:, dx:,
/// dcThroughH:)`, one `AffineGradients` per gate.
func yourLSTMStepBackward(
  dh: [Double], dc: [Double], cache: LSTMStepCache<Double>, p: LSTMGates<Double>
) -> LSTMStepGradients? {
  // Your code here: return LSTMStepGradients(…) instead of nil.
  return nil
}
