import RNNDerivations

extension CLI {
  /// `rnn-explain train`: the echo task learned with the hand-derived gradients.
  func train(_ args: Arguments) throws(UsageError) -> Output {
    guard args.positionals.isEmpty else {
      throw UsageError(
        message: "unexpected argument \(quoted(args.positionals[0]))", command: .train)
    }
    let t = args.training
    let rowChunk = t.batchSize * t.numSteps
    guard t.seriesLength % rowChunk == 0 else {
      throw UsageError(
        message:
          "--series-length expects a multiple of batch × num-steps = \(rowChunk), found \(t.seriesLength)",
        command: .train)
    }
    let base = EchoTask.baselines
    let progress = Progress()
    defer { progress.finish() }
    var reports: [EchoReport] = []
    func run(_ cell: some RecurrentCell) {
      _ = t.train(cell) { report in
        reports.append(report)
        progress.report("train: epoch \(report.epoch + 1), chunk \(report.chunk) of \(t.chunks)")
      }
    }
    run(args.model.kind.cell())  // lstm: forget_bias 0; gru: reset-before
    let final = reports.last?.meanLoss ?? .nan
    let learned =
      final < (base.first + base.both) / 2
      ? "both X_{t−3} and X_{t−8}"
      : final < (base.nothing + base.first) / 2 ? "X_{t−3} only" : "neither dependency"
    if args.format == "json" {
      let json = JSON.object([
        ("model", .string(args.model.rawValue)), ("state_size", .number(Double(t.stateSize))),
        ("num_steps", .number(Double(t.numSteps))), ("batch_size", .number(Double(t.batchSize))),
        ("series_length", .number(Double(t.seriesLength))), ("epochs", .number(Double(t.epochs))),
        ("learning_rate", .number(t.learningRate)), ("seed", .number(Double(t.seed))),
        (
          "baselines",
          .object([
            ("nothing", .number(base.nothing)), ("first", .number(base.first)),
            ("both", .number(base.both)),
          ])
        ),
        (
          "reports",
          .array(
            reports.map { r in
              .object([
                ("epoch", .number(Double(r.epoch))), ("chunk", .number(Double(r.chunk))),
                ("mean_loss", .number(r.meanLoss)),
              ])
            })
        ),
        ("learned", .string(learned)),
      ])
      return Output(stdout: json.serialized() + "\n")
    }
    var out = "echo task (R2RT): X_t a random bit, P(Y_t = 1) = 0.5 + 0.5·X_{t−3} − 0.25·X_{t−8}\n"
    out +=
      "\(args.model.rawValue) · H=\(t.stateSize) · num_steps=\(t.numSteps) · batch \(t.batchSize) · "
    out +=
      "series \(t.seriesLength) × \(t.epochs) epoch(s) · Adagrad η=\(format(t.learningRate)) · "
    out += "seed \(t.seed)\n"
    out += "cross-entropy a predictor reaches (nats): knowing nothing \(format(base.nothing)), "
    out += "X_{t−3} \(format(base.first)), X_{t−3} and X_{t−8} \(format(base.both))\n\n"
    out += pad("EPOCH", 7) + pad("CHUNK", 8) + "MEAN LOSS\n"
    for r in reports {
      out += pad("\(r.epoch + 1)", 7) + pad("\(r.chunk)", 8) + format(r.meanLoss) + "\n"
    }
    out += "\nLearned: \(learned) (last mean loss \(format(final))).\n"
    return Output(stdout: out)
  }
}
