import Foundation
import Testing

/// The golden vectors live beside the library tests: ../RNNDerivationsTests/Fixtures/.
func fixture(_ name: String) -> String {
  repositoryRoot.appendingPathComponent("Tests/RNNDerivationsTests/Fixtures/\(name).json").path
}

/// The expected loss of a fixture, read by Foundation (independent of the code under test).
private func expectedLoss(_ name: String) throws -> Double {
  let data = try Data(contentsOf: URL(fileURLWithPath: fixture(name + ".expected")))
  let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  return try #require(object["loss"] as? Double)
}

func jsonObject(_ text: String) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// Bad data: the exit code, nothing on stdout, and exactly one `Error:` line on stderr.
func expectOneErrorLine(
  _ run: Run, code: Int32, mentions: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(run.code == code, "\(run.stderr)", sourceLocation: sourceLocation)
  #expect(run.stdout.isEmpty, "stdout: \(run.stdout)", sourceLocation: sourceLocation)
  let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
  #expect(lines.count == 2 && lines[1].isEmpty, "\(run.stderr)", sourceLocation: sourceLocation)
  #expect(lines[0].hasPrefix("Error: "), "\(run.stderr)", sourceLocation: sourceLocation)
  #expect(lines[0].contains(mentions), "\(run.stderr)", sourceLocation: sourceLocation)
}

@Suite struct GradCLITests {
  @Test func jsonLossMatchesFixture() throws {
    let run = try Run(["grad", "--params", fixture("rnn.input")])
    #expect(run.code == 0, "\(run.stderr)")
    #expect(run.stderr.isEmpty)
    let object = try jsonObject(run.stdout)
    #expect(object["model"] as? String == "rnn")
    let loss = try #require(object["loss"] as? Double)
    let expected = try expectedLoss("rnn")
    #expect(abs(loss - expected) / abs(expected) <= 1e-12, "\(loss) vs \(expected)")
    let gradients = try #require(object["gradients"] as? [String: Any])
    #expect(Set(gradients.keys) == ["U", "W", "b", "V", "b_y"])
    #expect(object["check"] == nil, "no check without --check")
  }

  /// A stack: gradients grouped by layer; a bad layer is one line naming it; `--compare`
  /// takes single cells only.
  @Test func stackedModel() throws {
    let run = try Run(["grad", "--params", fixture("stacked.input"), "--check"])
    #expect(run.code == 0, "\(run.stderr)")
    let object = try jsonObject(run.stdout)
    let layers = try #require(object["layers"] as? [[String: Any]])
    #expect(layers.map { $0["model"] as? String } == ["rnn", "lstm"])
    let gradients = try #require(object["gradients"] as? [String: Any])
    #expect(Set(gradients.keys) == ["layers", "V", "b_y"])
    let check = try #require(object["check"] as? [String: Any])
    #expect(check["passed"] as? Bool == true)
    let text = try String(contentsOfFile: fixture("stacked.input"), encoding: .utf8)
    let bad = try temporaryFile(
      text.replacingOccurrences(of: "\"model\": \"lstm\"", with: "\"model\": \"elman\""))
    defer { try? FileManager.default.removeItem(atPath: bad) }
    expectOneErrorLine(
      try Run(["grad", "--params", bad]), code: 65,
      mentions: "layers[1].model: expected one of rnn, lstm, gru, found \"elman\"")
    expectOneErrorLine(
      try Run(["grad", "--params", fixture("stacked.input"), "--compare", fixture("rnn.expected")]),
      code: 65, mentions: "layers: --compare takes a single cell's gradients")
  }

  @Test func standardInputGivesIdenticalOutput() throws {
    let path = fixture("rnn.input")
    let fromFile = try Run(["grad", "--params", path])
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let fromStdin = try Run(["grad", "--params", "-"], stdin: text)
    #expect(fromFile.code == 0 && fromStdin.code == 0, "\(fromStdin.stderr)")
    #expect(!fromFile.stdout.isEmpty)
    #expect(fromStdin.stdout == fromFile.stdout)
  }

  @Test func textFormatPrintsATable() throws {
    let run = try Run(
      ["grad", "--params", fixture("rnn.input"), "--format", "text"], environment: ["NO_COLOR": "1"]
    )
    #expect(run.code == 0, "\(run.stderr)")
    for fragment in ["GRADIENT", "SHAPE", "∂E/∂W", "∂E/∂U", "∂E/∂b_y", "5×5"] {
      #expect(run.stdout.contains(fragment), "missing \(fragment)")
    }
    #expect(!run.stdout.contains("\u{1B}["))
  }

  @Test func checkReportsPassed() throws {
    let run = try Run(["grad", "--params", fixture("rnn-concat.input"), "--check"])
    #expect(run.code == 0, "\(run.stderr)")
    let object = try jsonObject(run.stdout)
    let check = try #require(object["check"] as? [String: Any])
    #expect(check["passed"] as? Bool == true)
    let parameters = try #require(check["parameters"] as? [String: Any])
    #expect(Set(parameters.keys) == ["W", "b_s", "U", "b_p", "h"])
  }

  @Test func missingFileExits66() throws {
    let run = try Run(["grad", "--params", "/nonexistent/rnn-explain/params.json"])
    expectOneErrorLine(run, code: 66, mentions: "/nonexistent/rnn-explain/params.json")
  }

  @Test func malformedJSONExits65() throws {
    let run = try Run(["grad", "--params", "-"], stdin: #"{"model": "rnn", "inputs": [[1,]]}"#)
    expectOneErrorLine(run, code: 65, mentions: "malformed JSON")
  }

  @Test func gradWithoutParamsIsAUsageError() throws {
    try expectUsageError(["grad"], mentions: "--params")
  }
}

// MARK: - LSTM and GRU

extension GradCLITests {
  /// forget_bias is echoed, and the final state has h and c.
  ///
  /// The expected final state is NumPy 2.4.6 (float64) on the fixture: a forward pass written
  /// independently of this project (gates σ(W h + U x + b), f adding forget_bias,
  /// c = f*c + i*c̃, h = o*tanh(c)), which reproduces the fixture's TensorFlow loss exactly.
  @Test func lstmForgetBiasReportsBiasAndBothFinalStates() throws {
    let run = try Run(["grad", "--params", fixture("lstm-forget-bias.input")])
    #expect(run.code == 0, "\(run.stderr)")
    #expect(run.stderr.isEmpty)
    let object = try jsonObject(run.stdout)
    #expect(object["model"] as? String == "lstm")
    #expect(object["forget_bias"] as? Double == 1)
    #expect(object["variant"] == nil)
    let loss = try #require(object["loss"] as? Double)
    let expected = try expectedLoss("lstm-forget-bias")
    #expect(abs(loss - expected) / abs(expected) <= 1e-12, "\(loss) vs \(expected)")
    let final = try #require(object["final_state"] as? [String: [Double]])
    #expect(Set(final.keys) == ["h", "c"])
    let numpy: [String: [Double]] = [
      "h": [
        -0.21839630105401026, -0.5001392746244234, 0.17501756927005874, -0.058303326232703234,
        0.37007384618969413,
      ],
      "c": [
        -0.8069859371485807, -1.316680896948975, 0.24558703882496685, -0.3071615678721078,
        0.6758854929014132,
      ],
    ]
    for (name, values) in numpy {
      let found = final[name] ?? []
      #expect(found.count == values.count, "final \(name): \(found)")
      for (a, b) in zip(found, values) {
        #expect(abs(a - b) / max(abs(a), abs(b)) <= 1e-12, "final \(name): \(a) vs \(b)")
      }
    }
    let states = try #require(object["initial_state_gradients"] as? [String: [Double]])
    #expect(Set(states.keys) == ["h", "c"])
  }

  @Test func gruResetAfterReportsVariant() throws {
    let run = try Run(["grad", "--params", fixture("gru-reset-after.input")])
    #expect(run.code == 0, "\(run.stderr)")
    let object = try jsonObject(run.stdout)
    #expect(object["model"] as? String == "gru")
    #expect(object["variant"] as? String == "reset-after")
    #expect(object["forget_bias"] == nil)
    let loss = try #require(object["loss"] as? Double)
    let expected = try expectedLoss("gru-reset-after")
    #expect(abs(loss - expected) / abs(expected) <= 1e-12, "\(loss) vs \(expected)")
    let final = try #require(object["final_state"] as? [String: [Double]])
    #expect(Set(final.keys) == ["h"])
  }

  /// One PASS row per variable: the nine gate parameters, V, b_y and h_{−1}.
  @Test func gruTextCheckPrintsPassRows() throws {
    let run = try Run(
      ["grad", "--params", fixture("gru.input"), "--format", "text", "--check"],
      environment: ["NO_COLOR": "1"])
    #expect(run.code == 0, "\(run.stderr)")
    #expect(run.stdout.contains("gru (reset-before)"))
    let lines = run.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.first { $0.hasPrefix("GRADIENT") })
    #expect(header.contains("DUAL") && header.contains("FD") && header.contains("RESULT"))
    let names = [
      "W_r", "U_r", "b_r", "W_z", "U_z", "b_z", "W_h", "U_h", "b_h", "V", "b_y", "h_{−1}",
    ]
    for name in names {
      let row = lines.first { $0.hasPrefix("∂E/∂\(name) ") }
      #expect(row?.hasSuffix("PASS") == true, "\(name): \(row ?? "missing")")
    }
    #expect(!run.stdout.contains("FAIL"))
    #expect(!run.stdout.contains("\u{1B}["))
  }
}

extension GradCLITests {
  /// ∞ − ∞ in the first pre-activation: exit 65, one line, nothing on stdout.
  @Test func overflowIsBadInputWithNoOutput() throws {
    let json = """
      {"model": "rnn", "inputs": [[2, 2]], "targets": [0],
       "params": {"U": [[1e308, -1e308]], "W": [[0]], "b": [0], "V": [[1], [0]], "b_y": [0, 0]}}
      """
    let run = try Run(["grad", "--params", "-"], stdin: json)
    #expect(run.code == 65)
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.hasPrefix("Error: params:") && run.stderr.contains("not finite"))
    #expect(run.stderr.split(separator: "\n").count == 1)
  }
}

/// The `rnn` fixture input with `fields` set, as JSON text (Foundation writes it).
private func rnnInput(with fields: [String: Any]) throws -> String {
  let text = try String(contentsOfFile: fixture("rnn.input"), encoding: .utf8)
  var object = try jsonObject(text)
  object.merge(fields) { $1 }
  return String(
    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
    as: UTF8.self)
}

extension GradCLITests {
  /// The options reach the output: `sequence_length` and `truncate` echoed after the model, the
  /// text header says them, `--check` passes, and the output fed back to `--compare` matches.
  @Test func optionsAreEchoedCheckedAndCompared() throws {
    let input = try rnnInput(with: [
      "targets": [NSNull(), 1, 0, 0], "sequence_length": 3,
      "truncate": ["style": "true", "steps": 2],
    ])
    let json = try Run(["grad", "--params", "-", "--check"], stdin: input)
    #expect(json.code == 0, "\(json.stderr)")
    let object = try jsonObject(json.stdout)
    #expect(object["sequence_length"] as? Int == 3)
    let truncate = try #require(object["truncate"] as? [String: Any])
    #expect(truncate["style"] as? String == "true" && truncate["steps"] as? Int == 2)
    #expect((object["check"] as? [String: Any])?["passed"] as? Bool == true)

    let text = try Run(
      ["grad", "--params", "-", "--format", "text"], stdin: input, environment: ["NO_COLOR": "1"])
    #expect(
      text.stdout.hasPrefix(
        "rnn · T=4 · D=3, H=5, K=2 · loss at 2 of 4 steps · sequence_length 3 · truncate true 2\n"
      ), "\(text.stdout.prefix(120))")

    let directory = FileManager.default.temporaryDirectory
    let path = directory.appendingPathComponent("grad-options-\(UUID().uuidString).json")
    try input.write(to: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: path) }
    let compare = try Run(["grad", "--params", path.path, "--compare", "-"], stdin: json.stdout)
    #expect(compare.code == 0, "\(compare.stderr)")
  }

  /// Each bad option: exit 65, one line naming the field.
  @Test func badOptionsAreBadData() throws {
    let cases: [([String: Any], String)] = [
      (["targets": [NSNull(), NSNull(), NSNull(), NSNull()]], "targets: every target is null"),
      (["sequence_length": 0], "sequence_length: expected an integer in 1…4"),
      (["sequence_length": 9], "sequence_length: expected an integer in 1…4"),
      (["sequence_length": [3]], "sequence_length: expected a number"),
      (["truncate": ["style": "tf"]], "truncate.steps: expected an integer in 1…1000"),
      (["truncate": ["style": "TF", "steps": 2]], "truncate.style: expected \"tf\" or \"true\""),
      (["truncate": "tf"], "truncate: expected an object"),
    ]
    for (fields, message) in cases {
      let run = try Run(["grad", "--params", "-"], stdin: try rnnInput(with: fields))
      expectOneErrorLine(run, code: 65, mentions: message)
    }
  }
}
