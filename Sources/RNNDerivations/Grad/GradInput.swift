/// The models `rnn-explain grad` computes gradients for.
public enum ModelKind: String, Sendable, CaseIterable {
  case rnn
  case rnnConcat = "rnn-concat"
  case lstm
  case gru
}

extension ModelKind {
  /// The cell this model runs; the GRU convention and the forget bias change its equations,
  /// never its parameters (a reset-after GRU's optional `b_hn` adds one).
  public func cell(
    variant: GRUVariant = .resetBefore, forgetBias: Double = 0, recurrentBias: Bool = false
  ) -> any RecurrentCell {
    switch self {
    case .rnn: RNNCell()
    case .rnnConcat: ConcatRNNCell()
    case .lstm: LSTMCell(forgetBias: forgetBias)
    case .gru: GRUCell(variant: variant, hasRecurrentBias: recurrentBias)
    }
  }

  /// The parameters: the cell's, then the output layer's (the order of every output).
  public var parameters: [ParameterSpec] { cell().parameters + cell().outputParameters }

  /// The state carried between steps: `h`, and the cell `c` for an LSTM.
  public var stateNames: [String] { cell().stateNames }
}

/// A model with its equations pinned down: the kind and, for a GRU, its convention (an
/// LSTM's forget bias shifts a gate's input, not the derivation).
public struct ModelVariant: Sendable, Equatable, CustomStringConvertible {
  /// `rnn`, `rnn-concat`, `lstm` or `gru`.
  public var kind: ModelKind
  /// `.resetBefore` for every kind but a reset-after GRU.
  public var variant: GRUVariant = .resetBefore

  /// `rnn`, `rnn-concat`, `lstm`, `gru`, `gru (reset-after)`.
  public var description: String {
    variant == .resetAfter ? "\(kind.rawValue) (\(variant.rawValue))" : kind.rawValue
  }
}

/// The largest inputs `grad` accepts.
extension Limits {
  /// The most time steps `grad` accepts (`inputs` rows, `truncate.steps`).
  public static let gradSteps = 1000
  /// The largest D, H or K `grad` accepts.
  public static let gradDimension = 256
}

/// A validated `grad` input (the JSON contract in the README).
public struct GradInput: Sendable {
  /// `model`: the cell.
  public var model: ModelKind
  /// `variant`: a GRU's convention; reset-before unless given.
  public var variant: GRUVariant = .resetBefore
  /// `forget_bias`: an LSTM's; 0 unless given.
  public var forgetBias = 0.0
  /// `inputs`: T rows of D numbers.
  public var inputs: [[Double]]
  /// One class index per step; a `null` target's placeholder is 0, and `carriesLoss` is false.
  public var targets: [Int]
  /// Which steps carry a loss: false where the target is `null`; nil when every step does.
  public var carriesLoss: [Bool]? = nil
  /// `sequence_length`: steps from it on copy the state through and carry no loss; nil: all.
  public var length: Int? = nil
  /// `truncate`: how far back each error's gradient goes (the loss is the same in every style).
  public var truncation: Truncation = .none
  /// The sizes D, H, K, read from the parameters' shapes.
  public var dims: Dims
  /// In the order of `cell`'s parameters, then the output layer's (`model.parameters`, and
  /// `b_hn` after `b_h` when given).
  public var params: [Variable]
  /// `h` (and `c`), zeros unless given.
  public var initialState: [Variable]
  /// A stacked model's layers, bottom first (StackedGradInput.swift); `nil` for one cell.
  ///
  /// `params` and `initialState` then hold every layer's under `W^(ℓ)`-style names, and
  /// `model` is the top layer's kind.
  public var layers: [GradLayer]? = nil

  /// The model and its GRU convention, as the catalogue of mistakes names them.
  public var modelVariant: ModelVariant {
    ModelVariant(kind: model, variant: model == .gru ? variant : .resetBefore)
  }

  /// Whether the params include a reset-after GRU's recurrent candidate bias `b_hn`.
  public var hasRecurrentBias: Bool { params.contains { $0.name == GRUCell.recurrentBias } }

  /// The cell this input's model runs.
  public var cell: any RecurrentCell {
    model.cell(variant: variant, forgetBias: forgetBias, recurrentBias: hasRecurrentBias)
  }
}

extension GradInput {
  private static let fields = [
    "model", "variant", "forget_bias", "inputs", "targets", "initial_state", "params",
    "sequence_length", "truncate",
  ]

  /// Parses and validates a `grad` input; the error names the field and what was expected.
  public static func parse(_ text: String) throws(InputError) -> GradInput {
    let top = try topLevelObject(text)
    if top.contains(where: { $0.0 == "layers" }) { return try parseStacked(top) }
    if let extra = top.first(where: { !fields.contains($0.0) }) {
      throw InputError(
        "unexpected field \(quoted(extra.0)) (expected \(fields.joined(separator: ", ")))")
    }
    let json = JSON.object(top)
    guard case .string(let name)? = json["model"] else {
      throw InputError("model: expected one of \(kinds), found \(describe(json["model"]))")
    }
    guard let model = ModelKind(rawValue: name) else {
      throw InputError("model: expected one of \(kinds), found \(describe(.string(name)))")
    }
    let variant = try variant(json["variant"], model, field: "variant")
    let forgetBias = try forgetBias(json["forget_bias"], model, field: "forget_bias")
    let (params, dims) = try parameters(
      json["params"], model, specs: specs(model, variant, json["params"]))
    let dSource = model.parameters.first { $0.cols == .D || $0.cols == .DPlusH }
    let inputs = try sequence(
      json["inputs"], dims,
      dFrom: "params.\(dSource?.name ?? "?")'s columns" + (dSource?.cols == .DPlusH ? " − H" : ""))
    let (targets, carriesLoss, length, truncation) = try steps(json, T: inputs.count, K: dims.K)
    let state = try initialState(json["initial_state"], model, H: dims.H)
    return GradInput(
      model: model, variant: variant, forgetBias: forgetBias, inputs: inputs, targets: targets,
      carriesLoss: carriesLoss, length: length, truncation: truncation, dims: dims,
      params: params, initialState: state)
  }

  /// What the steps carry, for one cell or a stack: the targets (null: no loss at that
  /// step), `sequence_length` and `truncate`.
  static func steps(_ json: JSON, T: Int, K: Int) throws(InputError) -> (
    targets: [Int], carriesLoss: [Bool]?, length: Int?, truncation: Truncation
  ) {
    let (targets, carriesLoss) = try classes(json["targets"], count: T, K: K)
    let length = try sequenceLength(json["sequence_length"], T: T)
    try requireALoss(carriesLoss, length: length)
    return (targets, carriesLoss, length, try truncation(json["truncate"]))
  }

  /// A gru's `variant` (reset-before unless given).
  static func variant(_ v: JSON?, _ model: ModelKind, field: String) throws(InputError)
    -> GRUVariant
  {
    guard let v else { return .resetBefore }
    guard model == .gru else { throw InputError("\(field): only a gru has a variant") }
    let names = GRUVariant.allCases.map(\.rawValue).joined(separator: ", ")
    guard case .string(let s) = v, let parsed = GRUVariant(rawValue: s) else {
      throw InputError("\(field): expected one of \(names), found \(describe(v))")
    }
    return parsed
  }

  /// An lstm's `forget_bias` (0 unless given).
  static func forgetBias(_ v: JSON?, _ model: ModelKind, field: String) throws(InputError)
    -> Double
  {
    guard let v else { return 0 }
    guard model == .lstm else { throw InputError("\(field): only an lstm has a forget bias") }
    return try finite(v, field)
  }

  /// The fields of a JSON document that must be an object (an empty document is not).
  static func topLevelObject(_ text: String) throws(InputError) -> [(String, JSON)] {
    let jsonSpace: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
    guard text.utf8.contains(where: { !jsonSpace.contains($0) }) else {
      throw InputError("top level: expected a JSON object, found an empty document")
    }
    let document = try JSONParser.parse(text)
    guard case .object(let top) = document else {
      throw InputError("top level: expected a JSON object, found \(describe(document))")
    }
    return top
  }

  private static var kinds: String { ModelKind.allCases.map(\.rawValue).joined(separator: ", ") }

  /// What a JSON value is, for an error message; a string is shown `quoted`.
  static func describe(_ v: JSON?) -> String {
    switch v {
    case nil: "nothing"
    case .null?: "null"
    case .bool?: "a boolean"
    case .number(let x)?: x.isNaN ? "NaN" : "\(x)"
    case .string(let s)?: quoted(s, mark: "\"")
    case .array(let a)?: "an array of \(a.count)"
    case .object?: "an object"
    }
  }

  /// The number `v`, or an error naming `field`: a name made only for the error, since
  /// `numbers` asks this of every entry (`inputs[999][255]`, 850,000 names at the caps).
  static func finite(_ v: JSON, _ field: @autoclosure () -> String) throws(InputError) -> Double {
    guard case .number(let x) = v else {
      throw InputError("\(field()): expected a number, found \(describe(v))")
    }
    guard x.isFinite else {
      throw InputError("\(field()): expected a finite number, found \(describe(v))")
    }
    return x
  }

  static func numbers(_ v: JSON, _ field: String) throws(InputError) -> [Double] {
    guard case .array(let items) = v else {
      throw InputError("\(field): expected an array of numbers, found \(describe(v))")
    }
    var out: [Double] = []
    out.reserveCapacity(items.count)
    for (k, item) in items.enumerated() { out.append(try finite(item, "\(field)[\(k)]")) }
    return out
  }

  /// Rows of numbers, all the same length.
  static func rows(_ v: JSON?, _ field: String) throws(InputError) -> [[Double]] {
    guard case .array(let items)? = v else {
      throw InputError("\(field): expected an array of rows, found \(describe(v))")
    }
    var out: [[Double]] = []
    for (r, item) in items.enumerated() {
      guard case .array = item else {
        throw InputError(
          "\(field)[\(r)]: expected a row (an array of numbers), found \(describe(item))")
      }
      let row = try numbers(item, "\(field)[\(r)]")
      if let first = out.first, first.count != row.count {
        throw InputError(
          "\(field): row \(r) has \(row.count) numbers, row 0 has \(first.count) (ragged rows)")
      }
      out.append(row)
    }
    return out
  }

  static func parameters(_ v: JSON?, _ model: ModelKind, specs: [ParameterSpec])
    throws(InputError) -> ([Variable], Dims)
  {
    let raw = try namedValues(v, specs, field: "params", owner: model.rawValue)
    // H and K from the first vector of that size, D from the first matrix with D columns;
    // every shape error says where they came from.
    let hSpec = specs.first { $0.rows == .H && $0.cols == nil }
    let kSpec = specs.first { $0.rows == .K && $0.cols == nil }
    let dSpec = specs.first { $0.cols == .D || $0.cols == .DPlusH }
    let H = hSpec.flatMap { raw[$0.name]?.rows } ?? 0
    let K = kSpec.flatMap { raw[$0.name]?.rows } ?? 0
    let dCols = dSpec.flatMap { raw[$0.name]?.cols } ?? 0
    let D = dSpec?.cols == .DPlusH ? dCols - H : dCols
    let origin = [
      ("D", D, "params.\(dSpec?.name ?? "?")'s columns" + (dSpec?.cols == .DPlusH ? " − H" : "")),
      ("H", H, "params.\(hSpec?.name ?? "?")"), ("K", K, "params.\(kSpec?.name ?? "?")"),
    ]
    try checkSizes(origin)
    let dims = Dims(D: D, H: H, K: K)
    var params: [Variable] = []
    for spec in specs {
      guard let found = raw[spec.name] else { continue }
      params.append(
        try shaped(found, spec, name: spec.name, field: "params.\(spec.name)", dims, origin))
    }
    return (params, dims)
  }

  /// Each size D, H, K within 1…`Limits.gradDimension`; `origin` says where each came from.
  static func checkSizes(_ origin: [(letter: String, value: Int, from: String)])
    throws(InputError)
  {
    for (letter, value, from) in origin {
      guard value >= 1 else {
        throw InputError("params: \(letter) must be at least 1, found \(value) (from \(from))")
      }
      guard value <= Limits.gradDimension else {
        throw InputError(
          "params: \(letter) = \(value) exceeds the cap of \(Limits.gradDimension) (from \(from))")
      }
    }
  }

  /// `found` as the variable `name`, if it has `spec`'s shape at `dims`; the error names
  /// `field`, the shape expected and where each size in it came from (`origin`), then `note`.
  static func shaped(
    _ found: GivenParameter, _ spec: ParameterSpec, name: String,
    field: String, _ dims: Dims, _ origin: [(letter: String, value: Int, from: String)],
    note: String = ""
  ) throws(InputError) -> Variable {
    let shape = spec.shape(dims)
    let foundShape = found.cols.map { "\(found.rows)×\($0)" } ?? "\(found.rows)"
    guard found.rows == shape.rows, (found.cols ?? 1) == shape.cols else {
      let letters = Set(spec.letters.filter(\.isLetter).map(String.init))
      let sources = origin.filter { letters.contains($0.letter) }.map {
        "\($0.letter) = \($0.value) from \($0.from)"
      }
      throw InputError(
        "\(field): expected shape \(shape) (\(spec.letters), with "
          + "\(sources.joined(separator: ", "))\(note)), found \(foundShape)")
    }
    return Variable(name, shape: shape, found.values)
  }

  /// The object `field` of parameters named as `specs`, each one's numbers as given: none
  /// missing, none extra (`owner` names whose parameters they are).
  static func namedValues(
    _ v: JSON?, _ specs: [ParameterSpec], field: String, owner: String
  ) throws(InputError) -> [String: GivenParameter] {
    guard case .object(let given)? = v else {
      throw InputError("\(field): expected an object of named parameters, found \(describe(v))")
    }
    let expected = specs.map(\.name).joined(separator: ", ")
    if let extra = given.first(where: { pair in !specs.contains { $0.name == pair.0 } }) {
      throw InputError(
        "\(field): unexpected parameter \(quoted(extra.0)) for \(owner) (expected \(expected))")
    }
    var raw: [String: GivenParameter] = [:]
    for spec in specs {
      guard let value = given.first(where: { $0.0 == spec.name })?.1 else {
        throw InputError(
          "\(field): missing parameter '\(spec.name)' (\(spec.letters)) for \(owner)")
      }
      raw[spec.name] = try parameterValue(value, spec, "\(field).\(spec.name)")
    }
    return raw
  }

  /// A parameter's numbers as given, and the shape they came in (`cols` nil for a vector).
  typealias GivenParameter = (values: [Double], rows: Int, cols: Int?)

  /// One parameter's numbers as given, `field` naming it: a vector, or a matrix as rows (its
  /// shape is checked by the caller, against sizes from other parameters).
  static func parameterValue(_ value: JSON, _ spec: ParameterSpec, _ field: String)
    throws(InputError) -> GivenParameter
  {
    let isMatrix =
      if case .array(let items) = value, case .array? = items.first { true } else { false }
    if spec.cols == nil {
      guard !isMatrix else {
        throw InputError(
          "\(field): expected a vector of \(spec.letters) numbers, found an array of rows")
      }
      let v = try numbers(value, field)
      return (v, v.count, nil)
    }
    guard isMatrix else {
      throw InputError(
        "\(field): expected a \(spec.letters) matrix as an array of rows, found \(describe(value))"
      )
    }
    let m = try rows(value, field)
    return (m.flatMap { $0 }, m.count, m.first?.count ?? 0)
  }

  static func sequence(_ v: JSON?, _ dims: Dims, dFrom: String) throws(InputError) -> [[Double]] {
    let xs = try rowsAllowingRagged(v)
    guard !xs.isEmpty else {
      throw InputError("inputs: expected at least one time step, found none")
    }
    guard xs.count <= Limits.gradSteps else {
      throw InputError("inputs: \(xs.count) time steps exceed the cap of \(Limits.gradSteps)")
    }
    for (t, x) in xs.enumerated() where x.count != dims.D {
      throw InputError(
        "inputs[\(t)]: expected D = \(dims.D) numbers (D from \(dFrom)), found \(x.count)"
      )
    }
    return xs
  }

  /// Input rows, each checked against D by the caller (so the error names D, not raggedness).
  private static func rowsAllowingRagged(_ v: JSON?) throws(InputError) -> [[Double]] {
    guard case .array(let items)? = v else {
      throw InputError("inputs: expected an array of T rows of D numbers, found \(describe(v))")
    }
    var out: [[Double]] = []
    for (t, item) in items.enumerated() { out.append(try numbers(item, "inputs[\(t)]")) }
    return out
  }

  /// The class indices, and which steps carry a loss (nil when no target is `null`).
  static func classes(_ v: JSON?, count T: Int, K: Int) throws(InputError)
    -> (targets: [Int], carriesLoss: [Bool]?)
  {
    guard case .array(let items)? = v else {
      throw InputError("targets: expected an array of \(T) class indices, found \(describe(v))")
    }
    guard items.count == T else {
      throw InputError(
        "targets: expected T = \(T) class indices (one per input row), found \(items.count)")
    }
    var out: [Int] = []
    var carries: [Bool] = []
    for (t, item) in items.enumerated() {
      // null: step t has no target and no E_t (many-to-one keeps only the last).
      guard item != .null else {
        out.append(0)
        carries.append(false)
        continue
      }
      guard case .number(let x) = item, x.isFinite, x == x.rounded(), x >= 0, x < Double(K) else {
        throw InputError(
          "targets[\(t)]: expected an integer class index in 0..<\(K) or null, "
            + "found \(describe(item))")
      }
      out.append(Int(x))
      carries.append(true)
    }
    return (out, carries.allSatisfy { $0 } ? nil : carries)
  }

  static func initialState(
    _ v: JSON?, _ model: ModelKind, H: Int, field: String = "initial_state"
  ) throws(InputError) -> [Variable] {
    let names = model.stateNames
    guard let v else { return names.map { Variable($0, [Double](repeating: 0, count: H)) } }
    guard case .object(let given) = v else {
      throw InputError(
        "\(field): expected an object {\"h\": [H numbers]}, found \(describe(v))")
    }
    if let extra = given.first(where: { !names.contains($0.0) }) {
      throw InputError(
        extra.0 == "c"
          ? "\(field).c: only an lstm has a cell state"
          : "\(field): unexpected field \(quoted(extra.0)) "
            + "(expected \(names.joined(separator: ", ")))"
      )
    }
    var out: [Variable] = []
    for name in names {
      guard let value = given.first(where: { $0.0 == name })?.1 else {
        out.append(Variable(name, [Double](repeating: 0, count: H)))
        continue
      }
      let s = try numbers(value, "\(field).\(name)")
      guard s.count == H else {
        throw InputError("\(field).\(name): expected H = \(H) numbers, found \(s.count)")
      }
      out.append(Variable(name, s))
    }
    return out
  }
}

extension GradInput {
  /// A random input of the given sizes (for `bench`): weights scaled by `1/√H`.
  public static func random(_ model: ModelKind, dims: Dims, steps: Int, seed: UInt64) -> GradInput {
    var rng = SplitMix64(seed: seed)
    let scale = 1 / Double(dims.H).squareRoot()
    let params = model.parameters.map { spec in
      Variable(spec.name, shape: spec.shape(dims), rng.vector(spec.shape(dims).count, scale: scale))
    }
    let (xs, targets) = rng.sequence(dims, steps: steps)
    return GradInput(
      model: model, inputs: xs, targets: targets, dims: dims, params: params,
      initialState: model.stateNames.map { Variable($0, [Double](repeating: 0, count: dims.H)) })
  }
}

// The training mechanics a `grad` input can ask for: null targets (in `classes`),
// `sequence_length`, `truncate`, and a reset-after GRU's recurrent bias `b_hn`.
extension GradInput {
  /// The parameters `params` must hold: the model's, and `b_hn` when a reset-after GRU's
  /// params name it (any other model, or reset-before, rejects it as unexpected).
  static func specs(_ model: ModelKind, _ variant: GRUVariant, _ params: JSON?) -> [ParameterSpec] {
    guard model == .gru, variant == .resetAfter, case .object(let given)? = params,
      given.contains(where: { $0.0 == GRUCell.recurrentBias })
    else { return model.parameters }
    let cell = model.cell(variant: variant, recurrentBias: true)
    return cell.parameters + cell.outputParameters
  }

  /// `sequence_length`: an integer L with 1 ≤ L ≤ T, or nil when absent.
  static func sequenceLength(_ v: JSON?, T: Int) throws(InputError) -> Int? {
    guard let v else { return nil }
    let x = try finite(v, "sequence_length")
    guard x == x.rounded(), x >= 1, x <= Double(T) else {
      throw InputError(
        "sequence_length: expected an integer in 1…\(T) (T, the input rows), found \(describe(v))")
    }
    return Int(x)
  }

  /// At least one step before `length` must carry a loss, or there is nothing to differentiate.
  static func requireALoss(_ carriesLoss: [Bool]?, length: Int?) throws(InputError) {
    guard let carriesLoss else { return }
    let scored = carriesLoss.prefix(length ?? carriesLoss.count)
    guard !scored.contains(true) else { return }
    throw InputError(
      length.map {
        "targets: every target before sequence_length = \($0) is null (expected one "
          + "class index at least)"
      }
        ?? "targets: every target is null (expected one class index at least)")
  }

  /// `truncate`: `{"style": "tf" | "true", "steps": n}`; `.none` when absent.
  static func truncation(_ v: JSON?) throws(InputError) -> Truncation {
    guard let v else { return .none }
    let expected = "{\"style\": \"tf\" or \"true\", \"steps\": n}"
    guard case .object(let fields) = v else {
      throw InputError("truncate: expected an object \(expected), found \(describe(v))")
    }
    if let extra = fields.first(where: { !["style", "steps"].contains($0.0) }) {
      throw InputError(
        "truncate: unexpected field \(quoted(extra.0)) (expected style, steps)")
    }
    let style = fields.first { $0.0 == "style" }?.1
    let steps = fields.first { $0.0 == "steps" }?.1
    guard case .string(let name)? = style, ["tf", "true"].contains(name) else {
      throw InputError("truncate.style: expected \"tf\" or \"true\", found \(describe(style))")
    }
    guard case .number(let x)? = steps, x == x.rounded(), x >= 1, x <= Double(Limits.gradSteps)
    else {
      throw InputError(
        "truncate.steps: expected an integer in 1…\(Limits.gradSteps), found \(describe(steps))")
    }
    return name == "tf" ? .chunks(Int(x)) : .window(Int(x))
  }

  /// `cell` run over this input's sequence: its `sequence_length` and null targets.
  func sequence<C: RecurrentCell>(_ cell: C) -> SequenceModel<C> {
    var model = SequenceModel(cell, xs: inputs, targets: targets, dims: dims)
    (model.length, model.carriesLoss) = (length, carriesLoss)
    return model
  }

  /// What `grad` differentiates: `model` itself, or its truncated objective, whose cuts are
  /// frozen at this input's point.
  func objective<C: RecurrentCell>(_ model: SequenceModel<C>) -> any DifferentiableModel {
    truncation == .none ? model : TruncatedObjective(model, truncation, at: point)
  }

  /// `truncate` as the input gave it, for the output: `tf 2`, `true 3`; nil when absent.
  var truncationFields: (style: String, steps: Int)? {
    switch truncation {
    case .none: nil
    case .chunks(let n): ("tf", n)
    case .window(let n): ("true", n)
    }
  }
}
