/// Dropout as TensorFlow's `DropoutWrapper` applies it to a cell in source 001: on the inputs and
/// on the outputs, never on the recurrent state, with masks drawn once so that every oracle sees
/// the same function.
///
/// Inverted dropout: a kept unit is scaled by `1/keep`, so each unit's expected value is
/// unchanged and nothing needs rescaling at test time. A mask entry is `0` or `1/keep`.
public struct Dropout: Sendable {
  /// The probability of keeping a unit.
  public var keep: Double
  /// Per step, `D` entries multiplying `x_t`.
  public var inputMasks: [[Double]]
  /// Per step, `H` entries multiplying `h_t` on its way to the output layer.
  public var outputMasks: [[Double]]

  /// Masks for `steps` steps, each entry kept with probability `keep`.
  public init(keep: Double, dims: Dims, steps: Int, rng: inout SplitMix64) {
    func mask(_ n: Int) -> [Double] { (0..<n).map { _ in rng.unit() < keep ? 1 / keep : 0 } }
    self.keep = keep
    inputMasks = (0..<steps).map { _ in mask(dims.D) }
    outputMasks = (0..<steps).map { _ in mask(dims.H) }
  }

  /// `x_t ⊙ inputMasks[t]`: an input is data, so its mask needs no backward pass of its own;
  /// it shows up in the weight gradients through the masked `x_t` the cell caches.
  func input(_ x: [Double], _ t: Int) -> [Double] { x .* inputMasks[t] }
}
