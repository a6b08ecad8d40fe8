import RNNDerivations

/// `rnn-explain bench`: wall-clock time of the hand-derived forward + backward pass of each
/// model, and of one dual-number forward pass (one oracle column), on random inputs.
enum Bench {
  static func run(_ args: Arguments) -> String {
    var out = ""
    #if DEBUG
      out += "note: debug build — for figures run 'swift run -c release rnn-explain bench'\n"
    #endif
    let d = args.dims
    out += "sizes \(d), T=\(args.steps), median of \(args.repeats) runs\n\n"
    out += pad("MODEL", 12) + pad("PARAMS", 10) + pad("GRAD (ms)", 12)
    out += pad("µs/STEP", 10) + "DUAL FORWARD (ms)\n"
    for model in ModelKind.allCases {
      let input = GradInput.random(model, dims: d, steps: args.steps, seed: args.seed)
      let f = input.sequenceModel
      let point = input.point
      let grad = median(args.repeats) { _ = f.gradients(at: point) }
      // One dual-number forward pass: the tangent seeded on the first entry of the first parameter.
      let first = point[0].values.indices.map { $0 == 0 ? 1.0 : 0 }
      let dual = median(args.repeats) {
        _ = DualOracle.directional(f, at: point, wrt: 0, direction: first)
      }
      let count = input.params.reduce(0) { $0 + $1.values.count }
      out += pad(model.rawValue, 12) + pad("\(count)", 10)
      out += pad(String(format: "%.3f", grad * 1e3), 12)
      out += pad(String(format: "%.1f", grad * 1e6 / Double(args.steps)), 10)
      out += String(format: "%.3f", dual * 1e3) + "\n"
    }
    // Training on the echo task: forward, backward and an Adagrad step per chunk.
    var training = EchoTraining()
    (training.seriesLength, training.seed) = (20_000, args.seed)
    let train = median(args.repeats) { _ = training.train(RNNCell(), reports: 1) { _ in } }
    out += "\necho-train (rnn, H=\(training.stateSize), num_steps=\(training.numSteps), "
    out += "batch \(training.batchSize), \(training.seriesLength) steps): "
    out += String(format: "%.1f ms, %.2f µs a step", train * 1e3, train * 1e6 / 20_000) + "\n"
    return out
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
