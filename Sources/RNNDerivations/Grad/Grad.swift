extension GradInput {
  /// The model as a forward function with its backward pass: the objective `grad`
  /// differentiates (truncated when the input asks).
  public var sequenceModel: any DifferentiableModel {
    func run(_ cell: some RecurrentCell) -> any DifferentiableModel { objective(sequence(cell)) }
    guard let layers else { return run(cell) }
    return run(StackedCell(layers.map(\.cell)))
  }

  /// Parameters then initial state: the point every gradient and oracle is taken at.
  public var point: [Variable] { params + initialState }
}

/// The result of `rnn-explain grad`.
public struct GradResult: Sendable {
  /// The validated input.
  public var input: GradInput
  /// The loss and the hand-derived gradients, in the order of the input's point.
  public var result: ModelGradients
  /// Oracle checks, with `--check`.
  public var checks: [GradientCheck]?
  /// With `--check` on a large model, what the whole-gradient check covered
  /// (`WholeGradientCheck.scope`); `nil` when every variable was checked in turn.
  public var scope: String?

  /// Computes the loss and gradients (and the oracle checks with `check`).
  ///
  /// Finite inputs can still overflow double precision (a weight of 1e308 times an input of
  /// 2); that is reported as bad input, never printed as `null`s.
  public init(_ input: GradInput, check: Bool, progress: (String) -> Void = { _ in })
    throws(InputError)
  {
    self.input = input
    let model = input.sequenceModel
    result = model.gradients(at: input.point)
    guard result.loss.isFinite else {
      throw InputError("params: the loss is not finite in double precision (values too large)")
    }
    for (v, g) in zip(input.point, result.gradients) where !g.allSatisfy(\.isFinite) {
      throw InputError("params: ∂E/∂\(v.name) is not finite in double precision (values too large)")
    }
    guard check else { return }
    // True truncation evaluates each scored step through its window: up to T·n cell steps.
    let window = if case .window(let n) = input.truncation { min(n, input.inputs.count) } else { 1 }
    if Self.perVariableOperations(input.point, steps: input.inputs.count * window)
      <= Tolerances.perVariableCheckMaxOperations
    {
      progress("checking every variable in turn")
      checks = verify(
        model, at: input.point, analytic: result.gradients, conditioning: result.conditioning,
        magnitudes: result.magnitudes)
    } else {
      let whole = WholeGradientCheck(
        model, at: input.point, gradient: result.gradients, conditioning: result.conditioning,
        magnitudes: result.magnitudes, progress: progress)
      (checks, scope) = (whole.checks, whole.scope)
    }
  }

  /// About how many scalar operations `verify` would take, variable by variable
  /// (`Tolerances.perVariableCheckMaxOperations` explains the estimate).
  static func perVariableOperations(_ point: [Variable], steps: Int) -> Double {
    let entries = point.entryCount
    let forward = 2 * Double(steps) * Double(entries)
    let passes = point.reduce(0) { total, v in
      let full = v.values.count * steps <= Tolerances.fullCheckMaxEntries
      return total + (full ? v.values.count : Tolerances.projectedDirections)
    }
    return 10 * Double(passes) * forward
  }

  /// Every check passed (true when nothing was checked).
  public var passed: Bool { checks?.allSatisfy(\.passed) ?? true }

  /// The gradients named as the point's variables.
  var named: [(Variable, [Double])] { Array(zip(input.point, result.gradients)) }

  /// `values` in the shape of `v`: a vector or a matrix.
  static func value(_ v: Variable, _ values: [Double]) -> Value {
    v.shape.isVector
      ? .vector(values) : .matrix(Matrix(rows: v.shape.rows, cols: v.shape.cols, storage: values))
  }

  /// `∂E/∂W` for a parameter, `∂E/∂h_{−1}` for the initial state (notes/Conventions.md: steps
  /// count from 0, the state before step 0 is `h_{−1}`), `∂E/∂h_{−1}^(2)` for a stack's layer's.
  func label(_ v: Variable) -> String {
    if input.params.contains(where: { $0.name == v.name }) { return "∂E/∂" + v.name }
    guard let (layer, name) = StackedCell.splitName(v.name) else { return "∂E/∂\(v.name)_{−1}" }
    return "∂E/∂" + StackedCell.layerName("\(name)_{−1}", layer: layer)
  }

  /// The output JSON (README, "grad"), keys in a fixed order.
  public var json: JSON {
    let paramCount = input.params.count
    var pairs = input.modelJSON
    pairs += input.mechanicsJSON
    pairs += [
      ("loss", .number(result.loss)),
      (
        "gradients",
        input.parametersJSON(
          named.prefix(paramCount).map { ($0.0.name, JSONRenderer.json(Self.value($0.0, $0.1))) })
      ),
      (
        "initial_state_gradients",
        input.stateJSON(named.dropFirst(paramCount).map { ($0.0.name, .numbers($0.1)) })
      ),
      ("final_state", input.stateJSON(result.finalState.map { ($0.name, .numbers($0.values)) })),
    ]
    if let checks {
      let byParameter = checkedNames.map { name in
        (
          name,
          JSON.object(
            checks.filter { $0.parameter == name }.map { ($0.reference, JSONRenderer.json($0)) })
        )
      }
      var check: [(String, JSON)] = [("passed", .bool(passed))]
      if let scope { check.append(("scope", .string(scope))) }
      pairs.append(("check", .object(check + [("parameters", input.parametersJSON(byParameter))])))
    }
    return .object(pairs)
  }

  /// The variables the checks name, in the order of the point, then `all` for the
  /// whole-gradient directions.
  var checkedNames: [String] {
    input.point.map(\.name) + (scope == nil ? [] : [WholeGradientCheck.allVariables])
  }

  /// A readable per-parameter table, then each gradient in full.
  public func text(renderer: TextRenderer) -> String {
    let d = input.dims
    var out = input.title
    out += " · T=\(input.inputs.count) · \(d)\(input.mechanicsText)\nE = \(result.loss)\n\n"
    // 14 wide, wider for a stack's longer names.
    let width = named.reduce(14) { max($0, label($1.0).count + 1) }
    out += pad("GRADIENT", width) + pad("SHAPE", 8) + pad("‖·‖_F", 12) + pad("MAX |·|", 12)
    out += checks == nil ? "\n" : pad("DUAL", 10) + pad("TAPE", 10) + pad("FD", 10) + "RESULT\n"
    func verdicts(_ name: String) -> String {
      guard let checks else { return "" }
      let mine = checks.filter { $0.parameter == name }
      return Oracle.allCases.map { oracle in
        pad(
          mine.first { $0.reference == oracle.rawValue }.map { sci($0.maxRelativeError) } ?? "-",
          10)
      }.joined() + (mine.isEmpty ? "-" : renderer.verdict(mine.allSatisfy(\.passed)))
    }
    for (v, g) in named {
      out += pad(label(v), width) + pad("\(v.shape)", 8)
      out += pad(format(g.reduce(0) { $0 + $1 * $1 }.squareRoot()), 12)
      out += pad(format(g.map(abs).max() ?? 0), 12) + verdicts(v.name) + "\n"
    }
    if let scope {
      out += pad("∇E·v", width) + pad("all", 32) + verdicts(WholeGradientCheck.allVariables) + "\n"
      out += "Checked: \(scope).\n"
    }
    out += "\n"
    for (v, g) in named { out += renderer.render(NamedValue(label(v), Self.value(v, g))) }
    for s in result.finalState { out += renderer.render(NamedValue("final \(s.name)", s.values)) }
    return out
  }
}

extension GradInput {
  /// `sequence_length` and `truncate` as given, echoed in `grad`'s output (nothing if absent).
  var mechanicsJSON: [(String, JSON)] {
    var pairs: [(String, JSON)] = []
    if let length { pairs.append(("sequence_length", .number(Double(length)))) }
    if let (style, steps) = truncationFields {
      pairs.append(
        ("truncate", .object([("style", .string(style)), ("steps", .number(Double(steps)))])))
    }
    return pairs
  }

  /// The same for the text report's first line: ` · sequence_length 3 · truncate tf 2`, and
  /// how many steps carry a loss when some targets are null (none from `sequence_length` on).
  var mechanicsText: String {
    var out = ""
    if let carriesLoss {
      let scored = carriesLoss.prefix(length ?? inputs.count).filter { $0 }.count
      out += " · loss at \(scored) of \(inputs.count) steps"
    }
    if let length { out += " · sequence_length \(length)" }
    if let (style, steps) = truncationFields { out += " · truncate \(style) \(steps)" }
    return out
  }
}
