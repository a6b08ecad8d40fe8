import RNNDerivations

/// A usage error: exit 64 with `Error: …`, the command's usage line and a help hint.
struct UsageError: Error {
  var message: String
  var command: Command?
}

/// Every option flag of any command, as typed on the command line.
enum Flag: String {
  case seed = "--seed"
  case dims = "--dims"
  case steps = "--steps"
  case seeds = "--seeds"
  case repeats = "--repeats"
  case format = "--format"
  case params = "--params"
  case compare = "--compare"
  case check = "--check"
  case brief = "--brief"
  case quick = "--quick"
  case sweep = "--sweep"
  case scale = "--scale"
  case model = "--model"
  case numSteps = "--num-steps"
  case batchSize = "--batch-size"
  case stateSize = "--state-size"
  case epochs = "--epochs"
  case seriesLength = "--series-length"
  case learningRate = "--learning-rate"
  case parameter = "--parameter"
  case entry = "--entry"
  case precision = "--precision"
  case svg = "--svg"
}

/// One option of one command: the parser accepts it, and usage and help print it, from here.
struct OptionSpec {
  /// The flag as typed.
  var flag: Flag
  /// What its value looks like in usage and help (`N`, `D,H,K`), or nil for a switch.
  var valueName: String?
  /// What help prints for it, defaults and ranges included.
  var help: String
  /// Whether the command cannot run without it; usage prints it without brackets.
  var isRequired = false
  /// The only values it accepts, the default first; empty when any value may be given.
  var choices: [String] = []

  /// A switch such as `--check`: present or not, it takes no value.
  var isSwitch: Bool { valueName == nil }

  /// The flag with its value, as usage and help print it: `--seed N`, `--check`.
  var synopsis: String { valueName.map { "\(flag.rawValue) \($0)" } ?? flag.rawValue }

  /// `--model rnn|lstm|gru`, for `vanishing` and `train`.
  static let model = OptionSpec(
    flag: .model, valueName: VanishingModel.allCases.map(\.rawValue).joined(separator: "|"),
    help: "The cell (default: \(VanishingModel.rnn.rawValue)).",
    choices: VanishingModel.allCases.map(\.rawValue))

  /// `--format`, accepting `first` (the default) or any of `others`.
  static func format(_ first: String, _ others: String...) -> OptionSpec {
    let choices = [first] + others
    return OptionSpec(
      flag: .format, valueName: choices.joined(separator: "|"),
      help: "Output format (default: \(first)).", choices: choices)
  }
}

/// The subcommands of `rnn-explain`.
enum Command: String, CaseIterable {
  case list, show, check, diagnose, grad, mistakes, train, bench, vanishing, help

  /// What the command does, in the one line of the top-level help's COMMANDS list.
  var summary: String {
    switch self {
    case .list: "List the derivations."
    case .show: "Print one derivation step by step."
    case .check: "Check derivations over many seeds and sizes."
    case .diagnose: "Why a finite-difference check fails: its error across steps, classified."
    case .grad: "Gradients for your own model and data."
    case .mistakes: "Wrong derivations the checks must catch, and what catches each."
    case .train: "Learn R2RT's echo task with these gradients (use -c release)."
    case .bench: "Time forward + backward passes (use -c release)."
    case .vanishing: "‖∂h_t/∂h_k‖ against the lag: a table, a sparkline, an SVG plot."
    case .help: "Show help."
    }
  }

  /// The operands the usage line shows before the options (`ID`, `[ID...]`), if any.
  var operands: String? {
    switch self {
    case .show, .diagnose: "ID"
    case .check: "[ID...]"
    case .help: "[COMMAND]"
    case .mistakes: "[ID]"
    case .train: "[echo]"
    case .bench: "[NAME...]"
    case .list, .grad, .vanishing: nil
    }
  }

  /// Every option the command accepts, in the order its usage line and help list them.
  var options: [OptionSpec] {
    switch self {
    case .list, .mistakes: [.format("text", "json")]
    case .show:
      configOptions + [
        .format("text", "markdown", "json"),
        OptionSpec(
          flag: .brief, valueName: nil,
          help: "Text only: the steps without their values, one line per checked gradient."),
      ]
    case .diagnose:
      configOptions + [
        OptionSpec(
          flag: .parameter, valueName: "NAME",
          help: "The variable swept (default: the first failing, else first)."),
        OptionSpec(
          flag: .entry, valueName: "R[,C]",
          help: "Its entry, counted from 0 (default: the worst of that check)."),
        OptionSpec(
          flag: .precision, valueName: "double|float",
          help: "Precision of the sweep's forward evaluations (default: double).",
          choices: Precision.allCases.map(\.rawValue)),
        .format("text", "json"),
      ]
    case .check:
      [
        OptionSpec(
          flag: .seeds, valueName: "N",
          help: "Seeds 0..<N per size, 1...\(Limits.seeds) (default: \(Arguments.defaultSeeds))."),
        OptionSpec(
          flag: .sweep, valueName: "N",
          help: "Instead: N random configs, D,H,K,T in 1...64, scale 1, 0.01, 5 "
            + "(1...\(Limits.sweep))."),
        OptionSpec(
          flag: .seed, valueName: "N", help: "Seed of the sweep's configs (default: 0)."),
        .format("text", "markdown", "json"),
      ]
    case .grad:
      [
        OptionSpec(
          flag: .params, valueName: "FILE|-", help: "The model and data as JSON (see README).",
          isRequired: true),
        .format("json", "text"),
        OptionSpec(
          flag: .check, valueName: nil,
          help: "Also run the oracles on this input and report them."),
        OptionSpec(
          flag: .compare, valueName: "FILE|-",
          help: "Instead, judge your own gradients (grad's JSON) against these."),
      ]
    case .train:
      [
        .model,
        OptionSpec(
          flag: .numSteps, valueName: "N",
          help: "Steps per chunk: how far back a gradient reaches, 1...100 (default: 10)."),
        OptionSpec(
          flag: .stateSize, valueName: "H", help: "Hidden size, 1...64 (default: 4)."),
        OptionSpec(
          flag: .batchSize, valueName: "B",
          help: "Rows of the series trained side by side, each carrying its own state, "
            + "1...1000 (default: 200)."),
        OptionSpec(
          flag: .seriesLength, valueName: "L",
          help: "Steps of each epoch's series, a multiple of B × N, up to 10^7 "
            + "(default: 1000000)."),
        OptionSpec(flag: .epochs, valueName: "E", help: "Epochs, 1...100 (default: 1)."),
        OptionSpec(
          flag: .learningRate, valueName: "η",
          help: "Adagrad's learning rate, 0 < η ≤ 10 (default: 0.1)."),
        OptionSpec(
          flag: .seed, valueName: "N",
          help: "Seed of the series and the initial weights (default: 0)."),
        OptionSpec(
          flag: .svg, valueName: "FILE",
          help: "Also write the loss curve as SVG to FILE, with the three baselines."),
        .format("text", "json"),
      ]
    case .bench:
      [
        OptionSpec(
          flag: .dims, valueName: "D,H,K",
          help: "Time the models at these sizes only, each 1...\(maxDimension) "
            + "(default: 32,64,10 and 3,8,2)."),
        OptionSpec(
          flag: .steps, valueName: "T",
          help: "Time steps with --dims, 1...\(maxSteps) (default: 100, and 20 for the small size)."
        ),
        OptionSpec(
          flag: .repeats, valueName: "N",
          help: "Runs per figure; the median is shown (default: \(Arguments.defaultRepeats))."),
        OptionSpec(flag: .quick, valueName: nil, help: "One run per figure (unless --repeats)."),
        OptionSpec(
          flag: .seed, valueName: "N",
          help: "Seed of the random inputs (default: \(Config().seed))."),
        .format("text", "json"),
      ]
    case .vanishing:
      [
        .model,
        OptionSpec(
          flag: .steps, valueName: "T",
          help: "Time steps, the largest lag, 1...\(maxSteps) (default: \(defaultSteps))."),
        OptionSpec(
          flag: .scale, valueName: "S",
          help: "Spectral norm of every recurrent matrix W, 0 < S ≤ \(Int(Arguments.maxScale)) "
            + "(default: 1; 0.5 vanishes, 3 explodes)."),
        OptionSpec(
          flag: .seed, valueName: "N",
          help: "Seed of every random value, 0...2^64−1 (default: \(Config().seed))."),
        OptionSpec(
          flag: .dims, valueName: "D,H,K",
          help: "Input, hidden and class sizes (K does not enter the products), each "
            + "1...\(maxDimension) "
            + "(default: \(defaultDims.flagValue))."),
        OptionSpec(
          flag: .svg, valueName: "FILE",
          help: "Also write the plot as SVG to FILE (log-scale norms and the bound by lag)."),
        .format("text", "json"),
      ]
    case .help: []
    }
  }

  /// What a derivation runs at, as `show` and `diagnose` take it: seed, sizes, steps, scale.
  var configOptions: [OptionSpec] {
    [
      OptionSpec(
        flag: .seed, valueName: "N",
        help: "Seed of every random value, 0...2^64−1 (default: \(Config().seed))."),
      OptionSpec(
        flag: .dims, valueName: "D,H,K",
        help: "Input, hidden and class sizes, each 1...\(maxDimension) "
          + "(default: \(defaultDims.flagValue))."),
      OptionSpec(
        flag: .steps, valueName: "T",
        help: "Time steps, 1...\(maxSteps) (default: \(defaultSteps))."),
      OptionSpec(
        flag: .scale, valueName: "S",
        help: "Scale of the random parameters, 0 < S ≤ \(Int(Arguments.maxScale)) (default: 1)."),
    ]
  }

  /// The values `--format` accepts, the default first; empty if the command has no `--format`.
  var formats: [String] { options.first { $0.flag == .format }?.choices ?? [] }

  /// The sizes when `--dims` is not given: the catalogue's default, or larger ones for `bench`.
  var defaultDims: Dims { self == .bench ? Dims(D: 32, H: 64, K: 10) : Config().dims }

  /// The time steps when `--steps` is not given: longer for `bench`, and for `vanishing`,
  /// whose figures are about long lags.
  var defaultSteps: Int {
    switch self {
    case .bench: 100
    case .vanishing: 32
    default: Config().steps
    }
  }

  /// The largest size `--dims` accepts; `bench` times models as large as `grad` accepts.
  var maxDimension: Int { self == .bench ? Limits.gradDimension : Limits.dimension }

  /// The most time steps `--steps` accepts.
  var maxSteps: Int { self == .bench ? Limits.gradSteps : Limits.steps }
}

extension Dims {
  /// The sizes as `--dims` takes them: `3,5,4`.
  var flagValue: String { "\(D),\(H),\(K)" }
}

/// Parsed and validated arguments of one invocation.
struct Arguments {
  /// Seeds per size for `check` when `--seeds` is not given.
  static let defaultSeeds = 20
  /// Runs per figure for `bench` when `--repeats` is not given.
  static let defaultRepeats = 5
  /// The most runs per figure `--repeats` accepts.
  static let maxRepeats = 1000
  /// The largest parameter scale `--scale` accepts: far into saturation.
  static let maxScale = 100.0

  var command: Command
  var positionals: [String] = []
  var seed = Config().seed
  var dims: Dims
  var steps: Int
  var seeds = Arguments.defaultSeeds
  var repeats = Arguments.defaultRepeats
  var format: String
  var params: String?
  /// `grad --compare FILE`: a learner's gradients to judge.
  var compare: String?
  var check = false
  /// `show --brief`.
  var brief = false
  /// `bench --quick`.
  var quick = false
  /// Whether `--dims` or `--steps` was given (`bench` then times that size only).
  var sizeGiven = false
  /// Whether `--repeats` was given.
  var repeatsGiven = false
  /// `check --sweep N`: N random configs instead of the fixed sizes.
  var sweep: Int?
  var scale = 1.0
  /// `train`'s settings, R2RT's defaults unless given.
  var training = EchoTraining()
  /// `diagnose --parameter`: the variable whose check is swept.
  var parameter: String?
  /// `diagnose --entry R[,C]`: the entry's row and, for a matrix, column.
  var entry: [Int]?
  var precision = Precision.double
  /// `vanishing --model`, `train --model`.
  var model = VanishingModel.rnn
  /// `vanishing --svg FILE`, `train --svg FILE`.
  var svg: String?

  init(command: Command, _ words: [String]) throws(UsageError) {
    self.command = command
    format = command.formats.first ?? "text"
    dims = command.defaultDims
    steps = command.defaultSteps
    var rest = words[...]
    while let word = rest.popFirst() {
      guard word.hasPrefix("-"), word != "-" else {
        positionals.append(word)
        continue
      }
      var flag = word
      var inlineValue: String?
      if let eq = word.firstIndex(of: "=") {
        flag = String(word[..<eq])
        inlineValue = String(word[word.index(after: eq)...])
      }
      guard let option = command.options.first(where: { $0.flag.rawValue == flag }) else {
        throw UsageError(
          message: "unknown option \(quoted(flag)) for '\(command.rawValue)'", command: command)
      }
      let value: String
      if option.isSwitch {
        guard inlineValue == nil else {
          throw UsageError(message: "\(flag) takes no value", command: command)
        }
        value = ""
      } else {
        guard let given = inlineValue ?? rest.popFirst() else {
          throw UsageError(message: "\(flag) needs a value", command: command)
        }
        value = given
      }
      try set(option, value)
    }
  }

  /// Checks `value` against `option` and stores it; a switch's `value` is empty.
  private mutating func set(_ option: OptionSpec, _ value: String) throws(UsageError) {
    let flag = option.flag.rawValue
    func integer(_ range: ClosedRange<Int>, _ what: String) throws(UsageError) -> Int {
      guard let n = Int(value), range.contains(n) else {
        throw UsageError(
          message: "\(flag) expects \(what), found \(quoted(value))", command: command)
      }
      return n
    }
    func choice() throws(UsageError) -> String {
      guard option.choices.contains(value) else {
        throw UsageError(
          message:
            "\(flag) expects one of \(option.choices.joined(separator: ", ")), found \(quoted(value))",
          command: command)
      }
      return value
    }
    switch option.flag {
    case .seed:
      guard let n = UInt64(value) else {
        throw UsageError(
          message: "\(flag) expects a non-negative integer below 2^64, found \(quoted(value))",
          command: command)
      }
      seed = n
      training.seed = n
    case .repeats:
      repeatsGiven = true
      repeats = try integer(1...Self.maxRepeats, "an integer in 1...\(Self.maxRepeats)")
    case .dims:
      sizeGiven = true
      let cap = command.maxDimension
      let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
      guard parts.count == 3, parts.allSatisfy({ $0.map { (1...cap).contains($0) } ?? false }),
        let D = parts[0], let H = parts[1], let K = parts[2]
      else {
        throw UsageError(
          message: "\(flag) expects three integers D,H,K in 1...\(cap), found \(quoted(value))",
          command: command)
      }
      dims = Dims(D: D, H: H, K: K)
    case .steps:
      sizeGiven = true
      steps = try integer(1...command.maxSteps, "an integer T in 1...\(command.maxSteps)")
    case .seeds:
      seeds = try integer(1...Limits.seeds, "an integer in 1...\(Limits.seeds)")
    case .format, .precision:
      let value = try choice()
      if option.flag == .format {
        format = value
      } else if let chosen = Precision(rawValue: value) {
        precision = chosen
      }
    case .model:
      // The option's choices are the models' names.
      model = VanishingModel(rawValue: try choice()) ?? model
    case .svg:
      svg = value
    case .params:
      params = value
    case .compare:
      compare = value
    case .check:
      check = true
    case .brief:
      brief = true
    case .quick:
      quick = true
    case .parameter:
      parameter = value
    case .entry:
      let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
      guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
        throw UsageError(
          message: "\(flag) expects R or R,C, integers from 0, found \(quoted(value))",
          command: command)
      }
      entry = parts.compactMap { $0 }
    case .sweep:
      sweep = try integer(1...Limits.sweep, "an integer in 1...\(Limits.sweep)")
    case .numSteps:
      training.numSteps = try integer(1...100, "an integer in 1...100")
    case .batchSize:
      training.batchSize = try integer(1...1000, "an integer in 1...1000")
    case .stateSize:
      training.stateSize = try integer(
        1...Limits.dimension, "an integer in 1...\(Limits.dimension)")
    case .epochs:
      training.epochs = try integer(1...100, "an integer in 1...100")
    case .seriesLength:
      training.seriesLength = try integer(1...10_000_000, "an integer in 1...10000000")
    case .learningRate:
      guard let η = Double(value), η > 0, η <= 10 else {
        throw UsageError(
          message: "\(flag) expects a number in (0, 10], found \(quoted(value))", command: command)
      }
      training.learningRate = η
    case .scale:
      guard let s = Double(value), s > 0, s <= Self.maxScale else {
        throw UsageError(
          message: "\(flag) expects a number in (0, \(Int(Self.maxScale))], found '\(value)'",
          command: command)
      }
      scale = s
    }
  }
}
