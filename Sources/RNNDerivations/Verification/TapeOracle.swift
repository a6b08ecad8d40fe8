/// Reverse mode through the same generic forward pass: a tape, swept once per output.
///
/// One forward pass on `Traced` records the whole computation; one backward sweep from an
/// output gives that output's derivative with respect to every entry at once. For a scalar
/// loss the whole gradient costs one forward and one backward pass, where `DualOracle` runs
/// one forward pass per entry. Like the other oracles it never calls a backward pass.
public enum TapeOracle {
  /// The Jacobian `∂f/∂x_p` (outputs × entries, row-major): one backward sweep per output.
  public static func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> [Double]
  {
    jacobians(f, at: point, wrt: [p])[0]
  }

  /// The Jacobians `∂f/∂x_p` for each variable `p` of `variables`, in that order, from one
  /// recording (every entry of these variables a leaf) and one sweep per output.
  ///
  /// A sweep reaches a leaf only through the nodes that depend on it, in the same order
  /// whichever other entries are leaves: each Jacobian is, to the bit, the one recorded with
  /// its variable alone as the leaves.
  public static func jacobians(
    _ f: some ForwardFunction, at point: [Variable], wrt variables: [Int]
  ) -> [[Double]] {
    rows(f, at: point, wrt: variables).map { Array($0.joined()) }
  }

  /// The directional derivative `J v`: each output's gradient dotted with `v`.
  public static func directional(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, direction v: [Double]
  ) -> [Double] {
    precondition(v.count == point[p].values.count, "one direction entry per entry of x_p")
    return rows(f, at: point, wrt: [p])[0].map { dot($0, v) }
  }

  /// The gradient of a scalar `f` with respect to every variable, from one recording and one
  /// sweep; `nil` when the recording would need more than `limit` nodes, without recording
  /// where `f` says it would (`ForwardFunction.leastTapeNodes`, and a leaf for every entry).
  public static func gradient(_ f: some ForwardFunction, at point: [Variable], limit: Int)
    -> [[Double]]?
  {
    guard f.leastTapeNodes + point.entryCount <= limit,
      let rows = recorded(f, at: point, wrt: Array(point.indices), limit: limit, outputs: 1),
      rows.allSatisfy({ $0.count == 1 })  // the one output's row of every variable
    else { return nil }
    return rows.map { $0[0] }
  }

  /// Per variable of `variables`, per output, `∂output/∂x_p`: every output's row of each
  /// Jacobian, from one recording with no limit.
  static func rows(_ f: some ForwardFunction, at point: [Variable], wrt variables: [Int])
    -> [[[Double]]]
  {
    guard let rows = recorded(f, at: point, wrt: variables, limit: .max) else {
      preconditionFailure("a tape without a limit records every node")
    }
    return rows
  }

  /// The one recording every answer of this oracle comes from.
  ///
  /// `f` at `point` on `Traced`, the entries of `variables` the tape's leaves (every other
  /// variable a constant), then one sweep for each of the first `outputs` outputs (all by
  /// default). Per variable, per output, `∂output/∂x_p[k]`; `nil` when the recording would
  /// need more than `limit` nodes.
  private static func recorded(
    _ f: some ForwardFunction, at point: [Variable], wrt variables: [Int], limit: Int,
    outputs: Int = .max
  ) -> [[[Double]]]? {
    guard !variables.isEmpty else { return [] }  // nothing to record
    let tape = Tape(limit: limit)
    var inputs = Parameters<Traced>(constants: Parameters(point))
    let leaves = variables.map { p in point[p].values.map(tape.variable) }
    for (p, leaves) in zip(variables, leaves) { inputs.values[p] = leaves }
    let values = f.evaluate(inputs).prefix(outputs)
    guard !tape.overflowed else { return nil }
    // One sweep per output: ∂output/∂node for every node.
    let adjoints = values.map { tape.gradient(of: $0) }
    return leaves.map { leaves in adjoints.map { adjoint in leaves.map { adjoint[$0.index] } } }
  }
}
