import Foundation
import RNNDerivations
import Testing

/// The golden vectors of Fixtures/ (TensorFlow and JAX, see Fixtures/README.md).
enum Fixture {
  static func text(_ name: String) throws -> String {
    let url = try #require(
      Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
  }

  /// A fixture read by Foundation's JSON parser, independent of the code under test.
  static func object(_ name: String) throws -> [String: Any] {
    try #require(
      try JSONSerialization.jsonObject(with: Data(text(name).utf8)) as? [String: Any])
  }
}

/// The `rnn` fixture input (T = 4, D = 3, H = 5, K = 2), edited, as JSON text.
///
/// Edited as a dictionary and written back by Foundation. A string `"@TOKEN"` is written as the bare token (`NaN`, `Infinity`,
/// `1e999`), which Foundation cannot write itself.
func rnnInput(_ edit: (inout [String: Any]) -> Void) throws -> String {
  var object = try Fixture.object("rnn.input")
  edit(&object)
  let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  let text = String(decoding: data, as: UTF8.self)
  return text.replacingOccurrences(of: #""@([^"]*)""#, with: "$1", options: .regularExpression)
}

extension Dictionary where Key == String, Value == Any {
  /// `params.NAME` of a `grad` input.
  subscript(param name: String) -> Any? {
    get { (self["params"] as? [String: Any])?[name] }
    set {
      var params = self["params"] as? [String: Any] ?? [:]
      params[name] = newValue
      self["params"] = params
    }
  }

  /// `params.NAME` as rows (for editing entries), nil-safe.
  fileprivate subscript(rows name: String) -> [[Any]] {
    get { self[param: name] as? [[Any]] ?? [] }
    set { self[param: name] = newValue }
  }
}

/// Parses `text` and asserts it is rejected as bad data (65) with a one-line message that
/// contains every fragment (the field's name, what was expected, what was found).
func expectRejected(
  _ text: String, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    let input = try GradInput.parse(text)
    Issue.record(
      "accepted: \(input.model.rawValue), T = \(input.inputs.count)",
      sourceLocation: sourceLocation)
  } catch {
    #expect(error.code == 65, "\(error.message)", sourceLocation: sourceLocation)
    #expect(
      !error.message.contains("\n"), "one line: \(error.message)", sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(
        error.message.contains(fragment), "'\(fragment)' not in: \(error.message)",
        sourceLocation: sourceLocation)
    }
  }
}

/// A valid `rnn` input of the given sizes, all zeros, targets class 0, written out in full.
private func zerosInput(D: Int, H: Int, K: Int, T: Int) -> String {
  func vector(_ n: Int) -> String {
    "[" + Array(repeating: "0", count: n).joined(separator: ",") + "]"
  }
  func matrix(_ rows: Int, _ cols: Int) -> String {
    "[" + Array(repeating: vector(cols), count: rows).joined(separator: ",") + "]"
  }
  return """
    {"model": "rnn", "inputs": \(matrix(T, D)), "targets": \(vector(T)),
     "params": {"U": \(matrix(H, D)), "W": \(matrix(H, H)), "b": \(vector(H)),
                "V": \(matrix(K, H)), "b_y": \(vector(K))}}
    """
}

@Suite struct GradTests {
  // MARK: The golden vectors

  /// Loss, every parameter gradient and the initial-state gradient equal TensorFlow's.
  @Test(arguments: ["rnn", "rnn-concat"])
  func matchesFixture(name: String) throws {
    let input = try GradInput.parse(try Fixture.text(name + ".input"))
    let expected = try Fixture.object(name + ".expected")
    let result = try GradResult(input, check: false).result
    let loss = try #require(expected["loss"] as? Double)
    #expect(relativeError(result.loss, loss) <= 1e-12, "loss \(result.loss) vs \(loss)")

    let gradients = try #require(expected["gradients"] as? [String: Any])
    #expect(Set(gradients.keys) == Set(input.params.map(\.name)))
    for (variable, gradient) in zip(input.params, result.gradients) {
      let value = try #require(gradients[variable.name], "no expected \(variable.name)")
      let flat = (value as? [[Double]])?.flatMap { $0 } ?? (value as? [Double])
      expectClose(gradient, try #require(flat), tolerance: 1e-12, "\(name) ∂E/∂\(variable.name)")
    }

    let state = try #require(expected["initial_state_gradients"] as? [String: [Double]])
    #expect(input.initialState.map(\.name) == ["h"])
    #expect(result.gradients.count == input.params.count + 1)
    expectClose(
      result.gradients.last ?? [], try #require(state["h"]), tolerance: 1e-12, "\(name) ∂E/∂h_{−1}")
  }

  /// `--check`: both oracles agree with the hand-derived gradients of every variable.
  @Test(arguments: [
    "rnn", "rnn-concat", "lstm", "lstm-forget-bias", "gru", "gru-reset-after",
    "gru-reset-after-bhn",
  ])
  func checkPassesOnFixture(name: String) throws {
    let input = try GradInput.parse(try Fixture.text(name + ".input"))
    let result = try GradResult(input, check: true)
    let checks = try #require(result.checks)
    #expect(checks.count == input.point.count * Oracle.allCases.count)
    #expect(Set(checks.map(\.parameter)) == Set(input.point.map(\.name)))
    for check in checks { #expect(check.passed, "\(check.summary)") }
    #expect(result.passed)
  }

  // MARK: Bad input: each names the field

  @Test func malformedJSON() {
    // Line 3 is `  "inputs": [[1, 2,]]`: the ']' after the comma is column 20.
    expectRejected(
      "{\n  \"model\": \"rnn\",\n  \"inputs\": [[1, 2,]]\n}",
      mentions: ["malformed JSON", "line 3, column 20", "']'"])
  }

  @Test func topLevelNotAnObject() {
    expectRejected("[1, 2]", mentions: ["top level", "object", "found an array of 2"])
  }

  /// No document at all is bad data, like any other document that is not an object.
  @Test(arguments: ["", " \n\t\r\n"])
  func emptyDocument(text: String) {
    expectRejected(
      text, mentions: ["top level: expected a JSON object, found an empty document"])
  }

  /// A string is echoed escaped and cut: the error stays one short line.
  @Test func longModelNameIsCut() {
    let name = "rnn\n" + String(repeating: "x", count: 10_000)
    let shown = #""rnn\n"# + String(repeating: "x", count: 36) + #"…" (10004 characters)"#
    expectRejected(
      #"{"model": "\#(name.replacingOccurrences(of: "\n", with: "\\n"))"}"#,
      mentions: ["found \(shown)"])
  }

  @Test func unknownModel() throws {
    expectRejected(
      try rnnInput { $0["model"] = "transformer" }, mentions: ["model:", "\"transformer\"", "rnn"])
  }

  @Test func missingParameter() throws {
    expectRejected(
      try rnnInput { $0[param: "b_y"] = nil }, mentions: ["params", "missing parameter 'b_y'"])
  }

  @Test func unexpectedParameter() throws {
    expectRejected(
      try rnnInput { $0[param: "Q"] = [1.0] }, mentions: ["params", "unexpected parameter 'Q'"])
  }

  @Test func wrongShape() throws {
    let text = try rnnInput { $0[rows: "W"] = $0[rows: "W"].map { Array($0.dropLast()) } }
    expectRejected(text, mentions: ["params.W", "expected shape 5×5", "found 5×4"])
  }

  @Test func raggedRows() throws {
    let text = try rnnInput { $0[rows: "W"][2].removeLast() }
    expectRejected(text, mentions: ["params.W", "row 2", "ragged"])
  }

  @Test func vectorGivenAsMatrix() throws {
    let text = try rnnInput { $0[param: "b"] = [$0[param: "b"] ?? []] }
    expectRejected(text, mentions: ["params.b", "vector"])
  }

  @Test func inputWidthIsNotD() throws {
    let text = try rnnInput { input in
      var xs = input["inputs"] as? [[Any]] ?? []
      xs[1].removeLast()
      input["inputs"] = xs
    }
    expectRejected(text, mentions: ["inputs[1]", "D = 3", "found 2"])
  }

  @Test func targetNotBelowK() throws {
    expectRejected(
      try rnnInput { $0["targets"] = [1, 0, 2, 0] }, mentions: ["targets[2]", "0..<2"])
  }

  @Test func negativeTarget() throws {
    expectRejected(
      try rnnInput { $0["targets"] = [1, -1, 0, 0] }, mentions: ["targets[1]", "0..<2"])
  }

  @Test func nonIntegerTarget() throws {
    expectRejected(
      try rnnInput { $0["targets"] = [1, 0, 0, 1.5] }, mentions: ["targets[3]", "1.5"])
  }

  @Test func nanIsNamed() throws {
    let text = try rnnInput { $0[rows: "U"][1][2] = "@NaN" }
    #expect(text.contains("NaN"))
    expectRejected(text, mentions: ["params.U[1][2]", "finite", "NaN"])
  }

  @Test(arguments: ["Infinity", "-Infinity"])
  func infinityIsNamed(token: String) throws {
    let text = try rnnInput { input in
      var xs = input["inputs"] as? [[Any]] ?? []
      xs[0][1] = "@" + token
      input["inputs"] = xs
    }
    #expect(text.contains(token))
    expectRejected(text, mentions: ["inputs[0][1]", "finite"])
  }

  /// 1e999 is valid JSON syntax but overflows a Double to +∞.
  @Test func overflowingNumberIsNamed() throws {
    let text = try rnnInput { input in
      var b = input[param: "b"] as? [Any] ?? []
      b[0] = "@1e999"
      input[param: "b"] = b
    }
    #expect(text.contains("1e999"))
    expectRejected(text, mentions: ["params.b[0]", "finite"])
  }

  @Test func emptySequence() throws {
    let text = try rnnInput {
      $0["inputs"] = [Any]()
      $0["targets"] = [Any]()
    }
    expectRejected(text, mentions: ["inputs", "at least one"])
  }

  @Test func targetCountIsNotT() throws {
    expectRejected(
      try rnnInput { $0["targets"] = [1, 0, 0] }, mentions: ["targets", "T = 4", "found 3"])
  }

  @Test func initialStateWrongLength() throws {
    let text = try rnnInput { $0["initial_state"] = ["h": [0.1, 0.2, 0.3, 0.4]] }
    expectRejected(text, mentions: ["initial_state.h", "H = 5", "found 4"])
  }

  @Test func cellStateForAnRNN() throws {
    let zeros = [Double](repeating: 0, count: 5)
    let text = try rnnInput { $0["initial_state"] = ["h": zeros, "c": zeros] }
    expectRejected(text, mentions: ["initial_state.c", "lstm"])
  }

  @Test func variantForAnRNN() throws {
    expectRejected(try rnnInput { $0["variant"] = "reset-after" }, mentions: ["variant", "gru"])
  }

  @Test func forgetBiasForAnRNN() throws {
    expectRejected(try rnnInput { $0["forget_bias"] = 1.0 }, mentions: ["forget_bias", "lstm"])
  }

  @Test func unexpectedTopLevelField() throws {
    expectRejected(
      try rnnInput { $0["learning_rate"] = 0.01 }, mentions: ["unexpected field 'learning_rate'"])
  }

  /// The second "model" key starts at column 18 of the fixture's first line.
  @Test func duplicateKey() throws {
    let original = try Fixture.text("rnn.input")
    #expect(original.hasPrefix(#"{"model": "rnn", "#))
    let text = original.replacingOccurrences(
      of: #"{"model": "rnn", "#, with: #"{"model": "rnn", "model": "rnn-concat", "#)
    expectRejected(text, mentions: ["duplicate key \"model\"", "line 1, column 18"])
  }

  // MARK: Size caps

  /// The builder itself makes valid input, at the caps too.
  @Test func zerosInputAtTheCapsIsAccepted() throws {
    let cap = Limits.gradDimension
    for (D, H, K, T) in [(1, 1, 1, 1), (cap, 1, 1, 1), (1, cap, 1, 1), (1, 1, cap, 1)] {
      let input = try GradInput.parse(zerosInput(D: D, H: H, K: K, T: T))
      #expect(input.dims == Dims(D: D, H: H, K: K))
    }
    let long = try GradInput.parse(zerosInput(D: 1, H: 1, K: 1, T: Limits.gradSteps))
    #expect(long.inputs.count == Limits.gradSteps)
  }

  @Test(arguments: ["D", "H", "K"])
  func dimensionAboveTheCap(letter: String) {
    let n = Limits.gradDimension + 1
    let text = zerosInput(
      D: letter == "D" ? n : 1, H: letter == "H" ? n : 1, K: letter == "K" ? n : 1, T: 1)
    expectRejected(
      text, mentions: ["params", "\(letter) = \(n)", "cap of \(Limits.gradDimension)"])
  }

  @Test func stepsAboveTheCap() {
    let T = Limits.gradSteps + 1
    expectRejected(
      zerosInput(D: 1, H: 1, K: 1, T: T),
      mentions: ["inputs", "\(T) time steps", "cap of \(Limits.gradSteps)"])
  }
}

// MARK: - LSTM and GRU

/// A fixture input (`lstm`, `gru`, …), edited as a dictionary and written back by Foundation,
/// as `rnnInput` does for `rnn` (`"@TOKEN"` is written as the bare token).
func fixtureInput(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
  var object = try Fixture.object(name + ".input")
  edit(&object)
  let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  let text = String(decoding: data, as: UTF8.self)
  return text.replacingOccurrences(of: #""@([^"]*)""#, with: "$1", options: .regularExpression)
}

extension GradTests {
  /// Loss, every parameter gradient and every initial-state gradient (h, and c for an LSTM)
  /// equal TensorFlow's, with forget_bias and the reset-after variant read from the input;
  /// `gru-reset-after-bhn`'s, with the recurrent bias `b_hn`, equal JAX's.
  @Test(arguments: ["lstm", "lstm-forget-bias", "gru", "gru-reset-after", "gru-reset-after-bhn"])
  func gatedCellMatchesFixture(name: String) throws {
    let input = try GradInput.parse(try Fixture.text(name + ".input"))
    let expected = try Fixture.object(name + ".expected")
    #expect(input.forgetBias == (name == "lstm-forget-bias" ? 1.0 : 0.0))
    #expect(input.variant == (name.hasPrefix("gru-reset-after") ? .resetAfter : .resetBefore))
    #expect(input.hasRecurrentBias == name.hasSuffix("bhn"))
    let result = try GradResult(input, check: false).result
    let loss = try #require(expected["loss"] as? Double)
    #expect(relativeError(result.loss, loss) <= 1e-12, "loss \(result.loss) vs \(loss)")

    let gradients = try #require(expected["gradients"] as? [String: Any])
    #expect(Set(gradients.keys) == Set(input.params.map(\.name)))
    #expect(input.params.count == (name.hasPrefix("lstm") ? 14 : name.hasSuffix("bhn") ? 12 : 11))
    for (variable, gradient) in zip(input.params, result.gradients) {
      let value = try #require(gradients[variable.name], "no expected \(variable.name)")
      let flat = (value as? [[Double]])?.flatMap { $0 } ?? (value as? [Double])
      expectClose(gradient, try #require(flat), tolerance: 1e-12, "\(name) ∂E/∂\(variable.name)")
    }

    let state = try #require(expected["initial_state_gradients"] as? [String: [Double]])
    let names = name.hasPrefix("lstm") ? ["h", "c"] : ["h"]
    #expect(Set(state.keys) == Set(names))
    #expect(input.initialState.map(\.name) == names)
    #expect(result.gradients.count == input.params.count + names.count)
    for (k, stateName) in names.enumerated() {
      let gradient = result.gradients.dropFirst(input.params.count + k).first ?? []
      expectClose(
        gradient, try #require(state[stateName]), tolerance: 1e-12, "\(name) ∂E/∂\(stateName)₀")
    }
  }

  @Test func cellStateForAGRU() throws {
    let zeros = [Double](repeating: 0, count: 5)
    let text = try fixtureInput("gru") { $0["initial_state"] = ["h": zeros, "c": zeros] }
    expectRejected(text, mentions: ["initial_state.c", "lstm"])
  }

  @Test func unknownGRUVariant() throws {
    expectRejected(
      try fixtureInput("gru") { $0["variant"] = "reset-middle" },
      mentions: ["variant", "\"reset-middle\"", "reset-before", "reset-after"])
  }

  @Test func forgetBiasForAGRU() throws {
    expectRejected(
      try fixtureInput("gru") { $0["forget_bias"] = 1.0 }, mentions: ["forget_bias", "lstm"])
  }

  @Test func variantForAnLSTM() throws {
    expectRejected(
      try fixtureInput("lstm") { $0["variant"] = "reset-after" }, mentions: ["variant", "gru"])
  }

  @Test func missingLSTMForgetWeights() throws {
    expectRejected(
      try fixtureInput("lstm") { $0[param: "W_f"] = nil },
      mentions: ["params", "missing parameter 'W_f'"])
  }

  /// D = 3 comes from U_r's columns, so a U_z with two columns is the one named.
  @Test func wrongGRUShape() throws {
    let text = try fixtureInput("gru") {
      $0[rows: "U_z"] = $0[rows: "U_z"].map { Array($0.dropLast()) }
    }
    expectRejected(text, mentions: ["params.U_z", "expected shape 5×3", "found 5×2"])
  }

  @Test func lstmCellStateWrongLength() throws {
    let text = try fixtureInput("lstm") {
      $0["initial_state"] = ["h": [0.1, 0.2, 0.3, 0.4, 0.5], "c": [0.1, 0.2, 0.3, 0.4]]
    }
    expectRejected(text, mentions: ["initial_state.c", "H = 5", "found 4"])
  }

  @Test func forgetBiasNaN() throws {
    let text = try fixtureInput("lstm") { $0["forget_bias"] = "@NaN" }
    #expect(text.contains("NaN"))
    expectRejected(text, mentions: ["forget_bias", "finite", "NaN"])
  }
}

extension GradTests {
  /// Finite inputs that overflow in the forward pass are bad input, not a page of nulls:
  /// U x = 1e308·2 − 1e308·2 = ∞ − ∞ = NaN in double precision.
  @Test func overflowInTheForwardPassIsRejected() throws {
    let text = try rnnInput { object in
      object[param: "U"] = Array(repeating: [1e308, -1e308, 0], count: 5)
      object["inputs"] = Array(repeating: [2.0, 2.0, 0.0], count: 4)
    }
    let input = try GradInput.parse(text)
    #expect {
      _ = try GradResult(input, check: false)
    } throws: { error in
      guard let error = error as? InputError else { return false }
      return error.code == 65 && error.message.contains("not finite")
    }
  }

  /// A logit gap of 2000 underflows softmax to 0, but the loss stays finite: with V = [[0],
  /// [2000]], b_y = 0, h = 1 (b = 20 saturates tanh to 1.0 exactly), and target 0, each step's
  /// loss is log(1 + e^{2000}) ≈ 2000 (by hand), so E = 2000 T.
  @Test func largeLogitGapGivesFiniteLoss() throws {
    let json = """
      {"model": "rnn", "inputs": [[0], [0]], "targets": [0, 0],
       "params": {"U": [[0]], "W": [[0]], "b": [20], "V": [[0], [2000]], "b_y": [0, 0]}}
      """
    let result = try GradResult(try GradInput.parse(json), check: false).result
    #expect(relativeError(result.loss, 4000) <= 1e-15)
    #expect(result.gradients.allSatisfy { $0.allSatisfy(\.isFinite) })
  }
}
