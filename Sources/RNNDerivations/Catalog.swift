import Foundation

/// What a derivation is run on: the seed of every random number, the sizes, `T` steps, and
/// the scale of the random parameters (and logits) relative to the ones each derivation
/// declares: 1, or small for a near-zero regime, or large to drive units into saturation.
public struct Config: Sendable, Equatable {
  /// The seed of every random number the derivation draws.
  public var seed: UInt64
  /// The sizes D, H and K.
  public var dims: Dims
  /// The number of time steps `T`.
  public var steps: Int
  /// The scale of the random parameters (and logits): 1 as declared.
  public var scale: Double
  /// A config; the defaults are the trace defaults: seed 0, D=3, H=5, K=4, T=3, scale 1.
  public init(
    seed: UInt64 = 0, dims: Dims = Dims(D: 3, H: 5, K: 4), steps: Int = 3, scale: Double = 1
  ) {
    self.seed = seed
    self.dims = dims
    self.steps = steps
    self.scale = scale
  }
}

/// One derivation: an id, where it comes from, and how to run it into a trace.
public struct Derivation: Sendable {
  /// The derivation's id, as `show` and `check` take it: `rnn-step`.
  public let id: String
  /// The derivation's title, one line.
  public let title: String
  /// The source note, by number: `003`.
  public let source: String
  /// Runs over `T` time steps (otherwise a single step, and `--steps` is not used).
  public var usesSteps = false
  let run: @Sendable (Config) -> [TraceStep]

  /// Runs the derivation at `config` into a trace.
  public func trace(_ config: Config) -> Trace {
    Trace(
      id: id, title: title, source: source, config: config, usesSteps: usesSteps,
      steps: run(config))
  }
}

/// The list of derivations, by id, in the order the notes introduce them.
public enum Catalog {
  /// Every derivation, in catalogue order (the order of `rnn-explain list`).
  public static let all: [Derivation] = [
    Derivation(id: "softmax", title: "Softmax and its Jacobian", source: "003", run: softmaxTrace),
    Derivation(
      id: "cross-entropy", title: "Cross-entropy loss", source: "003", run: crossEntropyTrace),
    Derivation(
      id: "softmax-cross-entropy", title: "Softmax fused with cross-entropy: ŷ − y",
      source: "003", run: softmaxCrossEntropyTrace),
    Derivation(
      id: "activations", title: "tanh and sigmoid derivatives", source: "000–003",
      run: activationsTrace),
    Derivation(
      id: "rnn-step", title: "One vanilla RNN step and its backward pass", source: "000, 001",
      run: rnnStepTrace),
    Derivation(
      id: "rnn-concat-step", title: "Source 002's concatenated step = rnn-step, W = [U | W]",
      source: "002", run: concatRNNStepTrace),
    Derivation(
      id: "output-layer", title: "Softmax output layer: ∂E/∂V as a sum of outer products",
      source: "003", usesSteps: true, run: outputLayerTrace),
    Derivation(
      id: "bptt-jacobian-product", title: "∂E/∂W as source 003's sum of Jacobian products",
      source: "003", usesSteps: true, run: bpttJacobianProductTrace),
    Derivation(
      id: "bptt-recursive", title: "BPTT as a recursion carrying dhNext backwards",
      source: "003, 004", usesSteps: true, run: bpttRecursiveTrace),
    Derivation(
      id: "bptt-index-form", title: "BPTT entry by entry, as source 004 writes it", source: "004",
      usesSteps: true, run: bpttIndexFormTrace),
    Derivation(
      id: "lstm-gates",
      title: "LSTM gate by gate, and the two paths into c_{t−1}",
      source: "001, 003", run: lstmGatesTrace),
    Derivation(
      id: "lstm-bptt", title: "BPTT through the LSTM: dhNext and dcNext", source: "001, 003",
      usesSteps: true, run: lstmBPTTTrace),
    Derivation(
      id: "gru-gates", title: "GRU gate by gate, reset-before vs reset-after",
      source: "001, 003", run: gruGatesTrace),
    Derivation(
      id: "gru-bptt", title: "BPTT through the GRU in both conventions", source: "001, 003",
      usesSteps: true, run: gruBPTTTrace),
    Derivation(
      id: "vanishing-gradients", title: "‖∂h_t/∂h_k‖₂ against the lag, beside (γ‖W‖₂)^(t−k)",
      source: "000–003", usesSteps: true, run: vanishingGradientsTrace),
    Derivation(
      id: "gradient-clipping", title: "Clipping by global norm and by value, after the check",
      source: "003", usesSteps: true, run: gradientClippingTrace),
    Derivation(
      id: "truncated-bptt",
      title: "Truncated BPTT: TensorFlow's chunks vs true truncation",
      source: "001–003", usesSteps: true, run: truncatedBPTTTrace),
    Derivation(
      id: "state-carry",
      title: "Carrying the state between chunks, and not the gradient",
      source: "001", usesSteps: true, run: stateCarryTrace),
    Derivation(
      id: "sequence-mask",
      title: "sequence_length masks: padded steps give exactly 0",
      source: "001", usesSteps: true, run: sequenceMaskTrace),
    Derivation(
      id: "sequence-types",
      title: "Source 004's four sequence types: inputs and losses",
      source: "004", usesSteps: true, run: sequenceTypesTrace),
    Derivation(
      id: "dropout",
      title: "Dropout on inputs and outputs, never on the state",
      source: "001", usesSteps: true, run: dropoutTrace),
    Derivation(
      id: "stacked-rnn",
      title: "Stacked layers: ∂E/∂h_t from the layer above and the next step",
      source: "001", usesSteps: true, run: stackedRNNTrace),
  ]

  /// The derivation with id `id`, if the catalogue has one.
  public static func derivation(_ id: String) -> Derivation? { all.first { $0.id == id } }

  /// The five source notes by number, as notes/README.md lists them.
  public static let sources: [(number: String, title: String)] = [
    ("000", "Small crash course to RNN in tensorflow (draft)"),
    ("001", "Small crash course to RNN in tensorflow"),
    ("002", "Recurrent Neural Networks"),
    ("003", "Theoretical Intro to RNN"),
    ("004", "RNN White Box"),
  ]

  /// The sizes `check` runs every derivation at: non-square, and K = 2 and K = 10.
  public static let checkConfigs: [Config] = [
    Config(dims: Dims(D: 3, H: 5, K: 4), steps: 3),
    Config(dims: Dims(D: 2, H: 3, K: 2), steps: 2),
    Config(dims: Dims(D: 4, H: 6, K: 10), steps: 4),
  ]
}

extension Catalog {
  /// `count` random configs for a sweep, drawn from `seed`: D, H, K and T log-uniform in
  /// 1...64 (so small sizes are common and every size occurs), each with its own seed, and
  /// the parameter scale 1 (as drawn) in half the runs, 0.01 (near zero) or 5 (saturating) in
  /// a quarter each.
  public static func sweepConfigs(_ count: Int, seed: UInt64) -> [Config] {
    var rng = SplitMix64(seed: seed)
    func size() -> Int { min(64, Int(Foundation.exp(rng.unit() * Foundation.log(65.0)))) }
    return (0..<count).map { _ in
      let dims = Dims(D: max(1, size()), H: max(1, size()), K: max(2, size()))
      let steps = max(1, size())
      let scale = [1, 1, 0.01, 5][rng.index(below: 4)]
      return Config(seed: rng.next(), dims: dims, steps: steps, scale: scale)
    }
  }
}

/// The largest sizes the command line accepts (`--dims`, `--steps`, `--seeds`).
public enum Limits {
  /// The largest D, H or K.
  public static let dimension = 64
  /// The largest number of time steps `T`.
  public static let steps = 64
  /// The most seeds per size.
  public static let seeds = 1000
  /// The most random configs `check --sweep` runs per derivation.
  public static let sweep = 10000
}

/// The outcome of `check` for one derivation over every size and seed.
public struct CheckSummary: Sendable {
  /// The derivation checked.
  public var derivation: Derivation
  /// Every run: the config and the checks its trace made.
  public var runs: [(config: Config, checks: [GradientCheck])]

  /// Runs `derivation` at every size in `configs` and for seeds `0..<seeds`.
  public init(_ derivation: Derivation, configs: [Config], seeds: Int) {
    self.init(derivation, runs: Self.runs(configs, seeds: seeds))
  }

  /// Runs `derivation` once at each config, seed included.
  public init(_ derivation: Derivation, runs configs: [Config]) {
    self = Self.all([(derivation, configs)])[0]
  }

  private init(derivation: Derivation, runs: [(config: Config, checks: [GradientCheck])]) {
    (self.derivation, self.runs) = (derivation, runs)
  }

  /// Every size in `configs` for seeds `0..<seeds`, size by size: `check`'s runs.
  public static func runs(_ configs: [Config], seeds: Int) -> [Config] {
    configs.flatMap { base in
      (0..<UInt64(seeds)).map { seed in
        var config = base
        config.seed = seed
        return config
      }
    }
  }

  /// Each derivation run once at each of its configs: every run of every derivation side by
  /// side on every core (`concurrentMap`).
  ///
  /// The runs are independent, and each result is kept in its place: the summaries are those
  /// of one run after another. `finished` is told, as each run ends, its derivation and how
  /// many runs have ended of how many, one run at a time.
  public static func all(
    _ plan: [(derivation: Derivation, configs: [Config])],
    finished: @Sendable (Derivation, _ runs: Int, _ of: Int) -> Void = { _, _, _ in }
  ) -> [CheckSummary] {
    let jobs = plan.indices.flatMap { d in plan[d].configs.indices.map { (d, $0) } }
    let ended = RunCount()
    // Last first: the catalogue's later derivations and larger sizes take longest, and started
    // first they leave the quick runs to even out the cores at the end.
    let latestFirst = Array(jobs.reversed()).concurrentMap { d, c in
      let checks = plan[d].derivation.trace(plan[d].configs[c]).checks
      ended.increment { finished(plan[d].derivation, $0, jobs.count) }
      return checks
    }
    var checks = Array(latestFirst.reversed())[...]
    return plan.map { derivation, configs in
      defer { checks = checks.dropFirst(configs.count) }
      return CheckSummary(derivation: derivation, runs: Array(zip(configs, checks)))
    }
  }

  /// Every check of every run.
  public var checks: [GradientCheck] { runs.flatMap(\.checks) }
  /// How many checks the runs made (`checks.count`, without gathering them).
  public var checkCount: Int { runs.reduce(0) { $0 + $1.checks.count } }
  /// Every failed check, with the config of its run.
  public var failures: [(config: Config, check: GradientCheck)] {
    runs.flatMap { run in run.checks.filter { !$0.passed }.map { (run.config, $0) } }
  }
  /// Every check of every run passed.
  public var passed: Bool { runs.allSatisfy { $0.checks.allSatisfy(\.passed) } }
  /// Entries over the tolerance by their own relative error that the error model accepts,
  /// over every run.
  public var small: Int { runs.reduce(0) { sum, run in run.checks.reduce(sum) { $0 + $1.small } } }

  /// The worst error (as a fraction of the largest entry) and the worst per-entry relative
  /// error of each reference (oracle or identity), over every run.
  public var worstByOracle: [(oracle: String, error: Double, relative: Double)] {
    var worst: [(oracle: String, error: Double, relative: Double)] = []
    for run in runs {
      for k in run.checks.indices {  // read in place: a check is a dozen arrays to copy
        let (reference, error) = (run.checks[k].reference, run.checks[k].maxScaledError)
        let relative = run.checks[k].maxRelativeError
        if let i = worst.firstIndex(where: { $0.oracle == reference }) {
          worst[i].error = max(worst[i].error, error)
          worst[i].relative = max(worst[i].relative, relative)
        } else {
          worst.append((reference, error, relative))
        }
      }
    }
    return worst
  }
}

/// How many runs of `CheckSummary.all` have ended, counted one run at a time.
private final class RunCount: @unchecked Sendable {
  // @unchecked: every access holds `lock`.
  private let lock = NSLock()
  private var ended = 0

  /// Counts one more run, then tells `then` how many have ended (one caller at a time).
  func increment(then: (Int) -> Void) {
    lock.withLock {
      ended += 1
      then(ended)
    }
  }
}
