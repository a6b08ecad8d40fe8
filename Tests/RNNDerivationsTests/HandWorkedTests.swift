import Foundation
import Testing

@testable import RNNDerivations

/// The example of notes/HandWorked.md: every number there was worked out by hand (6
/// decimals); the library must give the same, and the note must still print them.
@Suite struct HandWorkedTests {
  /// `(name in the note, the note's value, the library's)`.
  static func values() -> [(String, Double, Double)] {
    let dims = Dims(D: 1, H: 1, K: 2)
    let model = SequenceModel(RNNCell(), xs: [[1], [-1]], targets: [0, 1], dims: dims)
    let p = Parameters(
      Layout(model.parameters, dims), values: [[1], [0.5], [0], [1, -1], [0, 0]])
    let run = model.forward(p, from: CellState(h: [0]))
    let g = model.backward(run, p)
    return [
      ("h_0", 0.761594, run.states[0].h[0]), ("h_1", -0.550573, run.states[1].h[0]),
      ("ŷ_0[0]", 0.821007, run.yHats[0][0]), ("ŷ_1[1]", 0.750475, run.yHats[1][1]),
      ("E", 0.484272, run.loss),
      ("∂E/∂h_1", 0.499051, g.upstream[1].h[0]), ("∂E/∂h_0", -0.184098, g.upstream[0].h[0]),
      ("∂E/∂U", -0.425090, g.parameters["U"][0]), ("∂E/∂W", 0.264862, g.parameters["W"][0]),
      ("∂E/∂b", 0.270457, g.parameters["b"][0]), ("∂E/∂V[0]", -0.273701, g.parameters["V"][0]),
      ("∂E/∂b_y[0]", 0.070533, g.parameters["b_y"][0]),
      ("∂E/∂h_{−1}", -0.038658, g.initialState.h[0]),
    ]
  }

  @Test func theLibraryGivesTheHandWorkedNumbers() {
    for (name, byHand, library) in Self.values() {
      #expect(abs(byHand - library) <= 5e-7, "\(name): by hand \(byHand), library \(library)")
    }
  }

  /// The note prints each of these numbers (so the test and the note cannot drift apart).
  @Test func theNotePrintsThem() throws {
    let text = try repositoryFile("notes/HandWorked.md").replacingOccurrences(
      of: "−", with: "-")
    for (name, byHand, _) in Self.values() {
      #expect(text.contains(String(format: "%.6f", byHand)), "\(name)")
    }
  }
}
