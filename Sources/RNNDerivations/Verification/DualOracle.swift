/// Forward-mode dual numbers through the same generic forward pass: exact up to rounding.
public enum DualOracle {
  /// The directional derivative `J v`: one forward pass with tangents `v` on variable `p`.
  public static func directional(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, direction v: [Double]
  ) -> [Double] {
    directional(f, at: point, along: only(p, v, in: point))
  }

  /// The derivative along a direction of the whole point: one forward pass with tangents
  /// `v[p]` on every variable `p` at once.
  public static func directional(
    _ f: some ForwardFunction, at point: [Variable], along v: [[Double]]
  ) -> [Double] {
    var inputs = Parameters<Dual>(constants: Parameters(point))
    for p in point.indices {
      for k in inputs.values[p].indices { inputs.values[p][k].derivative = v[p][k] }
    }
    return f.evaluate(inputs).map(\.derivative)
  }

  /// The derivatives along several directions of the whole point, twenty-four a pass
  /// (`DualLanes`): tangent lane `i` carries the pass's `i`-th direction, to the bit the `Dual`
  /// pass along it (`directional`).
  public static func directionals(
    _ f: some ForwardFunction, at point: [Variable], along directions: [[[Double]]]
  ) -> [[Double]] {
    var inputs = Parameters<DualLanes>(constants: Parameters(point))
    var out: [[Double]] = []
    let rooms = PassRooms()  // each pass's arrays left for the next
    for first in stride(from: 0, to: directions.count, by: Lanes.count) {
      let pass = directions[first..<min(first + Lanes.count, directions.count)]
      for p in point.indices {
        for k in inputs.values[p].indices {
          for (lane, v) in pass.enumerated() { inputs.values[p][k].derivative[lane] = v[p][k] }
        }
      }
      let outputs = f.evaluate(inputs, keeping: rooms)
      out += pass.indices.map { lane in outputs.map { $0.derivative[lane - first] } }
    }
    return out
  }

  /// The Jacobian `∂f/∂x_p`: one forward pass per entry, seeding its tangent with 1.
  public static func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> [Double]
  {
    jacobians(f, at: point, wrt: [p])[0]
  }

  /// The Jacobians `∂f/∂x_p` for each variable `p` of `variables`, in that order.
  ///
  /// Twenty-four entries a pass (`DualLanes`), taken in order across the variables: tangent
  /// lane `i` seeded on the pass's `i`-th entry, each lane the `Dual` pass of its entry to the
  /// bit.
  public static func jacobians(
    _ f: some ForwardFunction, at point: [Variable], wrt variables: [Int]
  ) -> [[Double]] {
    var inputs = Parameters<DualLanes>(constants: Parameters(point))
    let entries = variables.indices.flatMap { v in
      point[variables[v]].values.indices.map { k in (v: v, p: variables[v], k: k) }
    }
    // Per variable, outputs × entries, row-major: entry k's column filled by its lane.
    var jacobians = variables.map { _ in [Double]() }
    let rooms = PassRooms()  // each pass's arrays left for the next
    for first in stride(from: 0, to: entries.count, by: Lanes.count) {
      let seeded = entries[first..<min(first + Lanes.count, entries.count)]
      for (lane, e) in seeded.enumerated() { inputs.values[e.p][e.k].derivative[lane] = 1 }
      let outputs = f.evaluate(inputs, keeping: rooms)
      for (lane, e) in seeded.enumerated() {
        let n = point[e.p].values.count  // the Jacobian's columns
        if jacobians[e.v].isEmpty { jacobians[e.v] = Array(repeating: 0, count: outputs.count * n) }
        for (i, output) in outputs.enumerated() {
          jacobians[e.v][i * n + e.k] = output.derivative[lane]
        }
        inputs.values[e.p][e.k].derivative = .zero
      }
    }
    return jacobians
  }
}

/// A direction of the whole point that moves only variable `p`, along `v`.
func only(_ p: Int, _ v: [Double], in point: [Variable]) -> [[Double]] {
  precondition(v.count == point[p].values.count, "one direction entry per entry of x_p")
  return point.indices.map { $0 == p ? v : [Double](repeating: 0, count: point[$0].values.count) }
}
