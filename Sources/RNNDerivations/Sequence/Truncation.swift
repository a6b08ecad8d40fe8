// Truncated backpropagation through time, in the two styles R2RT names ("Styles of Truncated
// Backpropagation", https://r2rt.com/styles-of-truncated-backpropagation.html), and the
// function each truncated gradient is the exact gradient of.

/// How far back through time the gradient of each error goes.
///
/// The forward pass, and so the loss, is the same in every style; only the gradient changes.
public enum Truncation: Sendable, Equatable, CustomStringConvertible {
  /// Full backpropagation through time: every error reaches the initial state.
  case none
  /// TensorFlow style (sources 001 and 002): the series is cut into chunks of `n` steps
  /// (`num_steps`); the state is carried from chunk to chunk, the gradient stops at each
  /// chunk's start. An error travels back to its chunk's first step: 1 to `n` steps.
  case chunks(Int)
  /// True truncation: every error `E_t` travels back exactly `n` steps, through steps
  /// `t − n + 1 … t` (fewer near the start, where it reaches the initial state).
  case window(Int)

  /// Whether the gradient stops at the state entering step `t` (chunks only).
  func stops(before t: Int) -> Bool {
    if case .chunks(let n) = self { return t > 0 && t % n == 0 }
    return false
  }

  /// `full BPTT`, `chunks of n (TensorFlow style)` or `every error back n steps (true truncation)`.
  public var description: String {
    switch self {
    case .none: "full BPTT"
    case .chunks(let n): "chunks of \(n) (TensorFlow style)"
    case .window(let n): "every error back \(n) steps (true truncation)"
    }
  }
}

/// The function a truncated gradient is the exact gradient of: `E` with the state where the
/// style cuts held at its value at `point`, a constant no oracle differentiates through.
///
/// Its value at `point` is the model's loss; perturbing the parameters changes every step
/// after a cut but not the state at the cut. A `stop_gradient` on the state would do the same
/// for the dual numbers and the tape, but finite differences, which only ever see values,
/// need the constant written into the function.
public struct TruncatedObjective<Cell: RecurrentCell>: ForwardFunction {
  /// The sequence whose loss is truncated.
  public var model: SequenceModel<Cell>
  /// The style and length of the truncation.
  public var truncation: Truncation
  /// The state after each step at the point of the check: the constants at the cuts.
  public var frozen: [CellState<Double>]

  /// The objective of `model` truncated in `truncation`'s style, its cuts held at `point`.
  ///
  /// True truncation recomputes each scored step from its window alone: the steps before
  /// `length` that carry a loss, without `dropout` (asking for it is a programming error).
  public init(_ model: SequenceModel<Cell>, _ truncation: Truncation, at point: [Variable]) {
    if case .window = truncation {
      precondition(model.dropout == nil, "true truncation with dropout is not implemented")
    }
    (self.model, self.truncation) = (model, truncation)
    let all = Parameters(point)
    frozen = model.forward(model.parameters(of: all), from: model.initialState(of: all)).states
  }

  /// `E`: the loss, the same as untruncated.
  public var outputName: String { "E" }
  /// `model`'s cost.
  public var cost: Int { model.cost }
  /// As `model`: the cuts are constants.
  public var evaluatesLanesApart: Bool { model.evaluatesLanesApart }
  /// At least the operations a tape records: as `model`'s, or each scored step's window's.
  ///
  /// TensorFlow's chunks walk every step as `model` does (a constant at a cut still meets the
  /// weights, which are leaves). True truncation runs each scored step's window of cell steps
  /// and its output layer: two nodes for every weight entry each of those reads.
  public var leastTapeNodes: Int {
    guard case .window(let n) = truncation else { return model.leastTapeNodes }
    let (cell, output) = (
      model.weightEntries(model.cell.parameters), model.weightEntries(model.cell.outputParameters)
    )
    return (0..<model.stepsRun).filter { model.carriesLoss?[$0] ?? true }.reduce(0) { nodes, t in
      nodes + 2 * (min(n, t + 1) * cell + output)
    }
  }

  /// `E` with the carried states at the cuts held constant (frozen at the point of the check).
  public func evaluate<T: Scalar>(_ point: Parameters<T>) -> [T] { evaluate(point, keeping: nil) }

  /// The same, the cell's arrays kept in `rooms` (and for chunks, the walk's).
  public func evaluate<T: Scalar>(_ point: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    rooms?.startPass()
    let initial = model.initialState(of: point)
    let step = model.cell.stepping(point, keeping: rooms)
    guard case .window(let n) = truncation else {
      // Each chunk starts from the carried state as a constant.
      let run = model.walkForward(
        from: initial, point, rooms: rooms,
        restart: { t in truncation.stops(before: t) ? frozen[t - 1].lifted() : nil }
      ) { step($0, &$1) }
      return [run.loss]
    }
    // E_t from h_{t−n} as a constant (or from the initial state, when the window reaches it),
    // through its n steps.
    let (V, b_y) = (
      point.matrix(model.cell.outputNames.weights), point[model.cell.outputNames.bias]
    )
    var (loss, x_t, room) = (T(0), [T](), OutputStepRoom<T>())  // x_t: written over, as in a walk
    // Past `length` no step runs; a step that carries no loss has no window to recompute.
    for t in model.xs.indices.prefix(model.length ?? model.xs.count)
    where model.carriesLoss?[t] ?? true {
      var state: CellState<T> = t >= n ? frozen[t - n].lifted() : initial
      for j in max(0, t - n + 1)...t {
        lift(model.xs[j], into: &x_t)
        step(x_t, &state)
      }
      loss += outputStepLoss(
        s: state.h, V: V, b_y: b_y, target: model.targets[t], into: &room)
    }
    return [loss]
  }
}

extension TruncatedObjective: DifferentiableModel {
  /// The model's loss (truncation leaves the forward pass alone) and the truncated gradients,
  /// the exact gradients of this objective at `point`, the point its cuts were frozen at.
  public func gradients(at point: [Variable]) -> ModelGradients {
    model.gradients(at: point, truncation: truncation)
  }
}
