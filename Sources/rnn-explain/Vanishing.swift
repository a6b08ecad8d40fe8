import Foundation
import RNNDerivations

/// `rnn-explain vanishing`: the norms of `∂h_t/∂h_k` by lag for one cell, as a table, a
/// sparkline, JSON, and with `--svg` a plot.
extension CLI {
  func vanishing(_ args: Arguments) throws(UsageError) -> Output {
    guard args.positionals.isEmpty else {
      throw UsageError(
        message: "unexpected argument \(quoted(args.positionals[0]))", command: .vanishing)
    }
    let config = Config(seed: args.seed, dims: args.dims, steps: args.steps, scale: args.scale)
    let report = VanishingReport(args.model, config)
    if let path = args.svg {
      do {
        try write(Self.plot(report).svg(), to: path)
      } catch {
        return Output(stderr: "Error: \(error.message)\n", code: error.code)
      }
    }
    let code = report.passed ? ExitCode.ok : ExitCode.checkFailed
    if args.format == "json" {
      return Output(stdout: Self.json(report).serialized() + "\n", code: code)
    }
    return Output(stdout: Self.text(report, renderer: TextRenderer(color: color)), code: code)
  }

  /// Creates (or truncates) `path` and writes `text` to it: 73 if it cannot be created, 74 if
  /// writing fails.
  func write(_ text: String, to path: String) throws(InputError) {
    let file = try create(path)
    defer { close(file.descriptor) }
    try write(text, to: file)
  }

  /// Creates (or truncates) `path` for `--svg`: 73 if it cannot be created.
  func create(_ path: String) throws(InputError) -> (descriptor: Int32, name: String) {
    let name = quoted(path, limit: Self.pathLimit)
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else {
      let error = SystemError(number: errno)
      throw InputError(
        "--svg: cannot create \(name) (\(error.reason))", code: ExitCode.cannotCreate)
    }
    return (descriptor, name)
  }

  /// Writes `text` to a file `create` made: 74 if writing fails.
  func write(_ text: String, to file: (descriptor: Int32, name: String)) throws(InputError) {
    do {
      try SystemIO.writeAll(text, to: file.descriptor)
    } catch {
      throw InputError(
        "--svg: cannot write \(file.name) (\(error.reason))", code: ExitCode.ioError)
    }
  }

  /// The series of a report, named as the table's columns: the norms, then the bound.
  static func series(_ r: VanishingReport) -> [LinePlot.Series] {
    var series = [LinePlot.Series("‖∂h_t/∂h_k‖₂", r.normH)]
    if let normC = r.normC { series.append(LinePlot.Series("‖∂c_t/∂c_k‖₂", normC)) }
    if let bound = r.bound {
      series.append(LinePlot.Series("bound (γ‖W‖₂)^(t−k), γ = 1", bound, dashed: true))
    } else {
      // The gated cells obey no such bound: the vanilla RNN's, at the same ‖W‖₂, for comparison.
      let reference = r.lags.map {
        vanishingBound(gamma: tanhGamma, spectralNorm: r.config.scale, lag: $0)
      }
      series.append(LinePlot.Series("rnn's bound ‖W‖₂^(t−k), reference", reference, dashed: true))
    }
    return series
  }

  /// The SVG plot of a report.
  static func plot(_ r: VanishingReport) -> LinePlot {
    LinePlot(
      title: "\(r.model.rawValue): ‖∂h_t/∂h_k‖₂ by lag · ‖W‖₂ = \(r.config.scale) · "
        + "seed \(r.config.seed) · \(r.config.dims)",
      xLabel: "lag t − k", yLabel: "spectral norm (log scale)", x: r.lags, series: series(r))
  }

  /// The text report: the regime, the table, one sparkline per series on a shared log scale,
  /// the checks' verdict.
  static func text(_ r: VanishingReport, renderer: TextRenderer) -> String {
    let c = r.config
    var out = "vanishing gradients — \(r.model.rawValue) · seed \(c.seed) · \(c.dims) · "
    out += "T=\(c.steps)\n"
    out += r.recurrent.map { "‖\($0.name)‖₂ = \(format($0.norm))" }.joined(separator: ", ")
    out += " (power iteration on WᵀW; every recurrent matrix scaled to --scale \(c.scale))\n"
    out += "Norms are spectral (power iteration), of ∂h_t/∂h_k with k = 0, the initial state."
    out += r.bound == nil ? "\n\n" : "\nBound: (γ‖W‖₂)^(t−k), γ = max tanh' = 1.\n\n"
    // Columns 16 wide, the last one unpadded.
    func line(_ cells: [String]) -> String {
      (cells.dropLast().map { pad($0, 16) } + cells.suffix(1)).joined() + "\n"
    }
    out += line(["LAG"] + r.columnNames.dropFirst())
    let table = r.table
    for i in 0..<table.rows {
      out += line(["\(r.lags[i])"] + table.row(i).dropFirst().map(format))
    }
    // The measured norms only, on their shared scale: the bound is in the table and the plot.
    let lines = series(r).filter { !$0.dashed }
    let range = decades(lines.map(\.values))
    out += "\nBy lag 1…\(c.steps), log scale from 1e\(range.lo) (▁) to 1e\(range.hi) (█):\n"
    let label = lines.map(\.name.count).max() ?? 0
    for s in lines {
      out += "  " + pad(s.name, label + 2) + sparkline(s.values, decades: range) + "\n"
    }
    if r.bound != nil {
      out += "\nBelow ‖W‖₂ = 1 the norm must fall geometrically. Above it, it grows only while the "
      out += "units stay\nunsaturated: as max|h_t| nears 1, 1 − h_t² shrinks every later factor "
      out += "and bounds the growth.\n"
    }
    let failed = r.checks.filter { !$0.passed }
    out += "\n\(renderer.verdict(failed.isEmpty)): the step Jacobian (lag 1) and the product "
    out += "(lag \(c.steps)) against dual numbers,\nthe tape and finite differences: "
    out += "\(r.checks.count - failed.count) of \(r.checks.count) checks passed\n"
    for check in failed { out += renderer.render(check) }
    return out
  }

  static func json(_ r: VanishingReport) -> JSON {
    let c = r.config
    let rows = r.lags.indices.map { t in
      var row: [(String, JSON)] = [
        ("lag", .number(Double(r.lags[t]))), ("dh_norm", .number(r.normH[t])),
      ]
      if let normC = r.normC { row.append(("dc_norm", .number(normC[t]))) }
      if let bound = r.bound, let ratio = r.ratio {
        row += [("bound", .number(bound[t])), ("ratio", .number(ratio[t]))]
      }
      row.append(("max_abs_h", .number(r.largestState[t])))
      return JSON.object(row)
    }
    return .object([
      ("model", .string(r.model.rawValue)), ("seed", .number(Double(c.seed))),
      (
        "dims",
        .object([
          ("D", .number(Double(c.dims.D))), ("H", .number(Double(c.dims.H))),
          ("K", .number(Double(c.dims.K))),
        ])
      ),
      ("time_steps", .number(Double(c.steps))), ("scale", .number(c.scale)),
      ("norm", .string("spectral, by power iteration")),
      ("recurrent_norms", .object(r.recurrent.map { ($0.name, .number($0.norm)) })),
      ("rows", .array(rows)), ("passed", .bool(r.passed)),
      ("checks", .array(r.checks.map(JSONRenderer.json))),
    ])
  }
}
