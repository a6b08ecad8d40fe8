/// A batch of sequences of different lengths sharing the parameters and the initial state, as
/// `dynamic_rnn` runs them padded to the longest with `sequence_length` (source 001):
/// `E = Σ_b E_b`, and every gradient the sum of the sequences' gradients.
public struct SequenceBatch<Cell: RecurrentCell>: ForwardFunction {
  /// One model per sequence, each with its padded inputs and its `length`.
  public var sequences: [SequenceModel<Cell>]

  /// A batch of the given sequences.
  public init(_ sequences: [SequenceModel<Cell>]) { self.sequences = sequences }

  /// `E`: the sum of the sequences' losses.
  public var outputName: String { "E" }
  /// Every sequence's steps.
  public var cost: Int { sequences.reduce(0) { $0 + $1.cost } }
  /// As each sequence: the sum is arithmetic only.
  public var evaluatesLanesApart: Bool { sequences.allSatisfy(\.evaluatesLanesApart) }

  /// `E = Σ_b E_b` at `point`.
  public func evaluate<T: Scalar>(_ point: Parameters<T>) -> [T] { evaluate(point, keeping: nil) }

  /// The same, each sequence's arrays kept in rooms of its own among `rooms`.
  public func evaluate<T: Scalar>(_ point: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    rooms?.startPass()
    return [
      sequences.reduce(T(0)) {
        $0 + $1.evaluate(point, keeping: rooms?.room { PassRooms() }.value)[0]
      }
    ]
  }

  /// Every sequence's loss and hand-derived gradients at `point` (one forward and one
  /// backward pass each), and the batch's.
  public func gradients(at point: [Variable]) -> BatchGradients {
    BatchGradients(each: sequences.concurrentMap { $0.gradients(at: point) })
  }
}

/// The gradients of a `SequenceBatch`: each sequence's, and the batch's from them.
public struct BatchGradients: Sendable {
  /// One per sequence: loss, gradients (parameters, then the initial state), conditioning,
  /// magnitudes, final state.
  public var each: [ModelGradients]

  /// The batch's gradients: the sequences' summed.
  public var gradients: [[Double]] {
    each.dropFirst().reduce(each.first?.gradients ?? []) { sum, g in
      zip(sum, g.gradients).map { $0 .+ $1 }
    }
  }
  /// The largest conditioning of any sequence.
  public var conditioning: Double { each.map(\.conditioning).max() ?? 1 }
  /// Per variable, the largest term summed into its gradient in any sequence: the scale of
  /// rounding the error model allows for.
  public var magnitudes: [Double] {
    each.dropFirst().reduce(each.first?.magnitudes ?? []) { largest, g in
      zip(largest, g.magnitudes).map { max($0, $1) }
    }
  }
}
