// Exercise 5 of 7: backpropagation through time. Harness and hints: notes/Exercises.md.
//
// Write: the gradients of E = Σ_t E_t for a vanilla RNN over a whole sequence, walking back
// from the last step and carrying dhNext.
// The recursion (notes/BPTT.md, "Form 2: the same sum, factored"): for t = T−1 down to 0,
//   ∂E/∂h_t = Vᵀ(ŷ_t − y_t) + dhNext,
//   then the step's gradients (exercise 3) and the output layer's (exercise 4) are ADDED into
//   the totals, since every step shares U, W, b, V, b_y; dhNext = ∂E/∂h_{t−1} for the step
//   before. The last dhNext is ∂E/∂h_{−1}, the initial state's gradient.
// seq.caches[t] is step t's RNNStepCache (x_t, h_{t−1}, h_t), seq.yHats[t] its ŷ_t; the
// parameters are p.matrix("U"), p.matrix("W"), p["b"], p.matrix("V"), p["b_y"]. You may call
// rnnStepBackward and outputLayerBackward: this exercise is about the walk.
// Check it: swift test --filter Exercises (skipped while this returns nil).
// The solution, one link away: SequenceModel.backward in
// Sources/RNNDerivations/Sequence/SequenceModel.swift (and bpttIndexForm in
// Sources/RNNDerivations/Equations/BPTT.swift, entry by entry).
// Start again: git checkout -- Tests/RNNDerivationsTests/Exercises/BPTTExercise.swift

@testable import RNNDerivations

/// Every gradient: `RNNGradients(dU: H×D, dW: H×H, db: H, dV: K×H, db_y: K, dhInitial: H)`.
func yourBPTT(_ seq: RNNSequence, targets: [Int], p: Parameters<Double>) -> RNNGradients? {
  // Your code here: return RNNGradients(dU: …, dW: …, db: …, dV: …, db_y: …, dhInitial: …)
  // instead of nil.
  return nil
}
