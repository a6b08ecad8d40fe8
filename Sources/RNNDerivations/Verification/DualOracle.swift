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

  /// The Jacobian `∂f/∂x_p`: one forward pass per entry, seeding its tangent with 1.
  ///
  /// Eight entries a pass (`DualLanes`): tangent lane `i` seeded on the pass's `i`-th entry,
  /// each lane the `Dual` pass of its entry to the bit.
  public static func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> [Double]
  {
    var inputs = Parameters<DualLanes>(constants: Parameters(point))
    var columns: [[Double]] = []
    let (entries, width) = (inputs.values[p].indices, SIMD8<Double>.scalarCount)
    for first in stride(from: entries.lowerBound, to: entries.upperBound, by: width) {
      let seeded = first..<min(first + width, entries.upperBound)
      for k in seeded { inputs.values[p][k].derivative[k - first] = 1 }
      let outputs = f.evaluate(inputs)
      for k in seeded {
        columns.append(outputs.map { $0.derivative[k - first] })
        inputs.values[p][k].derivative = .zero
      }
    }
    return transposeColumns(columns)
  }
}

/// A direction of the whole point that moves only variable `p`, along `v`.
func only(_ p: Int, _ v: [Double], in point: [Variable]) -> [[Double]] {
  precondition(v.count == point[p].values.count, "one direction entry per entry of x_p")
  return point.indices.map { $0 == p ? v : [Double](repeating: 0, count: point[$0].values.count) }
}
