extension GradInput {
  /// The model as a forward function with its backward pass.
  public var sequenceModel: any DifferentiableModel {
    func run(_ cell: some RecurrentCell) -> any DifferentiableModel {
      SequenceModel(cell, xs: inputs, targets: targets, dims: dims)
    }
    return run(model.cell(variant: variant, forgetBias: forgetBias))
  }

  /// Parameters then initial state: the point every gradient and oracle is taken at.
  public var point: [Variable] { params + initialState }
}

/// The result of `rnn-explain grad`.
public struct GradResult: Sendable {
  public var input: GradInput
  public var result: ModelGradients
  /// Oracle checks, with `--check`.
  public var checks: [GradientCheck]?

  /// Computes the loss and gradients (and the oracle checks with `check`).
  ///
  /// Finite inputs can still overflow double precision (a weight of 1e308 times an input of
  /// 2); that is reported as bad input, never printed as `null`s.
  public init(_ input: GradInput, check: Bool) throws(InputError) {
    self.input = input
    let model = input.sequenceModel
    result = model.gradients(at: input.point)
    guard result.loss.isFinite else {
      throw InputError("params: the loss is not finite in double precision (values too large)")
    }
    for (v, g) in zip(input.point, result.gradients) where !g.allSatisfy(\.isFinite) {
      throw InputError("params: ∂E/∂\(v.name) is not finite in double precision (values too large)")
    }
    checks =
      check
      ? verify(
        model, at: input.point, analytic: result.gradients, conditioning: result.conditioning,
        magnitudes: result.magnitudes)
      : nil
  }

  public var passed: Bool { checks?.allSatisfy(\.passed) ?? true }

  /// The gradients named as the point's variables.
  var named: [(Variable, [Double])] { Array(zip(input.point, result.gradients)) }

  /// `values` in the shape of `v`: a vector or a matrix.
  static func value(_ v: Variable, _ values: [Double]) -> Value {
    v.shape.isVector
      ? .vector(values) : .matrix(Matrix(rows: v.shape.rows, cols: v.shape.cols, storage: values))
  }

  /// `∂E/∂W` for a parameter, `∂E/∂h_{−1}` for the initial state (notes/Conventions.md: steps
  /// count from 0, the state before step 0 is `h_{−1}`).
  func label(_ v: Variable) -> String {
    "∂E/∂" + (input.params.contains { $0.name == v.name } ? v.name : "\(v.name)_{−1}")
  }

  /// The output JSON (README, "grad"), keys in a fixed order.
  public var json: JSON {
    let paramCount = input.params.count
    var pairs: [(String, JSON)] = [("model", .string(input.model.rawValue))]
    if input.model == .gru { pairs.append(("variant", .string(input.variant.rawValue))) }
    if input.model == .lstm { pairs.append(("forget_bias", .number(input.forgetBias))) }
    pairs += [
      ("loss", .number(result.loss)),
      (
        "gradients",
        .object(
          named.prefix(paramCount).map { ($0.0.name, JSONRenderer.json(Self.value($0.0, $0.1))) })
      ),
      (
        "initial_state_gradients",
        .object(named.dropFirst(paramCount).map { ($0.0.name, .numbers($0.1)) })
      ),
      ("final_state", .object(result.finalState.map { ($0.name, .numbers($0.values)) })),
    ]
    if let checks {
      let byParameter = input.point.map { v in
        (
          v.name,
          JSON.object(
            checks.filter { $0.parameter == v.name }.map { ($0.reference, JSONRenderer.json($0)) })
        )
      }
      pairs.append(
        ("check", .object([("passed", .bool(passed)), ("parameters", .object(byParameter))])))
    }
    return .object(pairs)
  }

  /// A readable per-parameter table, then each gradient in full.
  public func text(renderer: TextRenderer) -> String {
    let d = input.dims
    var out = "\(input.model.rawValue)"
    if input.model == .gru { out += " (\(input.variant.rawValue))" }
    if input.model == .lstm { out += " (forget_bias \(format(input.forgetBias)))" }
    out += " · T=\(input.inputs.count) · \(d)\nE = \(result.loss)\n\n"
    out += pad("GRADIENT", 14) + pad("SHAPE", 8) + pad("‖·‖_F", 12) + pad("MAX |·|", 12)
    out += checks == nil ? "\n" : pad("DUAL", 10) + pad("FD", 10) + "RESULT\n"
    for (v, g) in named {
      out += pad(label(v), 14) + pad("\(v.shape)", 8)
      out += pad(format(g.reduce(0) { $0 + $1 * $1 }.squareRoot()), 12)
      out += pad(format(g.map(abs).max() ?? 0), 12)
      if let checks {
        let mine = checks.filter { $0.parameter == v.name }
        for oracle in Oracle.allCases {
          out += pad(
            mine.first { $0.reference == oracle.rawValue }.map { sci($0.maxRelativeError) } ?? "-",
            10)
        }
        out += renderer.verdict(mine.allSatisfy(\.passed))
      }
      out += "\n"
    }
    out += "\n"
    for (v, g) in named { out += renderer.render(NamedValue(label(v), Self.value(v, g))) }
    for s in result.finalState { out += renderer.render(NamedValue("final \(s.name)", s.values)) }
    return out
  }
}
