/// A batch of sequences of different lengths sharing the parameters and the initial state, as
/// `dynamic_rnn` runs them padded to the longest with `sequence_length` (source 001):
/// `E = Σ_b E_b`, and every gradient the sum of the sequences' gradients.
public struct SequenceBatch<Cell: RecurrentCell>: ForwardFunction {
  /// One model per sequence, each with its padded inputs and its `length`.
  public var sequences: [SequenceModel<Cell>]

  public init(_ sequences: [SequenceModel<Cell>]) { self.sequences = sequences }

  public var outputName: String { "E" }
  public var cost: Int { sequences.reduce(0) { $0 + $1.cost } }

  public func evaluate<T: Scalar>(_ point: Parameters<T>) -> [T] {
    [sequences.reduce(T(0)) { $0 + $1.evaluate(point)[0] }]
  }

  /// Each sequence's hand-derived gradients (parameters, then the initial state), summed.
  public func gradients(_ p: Parameters<Double>, from initial: CellState<Double>) -> [[Double]] {
    let each = sequences.map { $0.backward($0.forward(p, from: initial), p).flat }
    return each.dropFirst().reduce(each.first ?? []) { sum, g in zip(sum, g).map { $0 .+ $1 } }
  }
}
