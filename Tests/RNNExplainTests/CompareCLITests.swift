import Foundation
import Testing

/// The `grad` input fixtures, one per model and convention.
private let models = ["rnn", "rnn-concat", "lstm", "lstm-forget-bias", "gru", "gru-reset-after"]

/// `text` in a new temporary file, for `--compare`.
func temporaryFile(_ text: String) throws -> String {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("rnn-explain-compare-\(UUID().uuidString).json")
  try Data(text.utf8).write(to: url)
  return url.path
}

/// `grad --params rnn.input --compare -` with `theirs` on standard input.
private func compareRNN(_ theirs: String, _ more: [String] = []) throws -> Run {
  try Run(["grad", "--params", fixture("rnn.input"), "--compare", "-"] + more, stdin: theirs)
}

/// `grad`'s output for the rnn fixture, as Foundation reads it (independent of the code under
/// test), edited and written back.
private func editedOutput(_ edit: (inout [String: Any]) -> Void) throws -> String {
  let run = try Run(["grad", "--params", fixture("rnn.input")])
  var object = try jsonObject(run.stdout)
  edit(&object)
  return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

extension Dictionary where Key == String, Value == Any {
  /// `gradients.NAME` of a compare file.
  fileprivate subscript(gradient name: String) -> Any? {
    get { (self["gradients"] as? [String: Any])?[name] }
    set {
      var gradients = self["gradients"] as? [String: Any] ?? [:]
      gradients[name] = newValue
      self["gradients"] = gradients
    }
  }
}

/// The rows of a matrix, transposed.
private func transposed(_ rows: [[Double]]) -> [[Double]] {
  (0..<(rows.first?.count ?? 0)).map { j in rows.map { $0[j] } }
}

@Suite struct CompareCLITests {
  /// `grad`'s own output fed back: every gradient matches, exit 0.
  @Test(arguments: models)
  func ownOutputMatches(name: String) throws {
    let own = try Run(["grad", "--params", fixture("\(name).input")])
    let path = try temporaryFile(own.stdout)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let run = try Run(["grad", "--params", fixture("\(name).input"), "--compare", path])
    #expect(run.code == 0, "\(run.stderr)")
    let object = try jsonObject(run.stdout)
    #expect(object["matches"] as? Bool == true)
    #expect((object["mistakes"] as? [Any])?.isEmpty == true)
  }

  /// TensorFlow's golden gradients (Fixtures/NAME.expected.json, computed outside this project)
  /// match: an independent learner's correct gradients.
  @Test(arguments: models)
  func tensorFlowGradientsMatch(name: String) throws {
    let run = try Run(
      [
        "grad", "--params", fixture("\(name).input"), "--compare", fixture("\(name).expected"),
        "--format", "text",
      ], environment: ["NO_COLOR": "1"])
    #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.hasSuffix("Every gradient matches.\n"))
  }

  /// A float32 numpy BPTT printed with 4 significant digits (Fixtures/learner.py) matches:
  /// the tolerance's error model.
  @Test func float32FourDigitsMatches() throws {
    let run = try Run(
      [
        "grad", "--params", fixture("rnn.input"), "--compare",
        fixture("rnn.learner-float32.compare"),
      ])
    #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
    let object = try jsonObject(run.stdout)
    let gradients = try #require(object["gradients"] as? [String: [String: Any]])
    for (name, item) in gradients {
      let difference = try #require(item["max_difference"] as? Double)
      // 4 digits round by up to 5e-4 of an entry; float32 adds ~1e-7.
      #expect(difference > 1e-6 && difference <= 5e-4, "\(name): \(difference)")
    }
  }

  /// The same numpy BPTT with `=` for `+=` (Fixtures/learner.py): exit 1, the mistake named,
  /// and the missing steps said for U, W, b and V (b_y has two classes: each step's ŷ − y is
  /// [a, −a], so any difference fits some multiple of any step and none is claimed).
  @Test func noAccumulationIsNamedWithItsMissingSteps() throws {
    let path = fixture("rnn.no-accumulation.compare")
    let text = try Run(
      ["grad", "--params", fixture("rnn.input"), "--compare", path, "--format", "text"],
      environment: ["NO_COLOR": "1"])
    #expect(text.code == 1)
    #expect(text.stdout.contains("matches known mistake rnn-no-accumulation: \""))
    let explanation =
      "the difference is −1.00 × the sum of steps 1…3's contributions: "
      + "your gradient holds only step 0's"
    #expect(text.stdout.components(separatedBy: explanation).count == 4, "\(text.stdout)")
    // h₋₁ = 0: step 0 adds nothing to ∂E/∂W, which is then zero, the longest run that fits.
    #expect(
      text.stdout.contains(
        "the difference is −1.00 × the sum of steps 0…3's contributions: your gradient is zero"))
    let json = try Run(["grad", "--params", fixture("rnn.input"), "--compare", path])
    #expect(json.code == 1)
    let object = try jsonObject(json.stdout)
    #expect(object["matches"] as? Bool == false)
    let mistakes = try #require(object["mistakes"] as? [[String: Any]])
    #expect(mistakes.map { $0["id"] as? String } == ["rnn-no-accumulation"])
    let gradients = try #require(object["gradients"] as? [String: [String: Any]])
    for name in ["U", "W", "b", "V"] {
      let steps = try #require(gradients[name]?["steps"] as? [String: Any], "\(name)")
      #expect(steps["first"] as? Int == (name == "W" ? 0 : 1), "\(name)")
      #expect(steps["last"] as? Int == 3, "\(name)")
      let factor = try #require(steps["factor"] as? Double)
      #expect(abs(factor + 1) < 1e-3, "\(name): \(factor)")
    }
    #expect(gradients["b_y"]?["steps"] is NSNull)
  }

  /// ∂E/∂W (square) transposed by hand: "transposed", and the catalogue's rnn-dW-transposed
  /// reproduces it.
  @Test func squareTransposeIsSaid() throws {
    let theirs = try editedOutput { object in
      object[gradient: "W"] = transposed(object[gradient: "W"] as? [[Double]] ?? [])
    }
    let run = try compareRNN(theirs, ["--format", "text"])
    #expect(run.code == 1)
    #expect(run.stdout.contains("∂E/∂W is transposed; transposed back, it matches"))
    #expect(run.stdout.contains("matches known mistake rnn-dW-transposed"))
    let json = try jsonObject(try compareRNN(theirs).stdout)
    let w = try #require((json["gradients"] as? [String: [String: Any]])?["W"])
    #expect(w["transposed"] as? Bool == true && w["match"] as? Bool == false)
  }

  /// ∂E/∂U (5×3) given as 3×5: "transposed", not a shape error; no mistake gives that shape.
  @Test func transposedShapeIsSaid() throws {
    let theirs = try editedOutput { object in
      object[gradient: "U"] = transposed(object[gradient: "U"] as? [[Double]] ?? [])
    }
    let run = try compareRNN(theirs, ["--format", "text"])
    #expect(run.code == 1, "\(run.stderr)")
    #expect(run.stdout.contains("∂E/∂U is transposed; transposed back, it matches"))
    #expect(run.stdout.contains("No known mistake reproduces your gradients"))
  }

  /// Bad compare files: exit 65, one `Error: compare: …` line naming the field.
  @Test(arguments: [
    (#"[1, 2]"#, "compare: top level: expected a JSON object, found an array of 2"),
    ("  ", "compare: top level: expected a JSON object, found an empty document"),
    (#"{"gradients": "#, "compare: malformed JSON"),
    (#"{"loss": 1}"#, "compare: gradients: expected an object of named gradients, found nothing"),
  ])
  func malformedFileExits65(theirs: String, message: String) throws {
    expectOneErrorLine(try compareRNN(theirs), code: 65, mentions: message)
  }

  @Test func fieldErrorsExit65() throws {
    let cases: [(String, (inout [String: Any]) -> Void)] = [
      (
        "compare: gradients.W has shape 4×5, expected 5×5 (H×H)",
        { $0[gradient: "W"] = Array(($0[gradient: "W"] as? [[Double]] ?? []).prefix(4)) }
      ),
      ("compare: gradients.b has 4 numbers, expected 5 (H)", { $0[gradient: "b"] = [1, 2, 3, 4] }),
      (
        "compare: gradients: missing 'b_y' for rnn (expected U, W, b, V, b_y)",
        { $0[gradient: "b_y"] = nil }
      ),
      (
        "compare: gradients: unexpected name 'W_h' for rnn",
        { $0[gradient: "W_h"] = [[1.0]] }
      ),
      (
        "compare: gradients.V: expected a 2×5 matrix (K×H) as an array of rows, found \"x\"",
        { $0[gradient: "V"] = "x" }
      ),
      (
        "compare: gradients.b: expected a vector of 5 numbers (H), found an array of rows",
        { $0[gradient: "b"] = [[1.0]] }
      ),
      (
        "compare: gradients.U[1][2]: expected a number, found a boolean",
        { object in
          var u = object[gradient: "U"] as? [[Any]] ?? []
          u[1][2] = true
          object[gradient: "U"] = u
        }
      ),
      (
        "compare: initial_state_gradients: unexpected name 'c' for rnn (expected h)",
        { $0["initial_state_gradients"] = ["c": [0.0]] }
      ),
      (
        "compare: initial_state_gradients.h has 2 numbers, expected 5 (H)",
        { $0["initial_state_gradients"] = ["h": [0.0, 1.0]] }
      ),
    ]
    for (message, edit) in cases {
      expectOneErrorLine(try compareRNN(try editedOutput(edit)), code: 65, mentions: message)
    }
  }

  @Test func unreadableFilesExit66() throws {
    let params = fixture("rnn.input")
    expectOneErrorLine(
      try Run(["grad", "--params", params, "--compare", "/nonexistent/theirs.json"]), code: 66,
      mentions: "--compare: no such file '/nonexistent/theirs.json'")
    expectOneErrorLine(
      try Run(["grad", "--params", params, "--compare", "/"]), code: 66,
      mentions: "--compare: '/' is a directory")
  }

  @Test func compareWithCheckOrTwoStandardInputsIsAUsageError() throws {
    let params = fixture("rnn.input")
    try expectUsageError(
      ["grad", "--params", params, "--compare", params, "--check"], mentions: "--check")
    try expectUsageError(["grad", "--params", "-", "--compare", "-"], mentions: "standard input")
    try expectUsageError(["list", "--compare", params], mentions: "--compare")
  }
}
