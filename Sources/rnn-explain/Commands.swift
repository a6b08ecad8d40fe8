import Foundation
import RNNDerivations

/// What one invocation prints and returns; written only once it is complete.
struct Output {
  var stdout = ""
  var stderr = ""
  var code: Int32 = 0
}

/// Exit codes, from BSD's sysexits.h where one fits.
enum ExitCode {
  static let ok: Int32 = 0
  static let checkFailed: Int32 = 1
  static let usage: Int32 = 64
  static let dataError: Int32 = 65
  static let noInput: Int32 = 66
  static let cannotCreate: Int32 = 73
  static let ioError: Int32 = 74

  /// Every code and what it means, as the top-level help lists them.
  static let meanings: [(code: Int32, meaning: String)] = [
    (ok, "Success."),
    (checkFailed, "A check failed, or a --compare gradient differs."),
    (usage, "Usage error: unknown command, option or id, or a bad option value."),
    (dataError, "Bad input data: the --params or --compare JSON is malformed or invalid."),
    (noInput, "The --params or --compare file is missing, unreadable or a directory."),
    (cannotCreate, "The --svg file cannot be created (no such directory, no permission)."),
    (ioError, "I/O error: a standard stream, or the --svg file, is closed, full or unreadable."),
  ]
}

struct CLI {
  var color: Bool

  func run(_ words: [String]) -> Output {
    do {
      return try dispatch(words)
    } catch {
      let hint = error.command.map { "rnn-explain help \($0.rawValue)" } ?? "rnn-explain help"
      return Output(
        stderr: "Error: \(error.message)\nUsage: \(Help.usage(error.command))\nSee '\(hint)'.\n",
        code: ExitCode.usage)
    }
  }

  func dispatch(_ words: [String]) throws(UsageError) -> Output {
    guard let first = words.first else { return overview() }
    if Help.helpFlags.contains(first) { return Output(stdout: Help.text(nil)) }
    if first == Help.versionFlag { return Output(stdout: Help.version + "\n") }
    guard let command = Command(rawValue: first) else {
      let what = first.hasPrefix("-") ? "unknown option" : "unknown command"
      throw UsageError(message: "\(what) \(quoted(first))", command: nil)
    }
    let rest = Array(words.dropFirst())
    if command != .help, rest.contains(where: { Help.helpFlags.contains($0) }) {
      return Output(stdout: Help.text(command))
    }
    if command == .help {
      guard rest.count <= 1 else {
        throw UsageError(message: "help takes at most one command", command: .help)
      }
      guard let name = rest.first else { return Output(stdout: Help.text(nil)) }
      guard let topic = Command(rawValue: name) else {
        throw UsageError(message: "unknown command \(quoted(name))", command: .help)
      }
      return Output(stdout: Help.text(topic))
    }
    let args = try Arguments(command: command, rest)
    switch command {
    case .list: return try list(args)
    case .show: return try show(args)
    case .check: return try check(args)
    case .diagnose: return try diagnose(args)
    case .grad: return try grad(args)
    case .mistakes: return try mistakes(args)
    case .train: return try train(args)
    case .bench:
      // Each NAME must start at least one figure's name (`lstm`, `rnn-forward`, `echo`).
      if let unknown = args.positionals.first(where: { name in
        !Bench.names.contains { $0.hasPrefix(name) }
      }) {
        throw UsageError(
          message: "no figure's name starts with \(quoted(unknown)); the names are "
            + Bench.names.joined(separator: ", "), command: .bench)
      }
      return Output(stdout: Bench.run(args))
    case .vanishing: return try vanishing(args)
    case .help: return Output(stdout: Help.text(nil))
    }
  }

  /// The trace of the one derivation id `command` was given, at the config of its options.
  func trace(_ args: Arguments, _ command: Command) throws(UsageError) -> Trace {
    guard args.positionals.count == 1 else {
      throw UsageError(
        message: args.positionals.isEmpty
          ? "\(command.rawValue) needs a derivation id (see 'rnn-explain list')"
          : "\(command.rawValue) takes one id, found \(args.positionals.count)", command: command)
    }
    return try derivations(args.positionals, command)[0].trace(
      Config(seed: args.seed, dims: args.dims, steps: args.steps, scale: args.scale))
  }

  func derivations(_ ids: [String], _ command: Command) throws(UsageError) -> [Derivation] {
    var out: [Derivation] = []
    for id in ids {
      guard let d = Catalog.derivation(id) else {
        throw UsageError(
          message: "unknown derivation \(quoted(id)) (see 'rnn-explain list')", command: command)
      }
      out.append(d)
    }
    return out
  }

  func overview() -> Output {
    let text = TextRenderer(color: color)
    let config = Config()
    let (sizes, seeds) = (Catalog.checkConfigs.count, Arguments.defaultSeeds)
    var out = "rnn-explain — hand-derived gradients of recurrent networks, checked by oracles\n\n"
    out += CatalogueTable.header(withCheck: true)
    var passed = true
    for d in Catalog.all {
      let ok = d.trace(config).passed
      passed = passed && ok
      out += CatalogueTable.row(d, verdict: text.verdict(ok))
    }
    out += """

      Each derivation ran once (seed \(config.seed), \(config.dims), T=\(config.steps)): \
      its hand-derived backward pass
      against dual numbers, a reverse-mode tape (within \(sci(Tolerances.exact)) of each \
      gradient's largest entry)
      and finite differences (within \(sci(Tolerances.finiteDifference)) and their own error).

        rnn-explain show softmax    a derivation step by step (any ID above)
        rnn-explain check           every derivation at \(sizes) sizes × \(seeds) seeds
        rnn-explain grad --params F gradients for your own model and data
        rnn-explain help            every command and option

      """
    return Output(stdout: out, code: passed ? ExitCode.ok : ExitCode.checkFailed)
  }

  func list(_ args: Arguments) throws(UsageError) -> Output {
    guard args.positionals.isEmpty else {
      throw UsageError(
        message: "unexpected argument \(quoted(args.positionals[0]))", command: .list)
    }
    if args.format == "json" {
      let items = Catalog.all.map { d in
        JSON.object([
          ("id", .string(d.id)), ("title", .string(d.title)), ("source", .string(d.source)),
        ])
      }
      return Output(stdout: JSON.array(items).serialized() + "\n")
    }
    var out = CatalogueTable.header(withCheck: false)
    for d in Catalog.all { out += CatalogueTable.row(d) }
    out += "\nSOURCES\n"
    for source in Catalog.sources { out += "  \(source.number)  \(source.title)\n" }
    return Output(stdout: out)
  }

  func show(_ args: Arguments) throws(UsageError) -> Output {
    guard !args.brief || args.format == "text" else {
      throw UsageError(message: "--brief is for --format text", command: .show)
    }
    let trace = try trace(args, .show)
    let text: String =
      switch args.format {
      case "json": JSONRenderer.render(trace)
      case "markdown": MarkdownRenderer.render(trace)
      default: TextRenderer(color: color, brief: args.brief).render(trace)
      }
    return Output(stdout: text, code: trace.passed ? ExitCode.ok : ExitCode.checkFailed)
  }

  func check(_ args: Arguments) throws(UsageError) -> Output {
    let chosen = args.positionals.isEmpty ? Catalog.all : try derivations(args.positionals, .check)
    let sweep = args.sweep.map { (count: $0, seed: args.seed) }
    let runs =
      sweep.map { Catalog.sweepConfigs($0.count, seed: $0.seed) }
      ?? CheckSummary.runs(Catalog.checkConfigs, seeds: args.seeds)
    let progress = Progress()
    let summaries = CheckSummary.all(chosen.map { ($0, runs) }) { derivation, count, total in
      progress.report("check: \(count) of \(total) runs (\(derivation.id))")
    }
    progress.finish()
    let passed = summaries.allSatisfy(\.passed)
    let text: String =
      switch args.format {
      case "json": CheckReport.json(summaries, seeds: args.seeds, sweep: sweep).serialized() + "\n"
      case "markdown": CheckReport.markdown(summaries, seeds: args.seeds)
      default:
        CheckReport.text(
          summaries, seeds: args.seeds, sweep: sweep, renderer: TextRenderer(color: color))
      }
    return Output(stdout: text, code: passed ? ExitCode.ok : ExitCode.checkFailed)
  }

  /// One finite-difference check's step sweep and its diagnosis: exit 1 when the check fails.
  ///
  /// The check is `--parameter`'s, else the first that fails (the one worth explaining), else
  /// the first; the entry is `--entry`, else the check's worst.
  func diagnose(_ args: Arguments) throws(UsageError) -> Output {
    let trace = try trace(args, .diagnose)
    let candidates = trace.checks.filter { $0.sweep != nil }
    let chosen: GradientCheck?
    if let name = args.parameter {
      chosen = candidates.first { $0.parameter == name }
      guard chosen != nil else {
        let names = candidates.map(\.parameter).joined(separator: ", ")
        throw UsageError(
          message:
            "--parameter expects one of \(names) for \(trace.id), found \(quoted(name))",
          command: .diagnose)
      }
    } else {
      chosen = candidates.first { !$0.passed } ?? candidates.first
    }
    guard let check = chosen, let sweep = check.sweep else {
      throw UsageError(
        message: "\(trace.id) has no finite-difference check to diagnose", command: .diagnose)
    }
    // A failing check's worst entry is the furthest over the model; a passing check's, the
    // entry with the largest error as a fraction of the largest entry (its worst relative
    // error is usually some tiny entry's).
    var k =
      check.passed
      ? check.analytic.indices.max { check.scaledError($0) < check.scaledError($1) } ?? 0
      : check.worstIndex
    if let entry = args.entry {
      // A vector (or the fast mode's directions) takes R; a matrix R,C.
      let flat = check.projected || check.shape.isVector
      let (rows, cols) = flat ? (check.analytic.count, 1) : (check.shape.rows, check.shape.cols)
      let (r, c) = (entry[0], flat ? 0 : entry[entry.count - 1])
      guard entry.count == (flat ? 1 : 2), r < rows, c < cols else {
        let expected = flat ? "R in 0..<\(rows)" : "R,C in 0..<\(rows), 0..<\(cols)"
        throw UsageError(
          message: "--entry expects \(expected) for \(check.quantity), found "
            + quoted(entry.map(String.init).joined(separator: ",")),
          command: .diagnose)
      }
      k = r * cols + c
    }
    let result = sweep(k, args.precision)
    let text =
      args.format == "json"
      ? SweepReport.json(check, result).serialized() + "\n"
      : "\(trace.id) — \(trace.header)\n" + SweepReport.text(check, result)
    return Output(stdout: text, code: check.passed ? ExitCode.ok : ExitCode.checkFailed)
  }

  /// The catalogue of wrong derivations, each run and checked: exit 1 if any goes uncaught.
  func mistakes(_ args: Arguments) throws(UsageError) -> Output {
    guard args.positionals.count <= 1 else {
      throw UsageError(
        message: "mistakes takes at most one id, found \(args.positionals.count)",
        command: .mistakes)
    }
    var chosen = Mistakes.all
    if let id = args.positionals.first {
      guard let mistake = Mistakes.mistake(id) else {
        throw UsageError(
          message: "unknown mistake \(quoted(id)) (see 'rnn-explain mistakes')", command: .mistakes)
      }
      chosen = [mistake]
    }
    let progress = Progress()
    let runs = chosen.enumerated().map { n, mistake in
      progress.report("mistakes: \(mistake.id) (\(n + 1) of \(chosen.count))")
      return (mistake, mistake.verdict())
    }
    progress.finish()
    let caught = runs.allSatisfy { $0.1.caught }
    if args.format == "json" {
      let items = runs.map { mistake, verdict in
        JSON.object([
          ("id", .string(mistake.id)), ("model", .string("\(mistake.model)")),
          ("summary", .string(mistake.summary)), ("caught", .bool(verdict.caught)),
          ("caught_by", .array(verdict.caughtBy.map(JSON.string))),
          ("parameters", .array(verdict.named.map(JSON.string))),
        ])
      }
      return Output(
        stdout: JSON.array(items).serialized() + "\n",
        code: caught ? ExitCode.ok : ExitCode.checkFailed)
    }
    let renderer = TextRenderer(color: color)
    var out = ""
    if args.positionals.isEmpty {
      out += pad("ID", 36) + pad("MODEL", 19) + pad("CAUGHT BY", 30) + "PARAMETERS NAMED\n"
    }
    for (mistake, verdict) in runs {
      let by = verdict.caught ? verdict.caughtBy.joined(separator: ", ") : "NOT CAUGHT"
      out += pad(mistake.id, 36) + pad("\(mistake.model)", 19) + pad(by, 30)
      out += verdict.named.joined(separator: ", ") + "\n"
      out += "    " + mistake.summary + "\n"
      if args.positionals.count == 1 {
        for check in verdict.failing { out += renderer.render(check) }
      }
    }
    out += "\n\(renderer.verdict(caught)): \(runs.filter { $0.1.caught }.count) of \(runs.count) "
    out += "mistakes caught, each run at \(Mistakes.config.dims), T=\(Mistakes.config.steps), "
    out += "seed \(Mistakes.config.seed) against the real forward pass.\n"
    return Output(stdout: out, code: caught ? ExitCode.ok : ExitCode.checkFailed)
  }

  func grad(_ args: Arguments) throws(UsageError) -> Output {
    guard args.positionals.isEmpty else {
      throw UsageError(
        message: "unexpected argument \(quoted(args.positionals[0]))", command: .grad)
    }
    guard let path = args.params else {
      throw UsageError(
        message: "grad needs --params FILE (or - for standard input)", command: .grad)
    }
    if let compare = args.compare {
      guard !args.check else {
        throw UsageError(message: "--compare and --check cannot be combined", command: .grad)
      }
      guard compare != "-" || path != "-" else {
        throw UsageError(
          message: "--params and --compare cannot both read standard input", command: .grad)
      }
    }
    let progress = Progress()
    defer { progress.finish() }
    do {
      let input = try GradInput.parse(try read(path, for: .params))
      let result = try GradResult(input, check: args.check) { progress.report("grad: \($0)") }
      if let compare = args.compare {
        let theirs = try TheirGradients.parse(try read(compare, for: .compare), for: input)
        let comparison = GradComparison(result, theirs: theirs)
        let text =
          args.format == "text"
          ? comparison.text(renderer: TextRenderer(color: color))
          : comparison.json.serialized() + "\n"
        return Output(stdout: text, code: comparison.matches ? ExitCode.ok : ExitCode.checkFailed)
      }
      let text =
        args.format == "text"
        ? result.text(renderer: TextRenderer(color: color)) : result.json.serialized() + "\n"
      return Output(stdout: text, code: result.passed ? ExitCode.ok : ExitCode.checkFailed)
    } catch {
      return Output(stderr: "Error: \(error.message)\n", code: error.code)
    }
  }

  /// The most characters of a path an error shows: more than of other text, since the file
  /// name at its end is where a typo usually is.
  static let pathLimit = 200

  /// The text of `path` (given with `flag`), or of standard input for `-`.
  ///
  /// A file that is missing, unreadable or a directory exits 66; standard input that cannot be
  /// read (closed, a directory) is an I/O error, 74; bytes that are not UTF-8 are bad data, 65.
  func read(_ path: String, for flag: Flag) throws(InputError) -> String {
    let bytes: [UInt8]
    let name: String
    if path == "-" {
      name = "standard input"
      do {
        bytes = try SystemIO.readAll(STDIN_FILENO)
      } catch {
        throw InputError(
          "\(flag.rawValue): cannot read standard input (\(error.reason))", code: ExitCode.ioError)
      }
    } else {
      name = quoted(path, limit: Self.pathLimit)
      let descriptor = open(path, O_RDONLY)
      guard descriptor >= 0 else {
        let error = SystemError(number: errno)
        throw InputError(
          error.number == ENOENT
            ? "\(flag.rawValue): no such file \(name)"
            : "\(flag.rawValue): cannot open \(name) (\(error.reason))",
          code: ExitCode.noInput)
      }
      // Closed before anything is written: with standard output closed, this file may have
      // been given its descriptor.
      defer { close(descriptor) }
      do {
        bytes = try SystemIO.readAll(descriptor)
      } catch {
        throw InputError(
          error.number == EISDIR
            ? "\(flag.rawValue): \(name) is a directory"
            : "\(flag.rawValue): cannot read \(name) (\(error.reason))",
          code: ExitCode.noInput)
      }
    }
    guard let text = String(bytes: bytes, encoding: .utf8) else {
      throw InputError("\(flag.rawValue): \(name) is not UTF-8 text")
    }
    return text
  }
}

/// The catalogue as a table, one derivation a line: ID, SOURCE, the overview's CHECK, TITLE.
enum CatalogueTable {
  static let idWidth = 26
  static let sourceWidth = 10
  static let checkWidth = 7

  /// The header line; `withCheck` adds the CHECK column of the overview.
  static func header(withCheck: Bool) -> String {
    line("ID", "SOURCE", check: withCheck ? pad("CHECK", checkWidth) : "", "TITLE")
  }

  /// The line of `derivation`; a `verdict` (PASS or FAIL, perhaps coloured) fills CHECK.
  static func row(_ derivation: Derivation, verdict: String? = nil) -> String {
    // Padded by hand: colour codes take no columns, and PASS and FAIL are four letters.
    let check = verdict.map { $0 + String(repeating: " ", count: checkWidth - 4) } ?? ""
    return line(derivation.id, derivation.source, check: check, derivation.title)
  }

  /// One line: ID and SOURCE in their columns, then `check` (already padded), then the title.
  private static func line(_ id: String, _ source: String, check: String, _ title: String)
    -> String
  {
    pad(id, idWidth) + pad(source, sourceWidth) + check + title + "\n"
  }
}
