import Foundation
@testable import RNNDerivations
import Testing

/// A cell by the name `grad` gives it.
private func cell(_ name: String) -> any RecurrentCell {
  switch name {
  case "lstm": LSTMCell(forgetBias: 1)
  case "gru": GRUCell(variant: .resetBefore)
  case "gru-reset-after": GRUCell(variant: .resetAfter)
  default: RNNCell()
  }
}

/// A stack's model on the data of `ex`, at `p` (values in the stack's order).
private func stackedModel<Cell>(_ stack: StackedCell, like ex: SequenceExample<Cell>)
  -> SequenceModel<StackedCell>
{
  SequenceModel(stack, xs: ex.model.xs, targets: ex.model.targets, dims: ex.model.dims)
}

/// A fixture file's text (Fixtures/, see its README).
private func fixture(_ name: String) throws -> String {
  let url = try #require(
    Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
  return try String(contentsOf: url, encoding: .utf8)
}

/// A fixture read by Foundation's JSON parser, independent of the code under test.
private func fixtureObject(_ name: String) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(fixture(name).utf8)) as? [String: Any])
}

/// Foundation's JSON text of `object`.
private func text(_ object: [String: Any]) throws -> String {
  String(
    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
    as: UTF8.self)
}

/// A single-cell `grad` input rewritten as a one-layer stack: the cell's parameters (and its
/// variant or forget bias) in `layers[0]`, `V` and `b_y` left in `params`.
private func asOneLayer(_ input: [String: Any]) -> [String: Any] {
  var out = input
  var params = input["params"] as? [String: Any] ?? [:]
  var layer: [String: Any] = ["model": input["model"] ?? ""]
  for key in ["variant", "forget_bias"] {
    layer[key] = input[key]
    out[key] = nil
  }
  layer["params"] = params.filter { $0.key != "V" && $0.key != "b_y" }
  params = params.filter { $0.key == "V" || $0.key == "b_y" }
  out["model"] = nil
  out["params"] = params
  out["layers"] = [layer]
  if let state = input["initial_state"] { out["initial_state"] = [state] }
  return out
}

/// Parses `text` and asserts it is rejected (65) with one line containing `message`.
private func expectRejected(
  _ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    _ = try GradInput.parse(text)
    Issue.record("accepted, expected: \(message)", sourceLocation: sourceLocation)
  } catch {
    #expect(error.code == 65, sourceLocation: sourceLocation)
    #expect(!error.message.contains("\n"), sourceLocation: sourceLocation)
    #expect(
      error.message.contains(message), "'\(message)' not in: \(error.message)",
      sourceLocation: sourceLocation)
  }
}

@Suite struct StackedRNNTests {
  /// The trace: every check passes, at `check`'s three sizes (seeds 0 and 1).
  @Test func traceChecksEverywhere() throws {
    expectPasses(Catalog.derivation("stacked-rnn")!.trace(Config()))
    try expectPassesEverywhere("stacked-rnn", seeds: 2)
  }

  /// A stack of one layer is the cell itself: the same loss and gradients, bit for bit.
  @Test(arguments: ["rnn", "lstm", "gru", "gru-reset-after"])
  func oneLayerIsTheCell(name: String) {
    func check(_ cell: some RecurrentCell) {
      let config = Config(seed: 5, dims: Dims(D: 3, H: 4, K: 5), steps: 4)
      let plain = SequenceExample(cell, config, stateNames: cell.stateNames)
      let stack = StackedCell([cell])
      let model = stackedModel(stack, like: plain)
      let p = Parameters(Layout(model.parameters, config.dims), values: plain.p.values)
      let run = model.forward(p, from: plain.initial)
      #expect(run.loss == plain.run.loss)
      #expect(model.backward(run, p).flat == plain.gradients.flat)
      #expect(model.stateNames == cell.stateNames.map { "\($0)^(1)" })
    }
    check(cell(name))
  }

  /// Hand-worked: two vanilla layers, D = H = 1, K = 2, T = 1, zero initial states.
  ///
  /// U⁽¹⁾ = ½ ln 3 = atanh ½ and x_0 = 1 give h⁽¹⁾ = ½; U⁽²⁾ = ln 4 = 2 atanh 0.6 gives
  /// h⁽²⁾ = tanh(ln 4 · ½) = 0.6. V = (1, −1)ᵀ, b_y = 0: z = (0.6, −0.6), target 0, so
  /// E = ln(1 + e^{−1.2}) and, with s = σ(−1.2) = 1/(1 + e^{1.2}), ŷ − y = (−s, s). Then
  /// ∂E/∂h⁽²⁾ = Vᵀ(ŷ − y) = −2s; da⁽²⁾ = −2s (1 − 0.36) = −1.28 s; ∂E/∂U⁽²⁾ = da⁽²⁾ h⁽¹⁾ =
  /// −0.64 s; the layer above sends ∂E/∂h⁽¹⁾ = U⁽²⁾ da⁽²⁾ = −1.28 s ln 4 (no step after);
  /// da⁽¹⁾ = −1.28 s ln 4 (1 − ¼) = −0.96 s ln 4 = ∂E/∂U⁽¹⁾ = ∂E/∂b⁽¹⁾; ∂E/∂W⁽ℓ⁾ = 0 (the
  /// initial states are 0); ∂E/∂h_{−1}⁽ℓ⁾ = W⁽ℓ⁾ da⁽ℓ⁾ with W⁽¹⁾ = 0.3, W⁽²⁾ = −0.2.
  @Test func handWorkedTwoLayers() {
    let dims = Dims(D: 1, H: 1, K: 2)
    let stack = StackedCell([RNNCell(), RNNCell()])
    let model = SequenceModel(stack, xs: [[1]], targets: [0], dims: dims)
    let values: [String: [Double]] = [
      "U^(1)": [0.5 * log(3)], "W^(1)": [0.3], "b^(1)": [0],
      "U^(2)": [log(4)], "W^(2)": [-0.2], "b^(2)": [0], "V": [1, -1], "b_y": [0, 0],
    ]
    let layout = Layout(model.parameters, dims)
    let p = Parameters(layout, values: layout.names.map { values[$0]! })
    let run = model.forward(p, from: stack.zeroState(dims))
    let g = model.backward(run, p)
    let s = 1 / (1 + exp(1.2))
    expectClose([run.loss], [log(1 + exp(-1.2))], "E")
    expectClose(run.states[0].below[0].h, [0.5], "h^(1)")
    expectClose(run.states[0].h, [0.6], "h^(2)")
    let expected: [String: [Double]] = [
      "U^(1)": [-0.96 * s * log(4)], "W^(1)": [0], "b^(1)": [-0.96 * s * log(4)],
      "U^(2)": [-0.64 * s], "W^(2)": [0], "b^(2)": [-1.28 * s], "V": [-0.6 * s, 0.6 * s],
      "b_y": [-s, s],
    ]
    for name in layout.names {
      expectClose(g.parameters[name], expected[name]!, tolerance: 1e-14, "∂E/∂\(name)")
    }
    expectClose(g.initialState.below[0].h, [0.3 * -0.96 * s * log(4)], "∂E/∂h_{−1}^(1)")
    expectClose(g.initialState.h, [-0.2 * -1.28 * s], "∂E/∂h_{−1}^(2)")
    // The split the trace shows: at the only step, all of ∂E/∂h^(1) came from above.
    let step = stack.backwardThroughLayers(g.upstream[0], run.caches[0], stack.weights(p))
    expectClose(step.fromAbove[0], [-1.28 * s * log(4)], "from layer 2")
    expectClose(step.handed[0].h, [-1.28 * s * log(4)], "∂E/∂h^(1)")
  }

  /// A second layer blind to its input (U⁽²⁾ = 0): E does not depend on layer 1, whose
  /// gradients are exactly 0, and layer 2 is the plain cell with U = 0 on the same data.
  @Test func blindSecondLayer() {
    let config = Config(seed: 11, dims: Dims(D: 2, H: 3, K: 4), steps: 5)
    let deep = SequenceExample(
      StackedCell([LSTMCell(forgetBias: 0), RNNCell()]), config,
      stateNames: StackedCell([LSTMCell(forgetBias: 0), RNNCell()]).stateNames)
    var p = deep.p
    p.replace("U^(2)", with: zeroed(p["U^(2)"]))
    let run = deep.model.forward(p, from: deep.initial)
    let g = deep.model.backward(run, p)
    for name in LSTMCell(forgetBias: 0).parameters.map({ "\($0.name)^(1)" }) {
      #expect(g.parameters[name].allSatisfy { $0 == 0 }, "∂E/∂\(name)")
    }
    #expect(g.initialState.below[0].parts.joined().allSatisfy { $0 == 0 })
    // The plain RNN with U = 0 (H×D) on the same inputs, from layer 2's initial state.
    let plain = SequenceModel(
      RNNCell(), xs: deep.model.xs, targets: deep.model.targets, dims: config.dims)
    let q = Parameters(
      Layout(plain.parameters, config.dims),
      values: [[Double](repeating: 0, count: 6), p["W^(2)"], p["b^(2)"], p["V"], p["b_y"]])
    let single = plain.backward(plain.forward(q, from: CellState(h: deep.initial.h)), q)
    #expect(plain.forward(q, from: CellState(h: deep.initial.h)).loss == run.loss)
    for (name, mine) in [("W", "W^(2)"), ("b", "b^(2)"), ("V", "V"), ("b_y", "b_y")] {
      #expect(single.parameters[name] == g.parameters[mine], "∂E/∂\(mine)")
    }
  }

  /// Every oracle agrees with the stack's backward pass: mixed cells, 2 and 3 layers, several
  /// sizes and seeds.
  @Test(arguments: [
    ["lstm", "rnn"], ["gru-reset-after", "gru"], ["rnn", "rnn", "rnn"], ["gru", "lstm", "rnn"],
  ])
  func oraclesAgree(layers: [String]) {
    let stack = StackedCell(layers.map(cell))
    for (seed, dims, steps) in [
      (UInt64(1), Dims(D: 2, H: 3, K: 2), 3), (2, Dims(D: 4, H: 2, K: 5), 4),
      (3, Dims(D: 1, H: 4, K: 3), 2),
    ] {
      let ex = SequenceExample(stack, dims, steps: steps, seed: seed, stateNames: stack.stateNames)
      let checks = verify(
        ex.model, at: ex.point, analytic: ex.gradients.flat, seed: seed,
        conditioning: ex.conditioning, magnitudes: ex.gradients.magnitudes)
      #expect(checks.count == ex.point.count * Oracle.allCases.count)
      for check in checks { #expect(check.passed, "\(layers) seed \(seed): \(check.summary)") }
    }
  }

  // MARK: grad

  /// Each golden vector (TensorFlow, Fixtures/README.md) as a one-layer stack: the same loss
  /// and gradients.
  @Test(arguments: ["rnn", "lstm", "lstm-forget-bias", "gru", "gru-reset-after"])
  func oneLayerMatchesGoldenVectors(name: String) throws {
    let input = try GradInput.parse(try text(asOneLayer(try fixtureObject(name + ".input"))))
    let result = try GradResult(input, check: false).result
    let expected = try fixtureObject(name + ".expected")
    expectClose([result.loss], [try #require(expected["loss"] as? Double)], "loss")
    let gradients = try #require(expected["gradients"] as? [String: Any])
    let states = try #require(expected["initial_state_gradients"] as? [String: [Double]])
    for (variable, gradient) in zip(input.point, result.gradients) {
      let plain = StackedCell.splitName(variable.name)?.name ?? variable.name
      let value = try #require(gradients[plain] ?? states[plain], "no expected \(plain)")
      let flat = (value as? [[Double]])?.flatMap { $0 } ?? (value as? [Double])
      expectClose(gradient, try #require(flat), "\(name) ∂E/∂\(variable.name)")
    }
  }

  /// The output groups gradients and states by layer, every number as computed (read back
  /// with the project's parser: Foundation's is off by an ulp at times); its `final_state` is
  /// a valid `initial_state`.
  @Test func outputRoundTrip() throws {
    func numbers(_ j: JSON?) -> [Double] {
      switch j {
      case .number(let x)?: [x]
      case .array(let items)?: items.flatMap { numbers($0) }
      default: []
      }
    }
    func array(_ j: JSON?) -> [JSON] { if case .array(let items)? = j { items } else { [] } }
    let input = try GradInput.parse(try fixture("stacked.input"))
    let result = try GradResult(input, check: false)
    let output = try JSONParser.parse(result.json.serialized())
    let layers = array(output["gradients"]?["layers"])
    let states = array(output["initial_state_gradients"])
    #expect(layers.count == 2 && states.count == 2)
    for (variable, gradient) in zip(input.point, result.result.gradients) {
      let found =
        StackedCell.splitName(variable.name).map { layer, name in
          layers[layer - 1][name] ?? states[layer - 1][name]
        } ?? output["gradients"]?[variable.name]
      #expect(numbers(found) == gradient, "\(variable.name)")
    }
    let final = output["final_state"]
    #expect(array(final).count == 2)
    guard case .object(var object) = try JSONParser.parse(try fixture("stacked.input")),
      let k = object.firstIndex(where: { $0.0 == "initial_state" }), let final
    else { return #expect(Bool(false), "no initial_state in the fixture") }
    object[k].1 = final
    let next = try GradInput.parse(JSON.object(object).serialized())
    #expect(next.initialState.map(\.values) == result.result.finalState.map(\.values))
    #expect(next.initialState.map(\.name) == ["h^(1)", "h^(2)", "c^(2)"])
  }

  /// Bad input: one line naming the field, exit 65.
  @Test func badInput() throws {
    let good = try fixtureObject("stacked.input")
    func edited(_ edit: (inout [String: Any]) -> Void) throws -> String {
      var object = good
      edit(&object)
      return try text(object)
    }
    func layer(_ l: Int, _ edit: @escaping (inout [String: Any]) -> Void)
      -> (inout [String: Any]) -> Void
    {
      { object in
        var layers = object["layers"] as! [[String: Any]]
        edit(&layers[l])
        object["layers"] = layers
      }
    }
    func param(_ l: Int, _ name: String, _ value: Any?) -> (inout [String: Any]) -> Void {
      layer(l) { layer in
        var params = layer["params"] as! [String: Any]
        params[name] = value
        layer["params"] = params
      }
    }
    let row3 = [0.0, 0, 0]
    let cases: [(edit: (inout [String: Any]) -> Void, message: String)] = [
      (
        param(1, "U_i", [row3, row3]),
        "layers[1].params.U_i: expected shape 3×3 (H×H, with H = 3 from layers[0].params.b; layers[1] reads layers[0]'s h), found 2×3"
      ),
      (param(1, "U_i", [[0.0, 0], [0, 0], [0, 0]]), "layers[1].params.U_i: expected shape 3×3"),
      (
        param(1, "b_f", [0.0, 0]),
        "layers[1].params.b_f: expected shape 3 (H, with H = 3 from layers[0].params.b; every layer has H units), found 2"
      ),
      (param(0, "W", nil), "layers[0].params: missing parameter 'W' (H×H) for rnn"),
      (param(1, "V", [row3]), "layers[1].params: unexpected parameter 'V' for lstm"),
      (
        layer(0) { $0["model"] = "rnn-concat" },
        "layers[0].model: expected one of rnn, lstm, gru, found \"rnn-concat\""
      ),
      (layer(0) { $0["forget_bias"] = 1 }, "layers[0].forget_bias: only an lstm has a forget bias"),
      (layer(1) { $0["variant"] = "reset-after" }, "layers[1].variant: only a gru has a variant"),
      (layer(1) { $0["dropout"] = 0.5 }, "layers[1]: unexpected field 'dropout'"),
      ({ $0["layers"] = [Any]() }, "layers: expected an array of layer objects"),
      (
        { $0["layers"] = [Any](repeating: (good["layers"] as! [Any])[0], count: 9) },
        "layers: 9 layers exceed the cap of 8"
      ),
      (
        { $0["model"] = "rnn" }, "model: with layers, each layer gives its own (layers[0].model, …)"
      ),
      (
        { $0["params"] = ["V": [row3, row3]] },
        "params: missing parameter 'b_y' (K) for a stack's output layer"
      ),
      ({ $0["params"] = ["V": [row3], "b_y": [0.0, 0]] }, "params.V: expected shape 2×3"),
      ({ $0["initial_state"] = ["h": row3] }, "initial_state: expected an array of 2 objects"),
      (
        { $0["initial_state"] = [["h": row3], ["h": [0.0]]] },
        "initial_state[1].h: expected H = 3 numbers, found 1"
      ),
      (
        { $0["initial_state"] = [["c": row3], [:]] },
        "initial_state[0].c: only an lstm has a cell state"
      ),
      (
        { $0["inputs"] = [[1.0, 2, 3]] },
        "inputs[0]: expected D = 2 numbers (D from layers[0].params.U's columns), found 3"
      ),
    ]
    for (edit, message) in cases { expectRejected(try edited(edit), message) }
  }
}
