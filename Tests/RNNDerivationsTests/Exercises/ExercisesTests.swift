// The learner's side of the exercises (notes/Exercises.md): each test is skipped, with a
// pointer to its file, until that file's function returns a value; then the harness checks it
// against the oracles and prints where it differs and which classic mistake it looks like.

@testable import RNNDerivations
import Testing

@Suite struct ExercisesTests {
  @Test(
    .enabled(
      if: Exercises.softmax.isAnswered(yourSoftmaxBackward),
      "write yourSoftmaxBackward in Tests/RNNDerivationsTests/Exercises/SoftmaxExercise.swift"))
  func softmax() { expectSolved(Exercises.softmax.check(yourSoftmaxBackward)) }

  @Test(
    .enabled(
      if: Exercises.crossEntropy.isAnswered(yourSoftmaxCrossEntropyBackward),
      "write yourSoftmaxCrossEntropyBackward in Tests/RNNDerivationsTests/Exercises/CrossEntropyExercise.swift"
    ))
  func crossEntropy() {
    expectSolved(Exercises.crossEntropy.check(yourSoftmaxCrossEntropyBackward))
  }

  @Test(
    .enabled(
      if: Exercises.rnnStep.isAnswered(yourRNNStepBackward),
      "write yourRNNStepBackward in Tests/RNNDerivationsTests/Exercises/RNNStepExercise.swift"))
  func rnnStep() { expectSolved(Exercises.rnnStep.check(yourRNNStepBackward)) }

  @Test(
    .enabled(
      if: Exercises.outputLayer.isAnswered(yourOutputLayerBackward),
      "write yourOutputLayerBackward in Tests/RNNDerivationsTests/Exercises/OutputLayerExercise.swift"
    ))
  func outputLayer() { expectSolved(Exercises.outputLayer.check(yourOutputLayerBackward)) }

  @Test(
    .enabled(
      if: Exercises.bptt.isAnswered(yourBPTT),
      "write yourBPTT in Tests/RNNDerivationsTests/Exercises/BPTTExercise.swift"))
  func bptt() { expectSolved(Exercises.bptt.check(yourBPTT)) }

  @Test(
    .enabled(
      if: Exercises.lstmStep.isAnswered(yourLSTMStepBackward),
      "write yourLSTMStepBackward in Tests/RNNDerivationsTests/Exercises/LSTMCellExercise.swift"))
  func lstmStep() { expectSolved(Exercises.lstmStep.check(yourLSTMStepBackward)) }

  /// Both conventions, one function.
  @Test(
    .enabled(
      if: Exercises.gruResetBefore.isAnswered(yourGRUStepBackward),
      "write yourGRUStepBackward in Tests/RNNDerivationsTests/Exercises/GRUCellExercise.swift"))
  func gruStep() {
    expectSolved(Exercises.gruResetBefore.check(yourGRUStepBackward))
    expectSolved(Exercises.gruResetAfter.check(yourGRUStepBackward))
  }
}
