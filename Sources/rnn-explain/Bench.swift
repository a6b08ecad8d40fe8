import Foundation
import RNNDerivations

/// `rnn-explain bench`: wall-clock medians of the library's own passes, on random inputs.
///
/// For each model at each size, the forward pass (`MODEL-forward`: the loss, the generic
/// forward on `Double` that the oracles also run) and the loss with every gradient
/// (`MODEL-loss-and-gradients`: the hand-derived forward and backward pass); BPTT as the
/// `dhNext` recursion and as source 003's sum of Jacobian products over T = 10 … 160; the
/// whole catalogue checked once (`check-all`); and a short echo-task training run.
enum Bench {
  /// One figure of the JSON contract.
  struct Result {
    var name: String
    var steps, D, H, K, runs: Int
    var median: Double
  }

  /// The sizes the models are timed at: as large as a real model, and tiny (where overhead,
  /// not arithmetic, is what costs).
  static let sizes = [(steps: 100, dims: Dims(D: 32, H: 64, K: 10)), (20, Dims(D: 3, H: 8, K: 2))]

  static func run(_ args: Arguments) -> String {
    let runs = args.repeatsGiven || !args.quick ? args.repeats : 1
    let results = measure(args, runs: runs)
    if args.format == "json" {
      let json = JSON.object([
        ("machine", .string(machine)),
        (
          "results",
          .array(
            results.map { r in
              .object([
                ("name", .string(r.name)), ("T", .number(Double(r.steps))),
                ("D", .number(Double(r.D))), ("H", .number(Double(r.H))),
                ("K", .number(Double(r.K))), ("runs", .number(Double(r.runs))),
                ("median_seconds", .number(r.median)),
              ])
            })
        ),
      ])
      return json.serialized() + "\n"
    }
    var out = ""
    #if DEBUG
      out += "note: debug build — for figures run 'swift run -c release rnn-explain bench'\n"
    #endif
    out += "\(machine) · median of \(runs) run(s)\n\n"
    out += pad("NAME", 34) + pad("T", 6) + pad("D", 5) + pad("H", 5) + pad("K", 5)
    out += "MEDIAN (ms)\n"
    for r in results {
      out += pad(r.name, 34) + pad("\(r.steps)", 6) + pad("\(r.D)", 5) + pad("\(r.H)", 5)
      out += pad("\(r.K)", 5) + String(format: "%.3f", r.median * 1e3) + "\n"
    }
    out += "\ngradient/forward (the cost of the backward pass in forward passes, plus one):\n"
    for forward in results where forward.name.hasSuffix("-forward") {
      let model = String(forward.name.dropLast("-forward".count))
      guard
        let both = results.first(where: {
          $0.name == model + "-loss-and-gradients" && $0.steps == forward.steps && $0.H == forward.H
        })
      else { continue }
      out += "  " + pad(model, 12) + pad("T=\(forward.steps), H=\(forward.H)", 18)
      out += String(format: "%.2f", both.median / forward.median) + "\n"
    }
    return out
  }

  /// Every figure, each the median of `runs` runs.
  static func measure(_ args: Arguments, runs: Int) -> [Result] {
    var results: [Result] = []
    // The figures asked for: all, or those whose names start with one of the NAMEs.
    func wanted(_ name: String) -> Bool {
      args.positionals.isEmpty || args.positionals.contains { name.hasPrefix($0) }
    }
    let chosen = args.sizeGiven ? [(steps: args.steps, dims: args.dims)] : sizes
    for model in ModelKind.allCases {
      for (steps, d) in chosen {
        let input = GradInput.random(model, dims: d, steps: steps, seed: args.seed)
        let f = input.sequenceModel
        let point = input.point
        let values = Parameters(point)
        func add(_ name: String, _ body: () -> Void) {
          guard wanted("\(model.rawValue)-\(name)") else { return }
          results.append(
            Result(
              name: "\(model.rawValue)-\(name)", steps: steps, D: d.D, H: d.H, K: d.K, runs: runs,
              median: median(runs, body)))
        }
        add("forward") { _ = f.evaluate(values) }
        add("loss-and-gradients") { _ = f.gradients(at: point) }
      }
    }
    // BPTT two ways at the catalogue's default sizes, as T doubles: O(T) against O(T²).
    for steps in [10, 20, 40, 80, 160] {
      let d = Config().dims
      let input = GradInput.random(.rnn, dims: d, steps: steps, seed: args.seed)
      let model = SequenceModel(RNNCell(), xs: input.inputs, targets: input.targets, dims: d)
      let p = Parameters(input.params)
      let run = model.forward(p, from: CellState(h: [Double](repeating: 0, count: d.H)))
      for (name, body) in [
        ("bptt-recursive", { _ = model.backward(run, p) }),
        ("bptt-jacobian-product", { _ = bpttJacobianProduct(run, targets: model.targets, p: p) }),
      ] as [(String, () -> Void)] where wanted(name) {
        results.append(
          Result(
            name: name, steps: steps, D: d.D, H: d.H, K: d.K, runs: runs,
            median: median(runs, body)))
      }
    }
    let config = Config()
    if wanted("check-all") {
      results.append(
        Result(
          name: "check-all", steps: config.steps, D: config.dims.D, H: config.dims.H,
          K: config.dims.K, runs: runs,
          median: median(runs) { for d in Catalog.all { _ = d.trace(config) } }))
    }
    // Training on the echo task: forward, backward and an Adagrad step per chunk.
    guard wanted("echo-train") else { return results }
    var training = EchoTraining()
    (training.seriesLength, training.seed) = (20_000, args.seed)
    let dims = training.dims
    results.append(
      Result(
        name: "echo-train", steps: training.seriesLength, D: dims.D, H: dims.H, K: dims.K,
        runs: runs, median: median(runs) { _ = training.train(RNNCell(), reports: 1) { _ in } }))
    return results
  }

  /// Every figure's name, in the order `measure` times them.
  static var names: [String] {
    ModelKind.allCases.flatMap { ["\($0.rawValue)-forward", "\($0.rawValue)-loss-and-gradients"] }
      + ["bptt-recursive", "bptt-jacobian-product", "check-all", "echo-train"]
  }

  /// The machine the figures come from: cores, memory, operating system.
  static var machine: String {
    let info = ProcessInfo.processInfo
    let gib = Double(info.physicalMemory) / Double(1 << 30)
    return "\(info.processorCount) cores, " + String(format: "%.0f GiB, ", gib)
      + info.operatingSystemVersionString
  }

  /// The median wall-clock seconds of `repeats` runs of `body`.
  static func median(_ repeats: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let times = (0..<repeats).map { _ in
      let d = clock.measure(body)
      return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }.sorted()
    return times[times.count / 2]
  }
}
