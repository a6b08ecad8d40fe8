// The softmax output layer and ∂E/∂V — source 003, "The gradient of V".

/// `ŷ_t = softmax(V s_t + b_y)`.
/// - Parameters:
///   - s: hidden state `s_t`, `H`.
///   - V: output weights, `K×H`.
///   - b_y: output bias, `K`.
/// - Returns: class probabilities `ŷ_t`, `K`.
@inlinable public func outputLayerForward<T: Scalar>(s: [T], V: Matrix<T>, b_y: [T]) -> [T] {
  softmaxForward(logits(s: s, V: V, b_y: b_y))
}

/// The logits `z_t = V s_t + b_y` (K), `b_y` added in place: no array for the sum.
@inlinable func logits<T: Scalar>(s: [T], V: Matrix<T>, b_y: [T]) -> [T] {
  var z: [T] = []
  logits(s: s, V: V, b_y: b_y, into: &z)
  return z
}

/// The same written into `z`, its array reused where no one else holds it.
@inlinable func logits<T: Scalar>(s: [T], V: Matrix<T>, b_y: [T], into z: inout [T]) {
  precondition(b_y.count == V.rows, "V s + b_y: \(V.rows) vs \(b_y.count) entries")
  V.times(s, into: &z)  // V s
  for i in z.indices { z[i] = z[i] + b_y[i] }
}

/// One step's output and loss: `ŷ_t = softmax(V s_t + b_y)` and `E_t = −log ŷ_t[k_t]`,
/// the loss taken from the logits so it stays finite (`softmaxCrossEntropyForward`).
@inlinable public func outputStepForward<T: Scalar>(
  s: [T], V: Matrix<T>, b_y: [T], target k: Int
) -> (yHat: [T], loss: T) {
  var room = OutputStepRoom<T>()
  return outputStepForward(s: s, V: V, b_y: b_y, target: k, logitsInto: &room)
}

/// The same with the logits written into `room` (a walk keeps one for all its steps); `ŷ_t`,
/// which the walk keeps, is a new array.
// Prespecialised for the walks that keep their steps (`SequenceModel.forward`, the echo
// training's rows side by side): called from them, the generic body was left unspecialised.
@_specialize(where T == Double)
@_specialize(where T == Lanes)
@inlinable public func outputStepForward<T: Scalar>(
  s: [T], V: Matrix<T>, b_y: [T], target k: Int, logitsInto room: inout OutputStepRoom<T>
) -> (yHat: [T], loss: T) {
  logits(s: s, V: V, b_y: b_y, into: &room.z)
  var e: [T] = []
  let (sum, m) = shiftedExponentials(room.z, into: &e)  // once, for ŷ_t and E_t both
  return (softmax(consume e, sum: sum), softmaxCrossEntropy(room.z, m: m, sum: sum, target: k))
}

/// The same with the target `y_t` given as a vector: on rows side by side (`Lanes`), each
/// lane's one-hot (`E_t = −Σ_k y_k log ŷ_k`).
@_specialize(where T == Double)
@_specialize(where T == Lanes)
@inlinable public func outputStepForward<T: Scalar>(
  s: [T], V: Matrix<T>, b_y: [T], target y: [T], logitsInto room: inout OutputStepRoom<T>
) -> (yHat: [T], loss: T) {
  logits(s: s, V: V, b_y: b_y, into: &room.z)
  var e: [T] = []
  let (sum, m) = shiftedExponentials(room.z, into: &e)
  return (softmax(consume e, sum: sum), softmaxCrossEntropy(room.z, m: m, sum: sum, target: y))
}

/// One step's loss alone, `E_t = −log ŷ_t[k_t]` from the logits: all an oracle's pass needs
/// (`ŷ_t` is for the backward pass and the traces), the same number as `outputStepForward`'s.
// Prespecialized for every oracle number: a truncated objective's passes reach it from generic
// code (`grad` holds the objective as `any DifferentiableModel`).
@_specialize(where T == Double)
@_specialize(where T == Dual)
@_specialize(where T == DualLanes)
@_specialize(where T == Traced)
@_specialize(where T == Lanes)
@inlinable public func outputStepLoss<T: Scalar>(s: [T], V: Matrix<T>, b_y: [T], target k: Int)
  -> T
{
  var room = OutputStepRoom<T>()
  return outputStepLoss(s: s, V: V, b_y: b_y, target: k, into: &room)
}

/// The same with the logits and the exponentials written into `room`: an oracle's pass keeps
/// one for all its steps, and its steps make no arrays.
@_specialize(where T == Double)
@_specialize(where T == Dual)
@_specialize(where T == DualLanes)
@_specialize(where T == Traced)
@_specialize(where T == Lanes)
@inlinable public func outputStepLoss<T: Scalar>(
  s: [T], V: Matrix<T>, b_y: [T], target k: Int, into room: inout OutputStepRoom<T>
) -> T {
  logits(s: s, V: V, b_y: b_y, into: &room.z)
  let (sum, m) = shiftedExponentials(room.z, into: &room.e)
  return softmaxCrossEntropy(room.z, m: m, sum: sum, target: k)
}

/// Room for one step's logits `z_t` and exponentials `e^{z_t − m}`, written over at every step
/// (`outputStepLoss(s:V:b_y:target:into:)`).
public struct OutputStepRoom<T: Scalar>: Sendable {
  /// The logits `z_t` and the exponentials, as the last step left them.
  @usableFromInline var z: [T] = [], e: [T] = []
  /// Empty room: the first step makes its arrays.
  @inlinable public init() {}
}

/// Gradients of one step's loss `E_t = −log ŷ_t[k_t]` through the output layer, on any
/// `Scalar` (`OutputLayerGradients` on `Double`).
public struct OutputLayerGradientsOf<T: Scalar>: Sendable {
  /// `∂E_t/∂V = dz ⊗ s_t`, kept as its factors unless given outright.
  var weights: OuterGradientOf<T>
  /// `∂E_t/∂b_y` (K).
  public var db_y: [T]
  /// `∂E_t/∂s_t` (H): what the loss sends into the state.
  public var ds: [T]
  // Its initialisers, in the extension below, go through the memberwise one: a hand-written one
  // left a copy of this large value at every step (notes/Performance.md, nineteenth round).

  /// `∂E_t/∂V` (K×H), written out from its factors unless given outright; settable.
  public var dV: Matrix<T> {
    get { weights.matrix }
    set { weights.matrix = newValue }
  }
}

extension OutputLayerGradientsOf {
  /// Every gradient written out (a learner's answer, a catalogued mistake).
  public init(dV: Matrix<T>, db_y: [T], ds: [T]) {
    self.init(weights: OuterGradientOf(given: dV), db_y: db_y, ds: ds)
  }

  /// As the backward pass leaves them: `∂E_t/∂V` as its factors `dz ⊗ s_t`, `∂E_t/∂b_y = dz`.
  init(dz: [T], s: [T], ds: [T]) {
    self.init(weights: OuterGradientOf(dz, s), db_y: dz, ds: ds)
  }
}

/// Gradients of one step's loss through the output layer on `Double`.
public typealias OutputLayerGradients = OutputLayerGradientsOf<Double>

/// Backward through the output layer and the step's cross-entropy.
/// - Parameters:
///   - yHat: `ŷ_t`, `K`; target: the class `k_t`; s: `s_t`, `H`; V: `K×H`.
public func outputLayerBackward(yHat: [Double], target: Int, s: [Double], V: Matrix<Double>)
  -> OutputLayerGradients
{
  let dz = softmaxCrossEntropyBackward(yHat, target: target)  // ŷ_t − y_t, y_t one-hot at k_t
  return outputLayerBackward(dz: dz, s: s, V: V)
}

/// Backward through the logits `z_t = V s_t + b_y`, given `dz = ∂E_t/∂z_t` (`ŷ_t − y_t`).
public func outputLayerBackward<T: Scalar>(dz: [T], s: [T], V: Matrix<T>)
  -> OutputLayerGradientsOf<T>
{
  OutputLayerGradientsOf(
    dz: dz, s: s,  // ∂z/∂V_kh = s_h: dV = dz ⊗ s_t; ∂z/∂b_y = I: db_y = dz
    ds: V.transposeTimes(dz))  // ∂z/∂s_t = V: Vᵀ dz
}

/// `E = Σ_t −log ŷ_t[k_t]` over a whole sequence of states.
@inlinable public func sequenceLoss<T: Scalar>(
  states: [[T]], targets: [Int], V: Matrix<T>, b_y: [T]
) -> T {
  var E: T = 0
  for (s, k) in zip(states, targets) {
    E += outputStepLoss(s: s, V: V, b_y: b_y, target: k)
  }
  return E
}
