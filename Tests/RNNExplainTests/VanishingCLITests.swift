import Foundation
import Testing

/// `rnn-explain vanishing`: the table, the sparkline, JSON, the SVG plot, and its errors.
@Suite struct VanishingCLITests {
  static let plots = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/Plots")

  /// A fresh path in a fresh temporary directory, removed by `body`'s end.
  func withTemporaryFile<R>(_ name: String, _ body: (URL) throws -> R) throws -> R {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("rnn-explain-svg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory.appendingPathComponent(name))
  }

  @Test func defaultRunPrintsTableSparklineAndVerdict() throws {
    let run = try Run(["vanishing"])
    #expect(run.code == 0 && run.stderr.isEmpty)
    let lines = run.stdout.split(separator: "\n").map(String.init)
    let header = try #require(lines.firstIndex { $0.hasPrefix("LAG") })
    // 32 lags by default, numbered 1…32 in the first column.
    #expect(lines[header + 1].hasPrefix("1 ") && lines[header + 32].hasPrefix("32 "))
    let spark = try #require(lines.first { $0.hasPrefix("  ‖∂h_t/∂h_k‖₂  ") })
    #expect(spark.filter { "▁▂▃▄▅▆▇█".contains($0) }.count == 32)
    #expect(run.stdout.contains("PASS: the step Jacobian (lag 1) and the product (lag 32)"))
  }

  /// JSON: one row per lag, the bound only for rnn, ∂c only for the LSTM.
  @Test(arguments: ["rnn", "lstm", "gru"])
  func jsonRowsPerLag(model: String) throws {
    let run = try Run(["vanishing", "--model", model, "--steps", "7", "--format", "json"])
    #expect(run.code == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let rows = try #require(object["rows"] as? [[String: Any]])
    #expect(rows.count == 7)
    #expect(rows.allSatisfy { ($0["bound"] != nil) == (model == "rnn") })
    #expect(rows.allSatisfy { ($0["dc_norm"] != nil) == (model == "lstm") })
    #expect(object["passed"] as? Bool == true)
  }

  /// The plot of the rnn and of the LSTM, byte for byte.
  ///
  /// `vanishing --steps 24 --scale 0.6 --svg F` (rnn) and the LSTM at scale 2. To re-capture after a deliberate change:
  /// `RNN_EXPLAIN_RECORD_OUTPUTS=1 swift test --filter VanishingCLITests` (the run then fails).
  @Test(arguments: [("rnn", "0.6"), ("lstm", "2")])
  func svgMatchesFixture(model: String, scale: String) throws {
    let fixture = Self.plots.appendingPathComponent("vanishing-\(model).svg")
    let svg = try withTemporaryFile("plot.svg") { file in
      let run = try Run([
        "vanishing", "--model", model, "--steps", "24", "--scale", scale, "--svg", file.path,
      ])
      #expect(run.code == 0 && run.stderr.isEmpty)
      return try String(contentsOf: file, encoding: .utf8)
    }
    if ProcessInfo.processInfo.environment["RNN_EXPLAIN_RECORD_OUTPUTS"] == "1" {
      try Data(svg.utf8).write(to: fixture)
      Issue.record("recorded \(fixture.lastPathComponent); unset RNN_EXPLAIN_RECORD_OUTPUTS")
      return
    }
    #expect(svg == (try String(contentsOf: fixture, encoding: .utf8)))
    // What the plot must show, whatever its coordinates: a title, both axes' labels, a
    // labelled decade, the lines and a legend entry for each.
    for fragment in [
      "font-size=\"16\">\(model): ", "lag t − k", "spectral norm (log scale)", ">1</text>",
      "<polyline", "‖∂h_t/∂h_k‖₂",
    ] {
      #expect(svg.contains(fragment), "\(fragment)")
    }
    #expect(svg.contains(model == "rnn" ? "bound (γ‖W‖₂)^(t−k)" : "‖∂c_t/∂c_k‖₂"))
  }

  @Test func badModelIsAUsageError() throws {
    try expectUsageError(
      ["vanishing", "--model", "lstmx"], mentions: "--model expects one of rnn, lstm, gru")
    try expectUsageError(["vanishing", "--scale", "0"], mentions: "--scale")
    try expectUsageError(["vanishing", "--steps", "65"], mentions: "--steps")
    try expectUsageError(["vanishing", "extra"], mentions: "unexpected argument 'extra'")
  }

  /// An unwritable `--svg` path: 73 or 74, one error line.
  ///
  /// A file that cannot be created (no such directory, a directory) exits 73; one that cannot
  /// be written (a full device) 74. One `Error:` line naming --svg, nothing on stdout.
  @Test(arguments: [
    ("/nonexistent-rnn-explain-dir/plot.svg", Int32(73)), ("/", Int32(73)),
    ("/dev/full", Int32(74)),
  ])
  func unwritableSVGPath(path: String, code: Int32) throws {
    let run = try Run(["vanishing", "--svg", path])
    #expect(run.code == code, "\(path): \(run.stderr)")
    #expect(run.stdout.isEmpty)
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("Error: --svg: cannot "), "\(run.stderr)")
  }
}
