import Foundation
import Testing

/// The outputs a user sees, byte for byte, as captured before the restructuring into one
/// cell protocol and one sequence walk (and re-captured only for fixes listed in the commit
/// that changes them).
///
/// Every command below runs the built binary; its stdout, stderr and exit code must equal the
/// files in `Fixtures/Outputs`. To re-capture after a deliberate change, run
/// `RNN_EXPLAIN_RECORD_OUTPUTS=1 swift test --filter OutputFixtureTests` (the run then fails,
/// so that a recording is never mistaken for a comparison) and review `git diff`.
@Suite struct OutputFixtureTests {
  static let outputs = repositoryRoot.appendingPathComponent(
    "Tests/RNNExplainTests/Fixtures/Outputs")
  static let gradInputs = repositoryRoot.appendingPathComponent(
    "Tests/RNNDerivationsTests/Fixtures")

  static let ids = [
    "softmax", "cross-entropy", "softmax-cross-entropy", "activations", "rnn-step",
    "rnn-concat-step", "output-layer", "bptt-jacobian-product", "bptt-recursive",
    "bptt-index-form", "lstm-gates", "lstm-bptt", "gru-gates", "gru-bptt", "vanishing-gradients",
    "gradient-clipping", "truncated-bptt", "state-carry", "sequence-mask", "sequence-types",
    "dropout", "stacked-rnn",
  ]
  static let gradFixtures = [
    "rnn", "rnn-concat", "lstm", "lstm-forget-bias", "gru", "gru-reset-after", "stacked",
  ]

  /// Every captured command: a file name and the arguments.
  static let commands: [(name: String, arguments: [String])] = {
    var out: [(String, [String])] = [
      ("overview", []), ("list", ["list"]), ("list-json", ["list", "--format", "json"]),
      ("help", ["help"]),
    ]
    for command in [
      "list", "show", "check", "diagnose", "grad", "train", "bench", "vanishing", "help",
    ] {
      out.append(("help-\(command)", ["help", command]))
    }
    for id in ids {
      out += [
        ("show-\(id)", ["show", id]),
        ("show-\(id)-json", ["show", id, "--format", "json"]),
        ("show-\(id)-markdown", ["show", id, "--format", "markdown"]),
        ("show-\(id)-seed7", ["show", id, "--seed", "7", "--dims", "2,4,3", "--steps", "5"]),
        (
          "show-\(id)-seed123-json",
          ["show", id, "--seed", "123", "--dims", "5,3,7", "--steps", "2", "--format", "json"]
        ),
      ]
    }
    out += [
      ("check-seeds2", ["check", "--seeds", "2"]),
      ("check-some-json", ["check", "rnn-step", "gru-bptt", "--seeds", "1", "--format", "json"]),
      ("check-seeds2-markdown", ["check", "--seeds", "2", "--format", "markdown"]),
      ("check-bptt-lstm", ["check", "bptt-recursive", "lstm-bptt", "--seeds", "3"]),
      ("diagnose-bptt-recursive", ["diagnose", "bptt-recursive"]),
      (
        "diagnose-rnn-step-float-json",
        ["diagnose", "rnn-step", "--precision", "float", "--format", "json"]
      ),
      (
        "diagnose-exploding",
        [
          "diagnose", "bptt-recursive", "--seed", "446257807492389724", "--dims", "2,12,13",
          "--steps", "43", "--scale", "5", "--parameter", "b", "--entry", "0",
        ]
      ),
      ("vanishing", ["vanishing"]),
      ("vanishing-exploding", ["vanishing", "--scale", "3", "--steps", "20"]),
      (
        "vanishing-lstm-json",
        ["vanishing", "--model", "lstm", "--steps", "8", "--dims", "2,3,2", "--format", "json"]
      ),
      ("show-lstm-bptt-brief", ["show", "lstm-bptt", "--brief"]),
      ("show-gradient-clipping-brief", ["show", "gradient-clipping", "--brief"]),
      ("show-brief-json", ["show", "softmax", "--brief", "--format", "json"]),
      ("train-short", ["train", "--series-length", "4000"]),
      (
        "train-echo-batch-json",
        ["train", "echo", "--series-length", "4000", "--batch-size", "20", "--format", "json"]
      ),
      (
        "train-short-gru-json",
        ["train", "--model", "gru", "--series-length", "2000", "--format", "json"]
      ),
      ("train-bad-length", ["train", "--series-length", "1000"]),
    ]
    for name in gradFixtures {
      let path = gradInputs.appendingPathComponent("\(name).input.json").path
      out += [
        ("grad-\(name)", ["grad", "--params", path]),
        ("grad-\(name)-text", ["grad", "--params", path, "--format", "text"]),
        ("grad-\(name)-check", ["grad", "--params", path, "--check"]),
        ("grad-\(name)-check-text", ["grad", "--params", path, "--check", "--format", "text"]),
      ]
    }
    // A learner's gradients judged (Fixtures/learner.py): float32 printed to 4 digits, and
    // the same with `=` for `+=`.
    let rnn = gradInputs.appendingPathComponent("rnn.input.json").path
    for name in ["learner-float32", "no-accumulation"] {
      let theirs = gradInputs.appendingPathComponent("rnn.\(name).compare.json").path
      out += [
        ("grad-rnn-compare-\(name)", ["grad", "--params", rnn, "--compare", theirs]),
        (
          "grad-rnn-compare-\(name)-text",
          ["grad", "--params", rnn, "--compare", theirs, "--format", "text"]
        ),
      ]
    }
    return out
  }()

  /// What a run produced, as stored: the exit code and stderr, then stdout.
  static func record(_ run: Run) -> String {
    "exit \(run.code)\n--- stderr\n\(run.stderr)--- stdout\n\(run.stdout)"
  }

  @Test func outputsAreUnchanged() throws {
    let recording = ProcessInfo.processInfo.environment["RNN_EXPLAIN_RECORD_OUTPUTS"] == "1"
    if recording {
      try FileManager.default.createDirectory(at: Self.outputs, withIntermediateDirectories: true)
    }
    var compared = 0
    for (name, arguments) in Self.commands {
      let actual = Self.record(try Run(arguments))
      let file = Self.outputs.appendingPathComponent("\(name).txt")
      if recording {
        try Data(actual.utf8).write(to: file)
        continue
      }
      let expected = try String(contentsOf: file, encoding: .utf8)
      if actual != expected {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        Issue.record(
          """
          rnn-explain \(arguments.joined(separator: " ")): differs from \(name).txt at line \
          \(line + 1):
            captured: \(line < e.count ? String(e[line]) : "<end>")
            now:      \(line < a.count ? String(a[line]) : "<end>")
          """)
      }
      compared += 1
    }
    #expect(!recording, "recorded \(Self.commands.count) outputs; unset RNN_EXPLAIN_RECORD_OUTPUTS")
    #expect(recording || compared == Self.commands.count)
  }
}
