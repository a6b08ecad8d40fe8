@testable import RNNDerivations
import Testing

/// The hand-derived backward pass at the size `bench` times (T = 100, D = 32, H = 64, K = 10)
/// against the reverse-mode tape, which differentiates the generic forward pass and never sees
/// a backward pass (notes/Performance.md: the kernels that make the walk fast must not change
/// what it computes).
///
/// Both are exact to rounding, so they agree to within a few ulps of each gradient's largest
/// entry; entry by entry they need not (an entry near 1e-6 of the largest carries the
/// largest's rounding). The bar is the issue's: 1e-12 of the largest entry.
@Suite struct LongSequenceTests {
  @Test(arguments: [ModelKind.rnn, .lstm, .gru])
  func handBackwardMatchesTheTape(model: ModelKind) throws {
    let input = GradInput.random(
      model, dims: Dims(D: 32, H: 64, K: 10), steps: 100, seed: 12)
    let f = input.sequenceModel
    let hand = f.gradients(at: input.point).gradients
    func record(_ f: some ForwardFunction) -> [[Double]]? {
      TapeOracle.gradient(f, at: input.point, limit: Tolerances.tapeMaxNodes)
    }
    let recorded = record(f)
    let tape = try #require(recorded, "the tape overflowed its node limit")
    #expect(hand.count == input.point.count)
    for (variable, (mine, exact)) in zip(input.point, zip(hand, tape)) {
      let largest = exact.reduce(0) { max($0, abs($1)) }
      #expect(largest > 0, "∂E/∂\(variable.name) is zero: nothing to compare")
      let worst = zip(mine, exact).reduce(0) { max($0, abs($1.0 - $1.1)) }
      #expect(
        worst <= 1e-12 * largest,
        "\(model.rawValue) ∂E/∂\(variable.name): \(worst / largest) of its largest entry")
    }
  }
}
