import Foundation
import RNNDerivations

extension CLI {
  /// `rnn-explain train [echo]`: the echo task learned with the hand-derived gradients.
  func train(_ args: Arguments) throws(UsageError) -> Output {
    if let task = args.positionals.first, task != "echo" || args.positionals.count > 1 {
      throw UsageError(
        message: task == "echo"
          ? "unexpected argument \(quoted(args.positionals[1]))"
          : "unknown task \(quoted(task)) (expected echo)",
        command: .train)
    }
    let t = args.training
    let rowChunk = t.batchSize * t.numSteps
    guard t.seriesLength % rowChunk == 0 else {
      throw UsageError(
        message:
          "--series-length expects a multiple of batch × num-steps = \(rowChunk), found \(t.seriesLength)",
        command: .train)
    }
    // The plot's file is created before the run, so a bad path costs no training.
    var svgFile: (descriptor: Int32, name: String)?
    if let path = args.svg {
      do {
        svgFile = try create(path)
      } catch {
        return Output(stderr: "Error: \(error.message)\n", code: error.code)
      }
    }
    defer { svgFile.map { _ = close($0.descriptor) } }

    let progress = Progress()
    defer { progress.finish() }
    var reports: [EchoReport] = []
    _ = t.train(args.model.kind.cell()) { report in  // lstm: forget_bias 0; gru: reset-before
      reports.append(report)
      let done = "epoch \(report.epoch + 1) of \(t.epochs)"
      if progress.enabled {
        progress.report("train: \(done), chunk \(report.chunk) of \(t.chunks)")
      } else if report.chunk == t.chunks {
        progress.line("train: \(done), mean loss \(format(report.meanLoss))")
      }
    }
    let curve = EchoCurve(losses: reports.map(\.meanLoss))
    if let svgFile {
      do {
        try write(Self.plot(curve, reports, t).svg(), to: svgFile)
      } catch {
        return Output(stderr: "Error: \(error.message)\n", code: error.code)
      }
    }
    if args.format == "json" {
      return Output(stdout: Self.json(curve, reports, t, model: args.model).serialized() + "\n")
    }
    return Output(stdout: Self.text(curve, reports, t, model: args.model))
  }

  /// The loss curve and the three baselines as SVG (linear scale).
  static func plot(_ curve: EchoCurve, _ reports: [EchoReport], _ t: EchoTraining) -> LinePlot {
    let base = EchoTask.baselines
    let flat = { (v: Double) in [Double](repeating: v, count: reports.count) }
    return LinePlot(
      title: "Echo task: mean cross-entropy while training (H = \(t.stateSize), "
        + "num_steps = \(t.numSteps))",
      xLabel: "logged point (\(reports.count / max(1, t.epochs)) per epoch)",
      yLabel: "mean cross-entropy (nats)", x: Array(1...max(1, reports.count)),
      series: [
        LinePlot.Series("training loss", curve.losses),
        LinePlot.Series(
          "nothing learned \(format(base.nothing))", flat(base.nothing), dashed: true),
        LinePlot.Series("X(t−3) learned \(format(base.first))", flat(base.first), dashed: true),
        LinePlot.Series(
          "both X(t−3), X(t−8) learned \(format(base.both))", flat(base.both), dashed: true),
      ], yScale: .linear)
  }

  static func json(
    _ curve: EchoCurve, _ reports: [EchoReport], _ t: EchoTraining, model: VanishingModel
  ) -> JSON {
    let base = EchoTask.baselines
    return JSON.object([
      ("task", .string("echo")),
      ("model", .string(model.rawValue)), ("state_size", .number(Double(t.stateSize))),
      ("num_steps", .number(Double(t.numSteps))), ("batch_size", .number(Double(t.batchSize))),
      ("series_length", .number(Double(t.seriesLength))), ("epochs", .number(Double(t.epochs))),
      ("learning_rate", .number(t.learningRate)), ("seed", .number(Double(t.seed))),
      (
        "expected",
        .object([
          ("none", .number(base.nothing)), ("t3", .number(base.first)),
          ("both", .number(base.both)),
        ])
      ),
      ("losses", .array(curve.losses.map { .number($0) })),
      ("final_loss", .number(curve.finalLoss)),
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
      ("learned", .string(curve.learned)),
    ])
  }

  static func text(
    _ curve: EchoCurve, _ reports: [EchoReport], _ t: EchoTraining, model: VanishingModel
  ) -> String {
    let base = EchoTask.baselines
    var out = "echo task (R2RT): X_t a random bit, P(Y_t = 1) = 0.5 + 0.5·X_{t−3} − 0.25·X_{t−8}\n"
    out +=
      "\(model.rawValue) · H=\(t.stateSize) · num_steps=\(t.numSteps) · batch \(t.batchSize) · "
    out +=
      "series \(t.seriesLength) × \(t.epochs) epoch(s) · Adagrad η=\(format(t.learningRate)) · "
    out += "seed \(t.seed)\n"
    out += "cross-entropy a predictor reaches (nats): knowing nothing \(format(base.nothing)), "
    out += "X_{t−3} \(format(base.first)), X_{t−3} and X_{t−8} \(format(base.both))\n\n"
    // The sparkline spans the baselines, so its height reads against them: ▁ is "both", █
    // "knowing nothing" (or the curve's extremes, if it leaves that band).
    let lo = min(base.both, curve.losses.min() ?? base.both)
    let hi = max(base.nothing, curve.losses.max() ?? base.nothing)
    out += "loss curve \(sparkline(curve.losses, from: lo, to: hi))  "
    out += "(\(format(lo)) ▁ … █ \(format(hi)))\n\n"
    out += pad("EPOCH", 7) + pad("CHUNK", 8) + "MEAN LOSS\n"
    for r in reports {
      out += pad("\(r.epoch + 1)", 7) + pad("\(r.chunk)", 8) + format(r.meanLoss) + "\n"
    }
    out += "\nLearned: \(curve.learned) (final loss \(format(curve.finalLoss)), "
    out += "the mean of the curve's last tenth).\n"
    return out
  }
}
