/// A learner's gradients, as `grad --compare` reads them: the names and shapes of `grad`'s own
/// output (`gradients`, optionally `initial_state_gradients`; every other field is ignored,
/// so `grad`'s output can be fed back as it is).
public struct TheirGradients: Sendable {
  /// One gradient as given.
  public struct Given: Sendable {
    /// The gradient's name as the input's point names it: `W`, `h`.
    public var name: String
    /// Row after row, in the shape given.
    public var values: [Double]
    /// A matrix given in the transposed shape (`D×H` for `H×D`); square matrices are judged
    /// by their values instead.
    public var hasTransposedShape: Bool
  }

  /// One per parameter of the model, in its order.
  public var parameters: [Given]
  /// Only the states given (`h`, `c`), in the model's order.
  public var initialState: [Given]

  /// Reads and validates `text` against `input`'s model and sizes; every error starts with
  /// `compare:` and names the field.
  public static func parse(_ text: String, for input: GradInput) throws(InputError)
    -> TheirGradients
  {
    guard input.layers == nil else {
      throw InputError("layers: --compare takes a single cell's gradients, not a stack's")
    }
    do {
      let json = JSON.object(try GradInput.topLevelObject(text))
      let model = input.model
      // The input's own parameters: a reset-after GRU's `b_hn` when it has one.
      let specs = input.cell.parameters + input.cell.outputParameters
      let gradients = try given(
        json["gradients"], "gradients", names: specs.map(\.name), required: true, for: model)
      var parameters: [Given] = []
      for spec in specs {
        guard let value = gradients[spec.name] else { continue }
        parameters.append(
          try gradient(
            value, "gradients.\(spec.name)", spec.shape(input.dims), spec.letters, spec.name))
      }
      let states = try given(
        json["initial_state_gradients"], "initial_state_gradients", names: model.stateNames,
        required: false, for: model)
      var initialState: [Given] = []
      for name in model.stateNames {
        guard let value = states[name] else { continue }
        initialState.append(
          try gradient(value, "initial_state_gradients.\(name)", .vector(input.dims.H), "H", name))
      }
      return TheirGradients(parameters: parameters, initialState: initialState)
    } catch {
      throw InputError("compare: \(error.message)")
    }
  }

  /// The fields of an object of named gradients, by name: none but `names` and (when
  /// `required`) every one of them.
  private static func given(
    _ v: JSON?, _ field: String, names: [String], required: Bool, for model: ModelKind
  ) throws(InputError) -> [String: JSON] {
    if v == nil, !required { return [:] }
    guard case .object(let pairs)? = v else {
      throw InputError(
        "\(field): expected an object of named gradients, found \(GradInput.describe(v))")
    }
    let expected = names.joined(separator: ", ")
    if let extra = pairs.first(where: { !names.contains($0.0) }) {
      throw InputError(
        "\(field): unexpected name \(quoted(extra.0)) for \(model.rawValue) (expected \(expected))"
      )
    }
    if required, let missing = names.first(where: { name in !pairs.contains { $0.0 == name } }) {
      throw InputError(
        "\(field): missing '\(missing)' for \(model.rawValue) (expected \(expected))")
    }
    // The parser rejects duplicate keys: each name is here once.
    return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
  }

  /// One gradient: a vector of `shape`'s length, or a matrix of `shape` or its transpose.
  private static func gradient(
    _ value: JSON, _ field: String, _ shape: Shape, _ letters: String, _ name: String
  ) throws(InputError) -> Given {
    let isMatrix =
      if case .array(let items) = value, case .array? = items.first { true } else { false }
    if shape.isVector {
      guard !isMatrix else {
        throw InputError(
          "\(field): expected a vector of \(shape) numbers (\(letters)), found an array of rows")
      }
      let v = try GradInput.numbers(value, field)
      guard v.count == shape.count else {
        throw InputError("\(field) has \(v.count) numbers, expected \(shape) (\(letters))")
      }
      return Given(name: name, values: v, hasTransposedShape: false)
    }
    guard isMatrix else {
      throw InputError(
        "\(field): expected a \(shape) matrix (\(letters)) as an array of rows, "
          + "found \(GradInput.describe(value))")
    }
    let m = try GradInput.rows(value, field)
    let found = Shape.matrix(m.count, m.first?.count ?? 0)
    let transposed = Shape.matrix(shape.cols, shape.rows)
    guard found == shape || found == transposed else {
      throw InputError("\(field) has shape \(found), expected \(shape) (\(letters))")
    }
    return Given(
      name: name, values: m.flatMap { $0 }, hasTransposedShape: found != shape)
  }
}
