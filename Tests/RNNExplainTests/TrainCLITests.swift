import Foundation
import Testing

/// `rnn-explain train echo`: the JSON contract, the plot, the progress lines and the errors.
@Suite struct TrainCLITests {
  /// A short run: 2 epochs of 4,000 steps in 20 rows.
  static let short = ["--series-length", "4000", "--batch-size", "20", "--epochs", "2"]

  @Test func jsonHasTheCurveTheFinalLossTheBaselinesAndTheSettings() throws {
    let run = try Run(["train", "echo"] + Self.short + ["--format", "json"])
    #expect(run.code == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let losses = try #require(object["losses"] as? [Double])
    #expect(losses.count == 20)  // 10 logged points per epoch
    // The mean of the last tenth: the last 2 of 20 points.
    let final = try #require(object["final_loss"] as? Double)
    #expect(abs(final - (losses[18] + losses[19]) / 2) <= 1e-15)
    // The baselines, as R2RT quotes them (about 0.66, 0.52, 0.45 nats).
    let expected = try #require(object["expected"] as? [String: Double])
    #expect(Set(expected.keys) == ["none", "t3", "both"])
    #expect(abs((expected["none"] ?? 0) - 0.66) < 0.01)
    #expect(abs((expected["t3"] ?? 0) - 0.52) < 0.01)
    #expect(abs((expected["both"] ?? 0) - 0.45) < 0.01)
    #expect(object["batch_size"] as? Int == 20 && object["epochs"] as? Int == 2)
    #expect(object["num_steps"] as? Int == 10 && object["learning_rate"] as? Double == 0.1)
  }

  /// Standard error is not a terminal here: one plain progress line per epoch, nothing else.
  @Test func progressIsOneLinePerEpochOffATerminal() throws {
    let run = try Run(["train"] + Self.short)
    #expect(run.code == 0)
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.first?.hasPrefix("train: epoch 1 of 2, mean loss ") == true)
    #expect(!run.stdout.contains("train: epoch"))
    #expect(run.stdout.contains("loss curve "))
  }

  @Test func svgPlotsTheCurveAgainstTheBaselines() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("rnn-explain-train-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("loss.svg").path
    let run = try Run(["train", "echo"] + Self.short + ["--svg", path])
    #expect(run.code == 0)
    let svg = try String(contentsOfFile: path, encoding: .utf8)
    #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    #expect(svg.contains("mean cross-entropy (nats)") && svg.contains("logged point"))
    // One solid line (the curve, 20 points) and three dashed baselines.
    #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 3 * 2)  // line + legend
    #expect(svg.contains("nothing learned 0.66156"))
  }

  /// A plot that cannot be written stops the run before it trains: exit 73, nothing on stdout.
  @Test func anUnwritablePlotFailsBeforeTraining() throws {
    let run = try Run(["train"] + Self.short + ["--svg", "/nonexistent-directory/loss.svg"])
    #expect(run.code == 73 && run.stdout.isEmpty)
    #expect(run.stderr.hasPrefix("Error: --svg: cannot create '/nonexistent-directory/loss.svg'"))
    #expect(!run.stderr.contains("train: epoch"))
  }

  @Test(arguments: [
    (["train", "recall"], "Error: unknown task 'recall' (expected echo)"),
    (["train", "echo", "echo"], "Error: unexpected argument 'echo'"),
    (["train", "--batch-size", "0"], "Error: --batch-size expects an integer in 1...1000"),
    (
      ["train", "--batch-size", "30", "--series-length", "4000"],
      "Error: --series-length expects a multiple of batch × num-steps = 300, found 4000"
    ),
  ])
  func badArgumentsAreUsageErrors(arguments: [String], message: String) throws {
    let run = try Run(arguments)
    #expect(run.code == 64 && run.stdout.isEmpty)
    #expect(run.stderr.hasPrefix(message), "\(run.stderr)")
  }
}
