/// Forward-mode dual numbers through the same generic forward pass: exact up to rounding.
public enum DualOracle {
  /// The directional derivative `J v`: one forward pass with tangents `v` on variable `p`.
  public static func directional(
    _ f: some ForwardFunction, at point: [Variable], wrt p: Int, direction v: [Double]
  ) -> [Double] {
    var inputs = Parameters<Dual>(constants: Parameters(point))
    for k in inputs.values[p].indices { inputs.values[p][k].derivative = v[k] }
    return f.evaluate(inputs).map(\.derivative)
  }

  /// The Jacobian `∂f/∂x_p`: one forward pass per entry, seeding its tangent with 1.
  public static func jacobian(_ f: some ForwardFunction, at point: [Variable], wrt p: Int)
    -> [Double]
  {
    var inputs = Parameters<Dual>(constants: Parameters(point))
    var columns: [[Double]] = []
    for k in inputs.values[p].indices {
      inputs.values[p][k].derivative = 1
      columns.append(f.evaluate(inputs).map(\.derivative))
      inputs.values[p][k].derivative = 0
    }
    return transposeColumns(columns)
  }
}
