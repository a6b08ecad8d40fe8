import Foundation
import Testing

/// Runs the built `rnn-explain` binary, as a user would, and captures everything it prints.
struct Run {
  var stdout: String
  var stderr: String
  var code: Int32
  /// Whether a signal ended the process (a crash, a trap) instead of `exit`.
  var signalled: Bool

  /// The products directory holds the test bundle and the executable side by side.
  static let binary: URL = {
    let bundle =
      Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
      ?? URL(fileURLWithPath: CommandLine.arguments[0])
    return bundle.deletingLastPathComponent().appendingPathComponent("rnn-explain")
  }()

  init(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws {
    try self.init(arguments, input: Data((stdin ?? "").utf8), environment: environment)
  }

  /// Runs the binary with `input` on its standard input.
  ///
  /// `redirect`, shell redirections such as `>&-` or `< /`, is applied to the binary by
  /// `/bin/sh` as it starts it; `output`, if given, is its standard output, not captured.
  /// The three streams are files, never pipes, so that no run blocks however much or little
  /// it reads or writes.
  init(
    _ arguments: [String], input: Data, redirect: String? = nil, output: FileHandle? = nil,
    environment: [String: String] = [:]
  ) throws {
    let manager = FileManager.default
    let directory = manager.temporaryDirectory
      .appendingPathComponent("rnn-explain-run-\(UUID().uuidString)")
    try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? manager.removeItem(at: directory) }
    let (inFile, outFile, errFile) = (
      directory.appendingPathComponent("stdin"), directory.appendingPathComponent("stdout"),
      directory.appendingPathComponent("stderr")
    )
    try input.write(to: inFile)
    try Data().write(to: outFile)
    try Data().write(to: errFile)
    let handles = [
      try FileHandle(forReadingFrom: inFile), try FileHandle(forWritingTo: outFile),
      try FileHandle(forWritingTo: errFile),
    ]
    defer { for handle in handles { try? handle.close() } }

    let process = Process()
    if let redirect {
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", "exec \"$0\" \"$@\" \(redirect)", Run.binary.path] + arguments
    } else {
      process.executableURL = Run.binary
      process.arguments = arguments
    }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = handles[0]
    process.standardOutput = output ?? handles[1]
    process.standardError = handles[2]
    try process.run()
    process.waitUntilExit()
    stdout = String(decoding: try Data(contentsOf: outFile), as: UTF8.self)
    stderr = String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
    code = process.terminationStatus
    signalled = process.terminationReason == .uncaughtSignal
  }
}

/// What a shell `command` prints when run on a pseudo-terminal (util-linux `script`), with
/// `NO_COLOR` unset unless `environment` sets it.
func onTerminal(_ command: String, environment: [String: String] = [:]) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
  process.arguments = ["-qec", command, "/dev/null"]
  var env = ProcessInfo.processInfo.environment
  env["NO_COLOR"] = nil
  process.environment = env.merging(environment) { $1 }
  let out = Pipe()
  process.standardOutput = out
  process.standardInput = FileHandle.nullDevice
  try process.run()
  let data = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return String(decoding: data, as: UTF8.self)
}

/// Asserts the usage-error contract: exit 64, nothing on stdout, `Error:` + usage + hint.
func expectUsageError(
  _ arguments: [String], mentions: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let run = try Run(arguments)
  #expect(run.code == 64, "\(arguments)", sourceLocation: sourceLocation)
  #expect(run.stdout.isEmpty, "\(arguments) printed to stdout", sourceLocation: sourceLocation)
  let lines = run.stderr.split(separator: "\n").map(String.init)
  #expect(lines.count == 3, "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
  #expect(lines.first?.hasPrefix("Error: ") == true, sourceLocation: sourceLocation)
  #expect(
    lines.first?.contains(mentions) == true, "\(lines.first ?? "")", sourceLocation: sourceLocation)
  #expect(
    lines.dropFirst().first?.hasPrefix("Usage: rnn-explain") == true, sourceLocation: sourceLocation
  )
  #expect(lines.last?.hasPrefix("See 'rnn-explain help") == true, sourceLocation: sourceLocation)
}

@Suite struct CLITests {
  /// The README's sample of `swift run rnn-explain` is what the binary prints today.
  @Test func readmeShowsTheCurrentOverview() throws {
    let readme = repositoryRoot.appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    let start = try #require(text.range(of: "`swift run rnn-explain` prints:\n\n```\n"))
    let end = try #require(text.range(of: "```\n", range: start.upperBound..<text.endIndex))
    #expect(String(text[start.upperBound..<end.lowerBound]) == (try Run([])).stdout)
  }

  @Test func overviewListsEveryDerivationAsPass() throws {
    let run = try Run([])
    #expect(run.code == 0)
    #expect(run.stderr.isEmpty)
    for id in ["softmax", "cross-entropy", "softmax-cross-entropy", "activations"] {
      let line = run.stdout.split(separator: "\n").first { $0.hasPrefix(id + " ") }
      #expect(line?.contains("PASS") == true, "\(id): \(line ?? "missing")")
    }
    #expect(run.stdout.contains("rnn-explain show"))
    #expect(!run.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
  }

  /// On a terminal (a pseudo-terminal from util-linux `script`) PASS is green; with
  /// NO_COLOR set it is not.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func colourOnlyOnATerminalAndNeverWithNoColor() throws {
    let coloured = try onTerminal(Run.binary.path)
    #expect(coloured.contains("\u{1B}[32mPASS\u{1B}[0m"))
    let plain = try onTerminal(Run.binary.path, environment: ["NO_COLOR": "1"])
    #expect(plain.contains("PASS") && !plain.contains("\u{1B}["))
  }

  /// Progress goes to standard error only on a terminal: a pseudo-terminal shows a line as
  /// each run ends (2 derivations × 3 sizes × 1 seed, in whatever order the cores finish them),
  /// a pipe gets nothing.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func progressOnlyOnATerminal() throws {
    let terminal = try onTerminal("\(Run.binary.path) check softmax rnn-step --seeds 1 > /dev/null")
    for n in 1...6 { #expect(terminal.contains("check: \(n) of 6 runs (")) }
    #expect(terminal.contains("runs (softmax)") && terminal.contains("runs (rnn-step)"))
    let piped = try Run(["check", "softmax", "rnn-step", "--seeds", "1"])
    #expect(piped.code == 0)
    #expect(piped.stderr.isEmpty)
  }

  @Test func listJSONHasIdTitleSource() throws {
    let run = try Run(["list", "--format", "json"])
    #expect(run.code == 0)
    let items = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: String]])
    #expect(items.first?["id"] == "softmax")
    #expect(items.allSatisfy { Set($0.keys) == ["id", "title", "source"] })
  }

  @Test func showSoftmaxPrintsEveryStepWithin100Columns() throws {
    let run = try Run(["show", "softmax"], environment: ["NO_COLOR": "1"])
    #expect(run.code == 0)
    for fragment in [
      "ŷ =", "∂ŷ/∂z (hand)", "∂ŷ/∂z (dual)", "∂ŷ/∂z (finite differences)",
      "relative error per entry", "PASS",
    ] {
      #expect(run.stdout.contains(fragment), "missing \(fragment)")
    }
    let wide = run.stdout.split(separator: "\n").filter { $0.count > 100 }
    #expect(wide.isEmpty, "\(wide)")
  }

  @Test func showIsDeterministicAndJSONParses() throws {
    let a = try Run(["show", "softmax-cross-entropy", "--seed", "7", "--format", "json"])
    let b = try Run(["show", "softmax-cross-entropy", "--seed=7", "--format=json"])
    #expect(a.code == 0 && a.stdout == b.stdout)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
    #expect(object["passed"] as? Bool == true)
    #expect(object["seed"] as? Int == 7)
  }

  @Test func showMarkdownHasMath() throws {
    let run = try Run(["show", "activations", "--format", "markdown"])
    #expect(run.code == 0)
    #expect(run.stdout.hasPrefix("# activations"))
    #expect(run.stdout.contains("$$"))
  }

  @Test func checkPassesAndJSONListsEveryCheck() throws {
    let text = try Run(["check", "softmax", "--seeds", "3"])
    #expect(text.code == 0)
    #expect(text.stdout.contains("PASS"))
    let json = try Run(["check", "softmax", "activations", "--seeds", "2", "--format", "json"])
    #expect(json.code == 0)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["passed"] as? Bool == true)
    let derivations = try #require(object["derivations"] as? [[String: Any]])
    #expect(derivations.map { $0["id"] as? String } == ["softmax", "activations"])
    let checks = try #require(derivations.first?["checks"] as? [[String: Any]])
    // softmax: its Jacobian and its vector–Jacobian product against 3 oracles, 2 identities.
    #expect(checks.count == 2 * Int(3) * 8, "2 seeds × 3 sizes × 8 checks")
    let errors = try #require(derivations.first?["max_error"] as? [String: Double])
    #expect((errors["dual"] ?? 1) <= 1e-12)
    #expect((errors["tape"] ?? 1) <= 1e-12)
    #expect((errors["finite-difference"] ?? 1) <= 1e-7)
  }

  /// `diagnose` prints the sweep (12 steps) and a diagnosis; its JSON has the same rows.
  @Test func diagnoseSweepsTwelveStepsAndClassifies() throws {
    let run = try Run(["diagnose", "bptt-recursive", "--parameter", "b", "--entry", "2"])
    #expect(run.code == 0 && run.stderr.isEmpty)
    #expect(run.stdout.split(separator: "\n").filter { $0.hasPrefix("1.0e-") }.count == 12)
    #expect(run.stdout.contains("diagnosis: truncation/rounding"))
    let json = try Run(["diagnose", "rnn-step", "--precision", "float", "--format", "json"])
    #expect(json.stdout.contains("\"precision\": \"float\""))
    #expect(json.stdout.components(separatedBy: "\"error_central\"").count == 13)
    // A failing finite-difference check says why, in one line under its summary.
    let mistake = try Run(["mistakes", "rnn-dW-sign"])
    #expect(mistake.stdout.contains("FD ∂E/∂W [3, 3]: wrong derivation — "))
  }

  @Test func benchTimesEveryModel() throws {
    let run = try Run(["bench", "--dims", "2,3,2", "--steps", "2", "--quick"])
    #expect(run.code == 0)
    let lines = run.stdout.split(separator: "\n")
    for model in ["rnn", "rnn-concat", "lstm", "gru"] {
      for figure in ["forward", "loss-and-gradients"] {
        #expect(lines.contains { $0.hasPrefix("\(model)-\(figure) ") }, "\(model)-\(figure)")
      }
    }
  }

  /// `bench NAME…` times only the figures whose names start with a NAME.
  @Test func benchTimesTheNamedFiguresOnly() throws {
    let run = try Run(["bench", "lstm", "echo", "--dims", "2,3,2", "--steps", "2", "--quick"])
    #expect(run.code == 0)
    // The table's rows: from the line after its NAME header to the blank line after it.
    let names = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
      .drop { !$0.hasPrefix("NAME ") }.dropFirst().prefix { !$0.isEmpty }
      .map { String($0.prefix { $0 != " " }) }
    #expect(names == ["lstm-forward", "lstm-loss-and-gradients", "echo-train"])
  }

  /// `bench --format json` keeps its contract: `machine`, and per figure `name`, `T`, `D`,
  /// `H`, `K`, `runs`, `median_seconds`.
  @Test func benchJSONKeepsItsContract() throws {
    let run = try Run(["bench", "--dims", "2,3,2", "--steps", "2", "--quick", "--format", "json"])
    #expect(run.code == 0)
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    #expect(json["machine"] is String)
    let results = try #require(json["results"] as? [[String: Any]])
    let names = results.compactMap { $0["name"] as? String }
    for name in [
      "rnn-forward", "rnn-loss-and-gradients", "lstm-forward", "lstm-loss-and-gradients",
      "gru-forward", "gru-loss-and-gradients", "bptt-recursive", "bptt-jacobian-product",
      "check-all", "echo-train",
    ] {
      #expect(names.contains(name), "\(name)")
    }
    for r in results {
      #expect(Set(r.keys) == ["name", "T", "D", "H", "K", "runs", "median_seconds"])
      #expect((r["runs"] as? Int) == 1)
    }
    let steps = results.filter { ($0["name"] as? String) == "bptt-recursive" }.compactMap {
      $0["T"] as? Int
    }
    #expect(steps == [10, 20, 40, 80, 160])
  }

  @Test func helpAgreesAcrossSpellings() throws {
    let help = try Run(["help"])
    #expect(try Run(["--help"]).stdout == help.stdout)
    #expect(try Run(["-h"]).stdout == help.stdout)
    for section in ["OVERVIEW:", "USAGE:", "OPTIONS:", "COMMANDS:"] {
      #expect(help.stdout.contains(section))
    }
    let show = try Run(["help", "show"])
    #expect(try Run(["show", "--help"]).stdout == show.stdout)
    #expect(show.stdout.contains("--dims"))
    #expect(try Run(["--version"]).stdout.hasPrefix("rnn-explain "))
  }

  @Test(arguments: [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["show", "no-such-id"], "unknown derivation 'no-such-id'"),
    (["show"], "show needs a derivation id"),
    (["show", "softmax", "--dims", "3,x"], "--dims"),
    (["show", "softmax", "--dims", "0,4,2"], "--dims"),
    (["show", "softmax", "--dims", "3,4"], "--dims"),
    (["show", "softmax", "--dims", "3,65,2"], "--dims"),
    (["show", "softmax", "--seed", "-1"], "--seed"),
    (["show", "softmax", "--seed", "abc"], "--seed"),
    (["show", "softmax", "--steps", "0"], "--steps"),
    (["show", "softmax", "--steps", "65"], "--steps"),
    (["show", "softmax", "--steps"], "--steps needs a value"),
    (["show", "softmax", "--format", "xml"], "--format"),
    (["check", "--seeds", "0"], "--seeds"),
    (["check", "--seeds", "1001"], "--seeds"),
    (["check", "--bogus"], "unknown option '--bogus'"),
    (["check", "nope"], "unknown derivation 'nope'"),
    (["list", "extra"], "unexpected argument"),
    (["help", "nope"], "unknown command 'nope'"),
    (["bench", "--repeats", "0"], "--repeats"),
    (["bench", "--dims", "2,3,257"], "--dims"),
    (["bench", "--steps", "1001"], "--steps"),
    (["bench", "extra"], "no figure's name starts with 'extra'; the names are rnn-forward, "),
    (["diagnose"], "diagnose needs a derivation id"),
    (["diagnose", "rnn-step", "--precision", "half"], "--precision"),
    (["diagnose", "rnn-step", "--parameter", "Q"], "--parameter expects one of"),
    (["diagnose", "rnn-step", "--entry", "-1"], "--entry"),
    (["diagnose", "rnn-step", "--entry", "1,x"], "--entry"),
    (["diagnose", "bptt-recursive", "--parameter", "W", "--entry", "5"], "--entry expects R,C"),
    (["diagnose", "bptt-recursive", "--parameter", "b", "--entry", "5,0"], "--entry expects R in"),
    (["diagnose", "bptt-recursive", "--parameter", "W", "--entry", "0,5"], "--entry expects R,C"),
  ])
  func badUsageExits64(arguments: [String], mentions: String) throws {
    try expectUsageError(arguments, mentions: mentions)
  }
}
