// `grad` on a stacked model (README, "grad"): `layers`, bottom first, each a cell's `model`
// and `params` under the cell's own names (and its `variant` or `forget_bias`); `params` holds
// the output layer's `V`, `b_y`; `initial_state` is one object per layer. The output groups
// the gradients and states the same way.

/// One layer of a stacked `grad` input: a cell and its convention.
public struct GradLayer: Sendable, Equatable {
  /// The layer's cell: `rnn`, `rnn-concat`, `lstm` or `gru`.
  public var model: ModelKind
  /// A GRU layer's convention; reset-before unless given.
  public var variant: GRUVariant = .resetBefore
  /// An LSTM layer's `forget_bias`; 0 unless given.
  public var forgetBias = 0.0

  /// The layer's cell, configured.
  public var cell: any RecurrentCell { model.cell(variant: variant, forgetBias: forgetBias) }

  /// As `grad`'s output names the layer: `model`, and `variant` or `forget_bias`.
  var json: [(String, JSON)] {
    var pairs: [(String, JSON)] = [("model", .string(model.rawValue))]
    if model == .gru { pairs.append(("variant", .string(variant.rawValue))) }
    if model == .lstm { pairs.append(("forget_bias", .number(forgetBias))) }
    return pairs
  }
}

extension Limits {
  /// The most layers `grad` stacks.
  public static let gradLayers = 8
}

extension GradInput {
  private static let stackedFields = [
    "layers", "params", "inputs", "targets", "initial_state", "sequence_length", "truncate",
  ]
  private static let layerFields = ["model", "variant", "forget_bias", "params"]
  /// What a layer can be: `rnn-concat`'s `W` spans D+H columns, and a layer above reads H.
  private static let stackable: [ModelKind] = [.rnn, .lstm, .gru]

  /// Parses and validates a stacked model's input (`layers` given).
  static func parseStacked(_ top: [(String, JSON)]) throws(InputError) -> GradInput {
    if let extra = top.first(where: { !stackedFields.contains($0.0) }) {
      throw InputError(
        ["model", "variant", "forget_bias"].contains(extra.0)
          ? "\(extra.0): with layers, each layer gives its own (layers[0].\(extra.0), …)"
          : "unexpected field \(quoted(extra.0)) "
            + "(expected \(stackedFields.joined(separator: ", ")))")
    }
    let json = JSON.object(top)
    guard case .array(let items)? = json["layers"], !items.isEmpty else {
      throw InputError(
        "layers: expected an array of layer objects {\"model\", \"params\"}, bottom first, "
          + "found \(describe(json["layers"]))")
    }
    guard items.count <= Limits.gradLayers else {
      throw InputError("layers: \(items.count) layers exceed the cap of \(Limits.gradLayers)")
    }
    var layers: [GradLayer] = []
    for (l, item) in items.enumerated() { layers.append(try layer(item, "layers[\(l)]")) }
    let cell = StackedCell(layers.map(\.cell))
    var raw = [[String: GivenParameter]]()
    for (l, item) in items.enumerated() {
      raw.append(
        try namedValues(
          item["params"], cell.parameters(ofLayer: l), field: "layers[\(l)].params",
          owner: layers[l].model.rawValue))
    }
    let output = try namedValues(
      json["params"], cell.outputParameters, field: "params", owner: "a stack's output layer")
    // D and H from the first layer (its first matrix on x_t, its first bias), K from b_y.
    let first = cell.parameters(ofLayer: 0)
    let dSpec = first.first { $0.cols == .D }
    let hSpec = first.first { $0.rows == .H && $0.cols == nil }
    let origin: [(letter: String, value: Int, from: String)] = [
      (
        "D", dSpec.flatMap { raw[0][$0.name]?.cols } ?? 0,
        "layers[0].params.\(dSpec?.name ?? "?")'s columns"
      ),
      ("H", hSpec.flatMap { raw[0][$0.name]?.rows } ?? 0, "layers[0].params.\(hSpec?.name ?? "?")"),
      ("K", output["b_y"]?.rows ?? 0, "params.b_y"),
    ]
    try checkSizes(origin)
    let dims = Dims(D: origin[0].value, H: origin[1].value, K: origin[2].value)
    var params: [Variable] = []
    for l in layers.indices {
      let onInput = Set(layers[l].cell.parameters.filter { $0.cols == .D }.map(\.name))
      for spec in cell.parameters(ofLayer: l) {
        guard let found = raw[l][spec.name] else { continue }
        // Above the first layer: every layer has H units, and its input is the h below it.
        let note =
          l == 0
          ? ""
          : onInput.contains(spec.name)
            ? "; layers[\(l)] reads layers[\(l - 1)]'s h" : "; every layer has H units"
        params.append(
          try shaped(
            found, spec, name: StackedCell.layerName(spec.name, layer: l + 1),
            field: "layers[\(l)].params.\(spec.name)", dims, origin, note: note))
      }
    }
    for spec in cell.outputParameters {
      guard let found = output[spec.name] else { continue }
      params.append(
        try shaped(found, spec, name: spec.name, field: "params.\(spec.name)", dims, origin))
    }
    let inputs = try sequence(json["inputs"], dims, dFrom: origin[0].from)
    let (targets, carriesLoss, length, truncation) = try steps(json, T: inputs.count, K: dims.K)
    let state = try stackedInitialState(json["initial_state"], layers, H: dims.H)
    return GradInput(
      model: layers[layers.count - 1].model, inputs: inputs, targets: targets,
      carriesLoss: carriesLoss, length: length, truncation: truncation, dims: dims,
      params: params, initialState: state, layers: layers)
  }

  /// One object of `layers`: its `model` (one that stacks) and `variant` or `forget_bias`.
  private static func layer(_ item: JSON, _ field: String) throws(InputError) -> GradLayer {
    guard case .object(let pairs) = item else {
      throw InputError(
        "\(field): expected a layer object {\"model\", \"params\"}, found \(describe(item))")
    }
    if let extra = pairs.first(where: { !layerFields.contains($0.0) }) {
      throw InputError(
        "\(field): unexpected field \(quoted(extra.0)) "
          + "(expected \(layerFields.joined(separator: ", ")))")
    }
    let kinds = stackable.map(\.rawValue).joined(separator: ", ")
    guard case .string(let name)? = item["model"], let model = ModelKind(rawValue: name),
      stackable.contains(model)
    else {
      throw InputError("\(field).model: expected one of \(kinds), found \(describe(item["model"]))")
    }
    return GradLayer(
      model: model, variant: try variant(item["variant"], model, field: "\(field).variant"),
      forgetBias: try forgetBias(item["forget_bias"], model, field: "\(field).forget_bias"))
  }

  /// `initial_state`: one object per layer, bottom first, each as a single cell's (zeros for
  /// what is not given); every layer's parts named as the stack names them.
  private static func stackedInitialState(_ v: JSON?, _ layers: [GradLayer], H: Int)
    throws(InputError) -> [Variable]
  {
    var given = layers.map { _ in JSON?.none }
    if let v {
      guard case .array(let items) = v, items.count == layers.count else {
        throw InputError(
          "initial_state: expected an array of \(layers.count) objects (one per layer, bottom "
            + "first, {\"h\": [H numbers]}), found \(describe(v))")
      }
      given = items
    }
    var state: [Variable] = []
    for (l, layer) in layers.enumerated() {
      for part in try initialState(given[l], layer.model, H: H, field: "initial_state[\(l)]") {
        state.append(Variable(StackedCell.layerName(part.name, layer: l + 1), part.values))
      }
    }
    return state
  }
}

extension GradInput {
  /// How the output names the model: `model` (and `variant` or `forget_bias`), or `layers`.
  var modelJSON: [(String, JSON)] {
    guard let layers else {
      return GradLayer(model: model, variant: variant, forgetBias: forgetBias).json
    }
    return [("layers", .array(layers.map { .object($0.json) }))]
  }

  /// Values named as the point's parameters: as they are, or for a stack each layer's under
  /// its cell's own names in `layers`, then the output layer's.
  func parametersJSON(_ pairs: [(String, JSON)]) -> JSON {
    guard let layers else { return .object(pairs) }
    let perLayer = byLayer(pairs, count: layers.count)
    return .object(
      [("layers", .array(perLayer.map { .object($0) }))]
        + pairs.filter { StackedCell.splitName($0.0) == nil })
  }

  /// Values named as the state's parts: an object, or for a stack an array of one per layer.
  func stateJSON(_ pairs: [(String, JSON)]) -> JSON {
    guard let layers else { return .object(pairs) }
    return .array(byLayer(pairs, count: layers.count).map { .object($0) })
  }

  /// The pairs named `X^(ℓ)`, grouped by layer as `X`.
  private func byLayer(_ pairs: [(String, JSON)], count: Int) -> [[(String, JSON)]] {
    var out = [[(String, JSON)]](repeating: [], count: count)
    for (name, value) in pairs {
      guard let (layer, plain) = StackedCell.splitName(name) else { continue }
      out[layer - 1].append((plain, value))
    }
    return out
  }

  /// The model as the text report's first line names it: `lstm (forget_bias 1)`, or a stack's
  /// layers bottom first.
  var title: String {
    func name(_ l: GradLayer) -> String {
      switch l.model {
      case .gru: "gru (\(l.variant.rawValue))"
      case .lstm: "lstm (forget_bias \(format(l.forgetBias)))"
      default: l.model.rawValue
      }
    }
    guard let layers else {
      return name(GradLayer(model: model, variant: variant, forgetBias: forgetBias))
    }
    return "layers " + layers.map(name).joined(separator: " → ")
  }
}
