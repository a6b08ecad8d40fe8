import Foundation
import Testing

/// SplitMix64, so that every run tries the same cases.
private struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Asserts the error contract of the README: exited (no signal) with `code`, nothing on
/// stdout, and on stderr either the usage error's three lines (64) or one `Error:` line, short
/// and with no control character but the newline that ends each line.
private func expectError(
  _ run: Run, code: Int32, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(!run.signalled, "\(what): killed by a signal", sourceLocation: sourceLocation)
  #expect(
    run.code == code, "\(what): exit \(run.code), \(run.stderr)", sourceLocation: sourceLocation)
  #expect(run.stdout.isEmpty, "\(what): printed to stdout", sourceLocation: sourceLocation)
  let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
  let shape =
    code == 64
    ? lines.count == 4 && lines[1].hasPrefix("Usage: rnn-explain")
      && lines[2].hasPrefix("See 'rnn-explain help")
    : lines.count == 2
  #expect(
    shape && lines[0].hasPrefix("Error: ") && lines.last?.isEmpty == true,
    "\(what): \(run.stderr.debugDescription)", sourceLocation: sourceLocation)
  let hidden: Set<Unicode.GeneralCategory> = [
    .control, .format, .lineSeparator, .paragraphSeparator,
  ]
  let shown = run.stderr.unicodeScalars.allSatisfy {
    $0 == "\n" || !hidden.contains($0.properties.generalCategory)
  }
  #expect(shown, "\(what): \(run.stderr.debugDescription)", sourceLocation: sourceLocation)
  #expect(
    run.stderr.count < 1000, "\(what): \(run.stderr.count) characters",
    sourceLocation: sourceLocation)
}

/// Random and malformed input: every run ends with the documented exit code and message shape,
/// never a crash, whatever the arguments, the document or the state of the standard streams.
@Suite struct RobustnessTests {
  static let rnnInput = fixture("rnn.input")

  /// Text an error line must not pass through raw, or must show as it is: control characters,
  /// invisible and direction-changing characters, a separator, a combining mark, an emoji,
  /// quotes and a backslash. (No NUL: an argument is a C string.)
  static let hostile: [String] = [
    "\n", "\r", "\t", "\u{1B}[31m", "\u{1B}]0;title\u{07}", "\u{7F}", "\u{85}",
    "\u{202E}", "\u{200B}", "\u{FEFF}", "\u{2028}", "e\u{301}", "é", "😀", "\\", "'", "\"", " ",
  ]

  /// A random string of `length` pieces, each `x` or, as often, one of `hostile`.
  private static func noise(_ length: Int, _ rng: inout SeededGenerator) -> String {
    var out = ""
    for _ in 0..<length {
      out += Bool.random(using: &rng) ? "x" : hostile.randomElement(using: &rng) ?? "x"
    }
    return out
  }

  /// Words of a command line, valid or not; never `-h`, `--help`, `--version` or `--params`,
  /// which would make a case succeed or read a file.
  private static func word(_ rng: inout SeededGenerator) -> String {
    let words = [
      "list", "show", "check", "grad", "bench", "help", "softmax", "gru-bptt", "nope", "-", "--",
      "-x", "=", "", "--seed", "--dims", "--steps", "--seeds", "--repeats", "--format", "--check",
      "--seed=7", "--dims=2,3,2", "--format=json", "--format=xml", "--steps=0", "7", "-1", "2,3",
      "3,5,4", "0,1,1", "1e999", "18446744073709551616", "json", "markdown", "text", "train",
      "diagnose", "vanishing", "mistakes", "--model", "--model=lstm", "--num-steps=0",
      "--state-size", "--series-length=1", "--epochs", "--learning-rate=-1", "--brief",
      "--precision=half", "--entry=9,9", "--parameter",
    ]
    switch Int.random(in: 0..<10, using: &rng) {
    case 0..<6: return words.randomElement(using: &rng) ?? ""
    case 6..<9: return noise(Int.random(in: 1...12, using: &rng), &rng)
    default:
      let long = noise(Int.random(in: 100...5000, using: &rng), &rng)
      return Bool.random(using: &rng) ? long : "--seed=" + long
    }
  }

  /// Words that make any command line a usage error wherever they stand: an unknown option,
  /// or, after an option that takes a value, a value it rejects.
  static let breakers = [
    "--bogus", "--seed=\n", "--dims=\u{1B}[2J", "--format=x\ny", "--steps=-1", "--\u{202E}",
    "--" + String(repeating: "y", count: 20_000),
  ]

  /// 250 seeded command lines, 50 per case: a command or stray word, up to four random words,
  /// one breaker among them.
  @Test(arguments: 0..<5)
  func randomCommandLinesAreUsageErrors(batch: UInt64) throws {
    var rng = SeededGenerator(state: batch)
    let commands = [
      "list", "show", "check", "diagnose", "grad", "mistakes", "train", "bench", "vanishing",
      "help",
    ]
    for _ in 0..<50 {
      let first =
        Int.random(in: 0..<4, using: &rng) == 0
        ? Self.word(&rng) : commands.randomElement(using: &rng)
      var rest = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Self.word(&rng) }
      rest.insert(
        Self.breakers.randomElement(using: &rng) ?? "--bogus",
        at: Int.random(in: 0...rest.count, using: &rng))
      let arguments = [first ?? "list"] + rest
      expectError(try Run(arguments), code: 64, String("\(arguments)".prefix(300)))
    }
  }

  /// Documents that are not a valid `grad` input: each must exit 65.
  static let documents: [(name: String, bytes: [UInt8])] = {
    func text(_ name: String, _ s: String) -> (String, [UInt8]) { (name, Array(s.utf8)) }
    func inModel(_ bytes: [UInt8]) -> [UInt8] {
      Array(#"{"model": ""#.utf8) + bytes + Array(#""}"#.utf8)
    }
    let deep = String(repeating: "[", count: 100_000)
    let longArray =
      #"{"model": "rnn", "inputs": ["#
      + Array(repeating: "0", count: 200_000).joined(separator: ",")
      + "]}"
    let manyKeys =
      "{" + (0..<20_000).map { #""k\#($0)": 0, "# }.joined() + #""k19999\n": 1, "k19999\n": 2}"#
    return [
      text("empty", ""), text("blank", " \n\t\r\n"), text("null", "null"), text("array", "[]"),
      text("huge number", "1e999"), text("string", #""text""#), text("open brace", "{"),
      text("truncated key", #"{"model"#), text("truncated value", #"{"model": "#),
      text("deep arrays", deep), text("deep objects", String(repeating: #"{"a": "#, count: 10_000)),
      text("long array", longArray), text("many keys, a duplicate", manyKeys),
      text("model a number", #"{"model": 1}"#), text("model an array", #"{"model": ["rnn"]}"#),
      text("model null", #"{"model": null}"#),
      text("model with escapes", #"{"model": "rnn\n\u001b[2J\u202e"}"#),
      text("model raw newline", "{\"model\": \"rnn\nx\"}"),
      text("model 2 MB", #"{"model": ""# + String(repeating: "a", count: 2_000_000) + #""}"#),
      text("key with escapes", #"{"a\nb\u001b[31m": 1}"#),
      text("forget bias 1e999", #"{"model": "lstm", "forget_bias": 1e999}"#),
      text("forget bias -1e999", #"{"model": "lstm", "forget_bias": -1e999}"#),
      text("inputs a string", #"{"model": "rnn", "inputs": "x", "params": 5}"#),
      text("unpaired surrogate", #"{"model": "\ud800"}"#),
      text("NUL escape", #"{"model": "\u0000"}"#), text("bad escape", #"{"model": "\q"}"#),
      text("NUL byte", "{\"model\": \"rnn\"}\u{0}"), text("ESC byte", "\u{1B}[2J{}"),
      text("BOM twice", "\u{FEFF}\u{FEFF}{}"),
      ("lone continuation byte", inModel([0x80])), ("0xFF", [0x7B, 0xFF, 0x7D]),
      ("truncated sequence", Array(#"{"model": "é"#.utf8.dropLast())),
      ("overlong slash", inModel([0xC0, 0xAF])),
      ("encoded surrogate", inModel([0xED, 0xA0, 0x80])),
    ]
  }()

  @Test func malformedDocumentsAreBadData() throws {
    for document in Self.documents {
      let run = try Run(["grad", "--params", "-"], input: Data(document.bytes))
      expectError(run, code: 65, document.name)
    }
  }

  /// The same documents as a `--compare` file: bad data too, said of the compare file.
  @Test func malformedCompareDocumentsAreBadData() throws {
    for document in Self.documents {
      let run = try Run(
        ["grad", "--params", Self.rnnInput, "--compare", "-"], input: Data(document.bytes))
      expectError(run, code: 65, document.name)
      #expect(
        run.stderr.hasPrefix("Error: compare: ") || run.stderr.hasPrefix("Error: --compare: "),
        "\(document.name): \(run.stderr)")
    }
  }

  /// The `rnn` fixture broken 60 seeded ways, each of which no valid document survives: cut
  /// short, a byte that is not UTF-8 inserted, or a control character inserted (JSON allows
  /// none in a string, and none is a token outside one).
  @Test func brokenFixturesAreBadData() throws {
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: Self.rnnInput)))
    let end = try #require(original.lastIndex(of: UInt8(ascii: "}")))
    var rng = SeededGenerator(state: 74)
    for k in 0..<60 {
      var bytes = original
      let at = Int.random(in: 0..<end, using: &rng)
      let how: String
      switch k % 3 {
      case 0:
        bytes = Array(bytes[..<at])
        how = "cut at \(at)"
      case 1:
        let byte = [0x80, 0xBF, 0xC3, 0xF8, 0xFE, 0xFF].randomElement(using: &rng) ?? 0xFF
        bytes.insert(UInt8(byte), at: at)
        how = "byte \(byte) at \(at)"
      default:
        let byte = [0x00, 0x01, 0x07, 0x08, 0x0B, 0x0C, 0x1B, 0x1F].randomElement(using: &rng) ?? 0
        bytes.insert(UInt8(byte), at: at)
        how = "control \(byte) at \(at)"
      }
      let run = try Run(["grad", "--params", "-"], input: Data(bytes))
      expectError(run, code: 65, how)
    }
  }

  /// The `rnn` fixture with hostile text or values in the optional fields (`sequence_length`,
  /// `truncate`, a target): each is bad data, said in one line with the text escaped.
  @Test func hostileOptionsAreBadData() throws {
    let original = try String(contentsOfFile: Self.rnnInput, encoding: .utf8)
    let brace = try #require(original.lastIndex(of: "}"))
    func with(_ field: String) -> String {
      String(original[..<brace]) + ", " + field + "}"
    }
    var documents: [String] = []
    for text in Self.hostile {
      let escaped = text.unicodeScalars.map {
        $0.value < 0x20 || $0 == "\\" || $0 == "\""
          ? String(format: "\\u%04x", $0.value) : String($0)
      }.joined()
      documents += [
        with(#""truncate": {"style": "\#(escaped)", "steps": 2}"#),
        with(#""truncate": {"style": "tf", "steps": 2, "\#(escaped)": 1}"#),
        with(#""sequence_length": "\#(escaped)""#),
      ]
    }
    documents += [
      with(#""sequence_length": 1e999"#), with(#""sequence_length": -0"#),
      with(#""sequence_length": 18446744073709551616"#),
      with(#""truncate": {"style": "true", "steps": 1e300}"#),
      with(#""truncate": {"style": "true", "steps": null}"#), with(#""truncate": []"#),
      with(#""truncate": null"#), with(#""sequence_length": null"#),
    ]
    for document in documents {
      let run = try Run(["grad", "--params", "-"], stdin: document)
      expectError(run, code: 65, String(document.suffix(80)))
    }
  }

  /// A standard stream closed, full, or a directory: exit 74, one line if stderr works.
  @Test(arguments: [
    (["list"], ">&-", "cannot write standard output (Bad file descriptor)"),
    (["check", "softmax", "--seeds", "1"], ">&-", "cannot write standard output"),
    (["grad", "--params", fixture("rnn.input")], ">&-", "cannot write standard output"),
    (["grad", "--params", "-"], "<&-", "cannot read standard input (Bad file descriptor)"),
    (["grad", "--params", "-"], "< /", "cannot read standard input (Is a directory)"),
    (
      ["grad", "--params", fixture("rnn.input"), "--compare", "-"], "<&-",
      "--compare: cannot read standard input (Bad file descriptor)"
    ),
  ])
  func unusableStreamIsAnIOError(arguments: [String], redirect: String, mentions: String) throws {
    let run = try Run(arguments, input: Data(), redirect: redirect)
    expectError(run, code: 74, "\(arguments) \(redirect)")
    #expect(run.stderr.contains(mentions), "\(run.stderr)")
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
  func fullStandardOutputIsAnIOError() throws {
    let run = try Run(["list"], input: Data(), redirect: "> /dev/full")
    expectError(run, code: 74, "list > /dev/full")
    #expect(run.stderr.contains("(No space left on device)"), "\(run.stderr)")
  }

  /// Standard error gone: the message cannot be told, the status still says so; standard
  /// output is not touched when there is nothing to print on it.
  @Test func unusableStandardErrorIsAnIOError() throws {
    let full = FileManager.default.fileExists(atPath: "/dev/full")
    for redirect in ["2>&-"] + (full ? ["2> /dev/full"] : []) {
      let run = try Run(["frobnicate"], input: Data(), redirect: redirect)
      #expect(!run.signalled && run.code == 74 && run.stdout.isEmpty, "\(redirect): \(run.code)")
    }
    let quiet = try Run(["list"], input: Data(), redirect: "2>&-")
    #expect(quiet.code == 0 && quiet.stdout.hasPrefix("ID "))
    expectError(try Run(["frobnicate"], input: Data(), redirect: ">&-"), code: 64, "stdout closed")
  }

  /// A reader that went away: no SIGPIPE death, no message, exit 74.
  @Test func closedPipeExitsSilently() throws {
    var ends: [Int32] = [0, 0]
    try #require(pipe(&ends) == 0)
    close(ends[0])
    let writer = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
    let run = try Run(["list"], input: Data(), output: writer)
    #expect(!run.signalled, "killed by a signal")
    #expect(run.code == 74)
    #expect(run.stderr.isEmpty, "\(run.stderr)")
  }

  // MARK: Files and echoed text

  @Test func emptyDocumentIsBadDataWhereverItComesFrom() throws {
    let empty = FileManager.default.temporaryDirectory
      .appendingPathComponent("rnn-explain-empty-\(UUID().uuidString).json")
    try Data().write(to: empty)
    defer { try? FileManager.default.removeItem(at: empty) }
    let runs = [
      try Run(["grad", "--params", "/dev/null"]), try Run(["grad", "--params", empty.path]),
      try Run(["grad", "--params", "-"]),
    ]
    for run in runs { expectError(run, code: 65, "empty") }
    #expect(runs.allSatisfy { $0.stderr == runs[0].stderr })
    #expect(runs[0].stderr == "Error: top level: expected a JSON object, found an empty document\n")
  }

  @Test func directoryIsNotAMissingFile() throws {
    let run = try Run(["grad", "--params", "/"])
    expectError(run, code: 66, "directory")
    #expect(run.stderr == "Error: --params: '/' is a directory\n")
  }

  @Test func echoedTextIsEscapedAndShortened() throws {
    let argument = try Run(["show", "a\nb\u{1B}[31m\\"])
    #expect(argument.stderr.hasPrefix(#"Error: unknown derivation 'a\nb\u{1b}[31m\\' "#))

    let path = try Run(["grad", "--params", "/nonexistent/\u{1B}]0;x\u{07}\n.json"])
    expectError(path, code: 66, "path")
    #expect(
      path.stderr == #"Error: --params: no such file '/nonexistent/\u{1b}]0;x\u{7}\n.json'"# + "\n")

    let huge = String(repeating: "a", count: 20_000_000)
    let string = try Run(["grad", "--params", "-"], input: Data(#"{"model": "\#(huge)"}"#.utf8))
    expectError(string, code: 65, "20 MB string")
    let shown = #""\#(String(repeating: "a", count: 40))…" (20000000 characters)"#
    #expect(
      string.stderr == "Error: model: expected one of rnn, rnn-concat, lstm, gru, found \(shown)\n")
  }
}
