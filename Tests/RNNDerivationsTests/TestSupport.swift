import Foundation
@testable import RNNDerivations
import Testing

/// Asserts every check of a trace, then prints the trace in one write (tests run in
/// parallel; one write keeps traces from interleaving).
func expectPasses(_ trace: Trace, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(
    !trace.checks.isEmpty, "a trace with no checks checks nothing", sourceLocation: sourceLocation)
  for check in trace.checks {
    #expect(check.passed, "\(trace.id): \(check.summary)", sourceLocation: sourceLocation)
  }
  // One write(2) of the whole trace, bypassing stdio buffering, which could split it.
  let setting = ProcessInfo.processInfo.environment["RNN_EXPLAIN_TRACES"]
  if let text = traceOutput(trace, setting: setting) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }
}

/// What `swift test` prints of a trace under `RNN_EXPLAIN_TRACES` (README): the whole trace
/// when unset or `full`, `show --brief`'s form for `brief`, nothing for `off`.
func traceOutput(_ trace: Trace, setting: String?) -> String? {
  switch setting {
  case "off": nil
  case "brief": TextRenderer(brief: true).render(trace)
  default: TextRenderer().render(trace)
  }
}

/// Runs a derivation over the sizes and seeds `check` uses and asserts every check.
func expectPassesEverywhere(
  _ id: String, seeds: Int = 20, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let derivation = try #require(Catalog.derivation(id), sourceLocation: sourceLocation)
  let summary = CheckSummary(derivation, configs: Catalog.checkConfigs, seeds: seeds)
  #expect(summary.runs.count == Catalog.checkConfigs.count * seeds, sourceLocation: sourceLocation)
  for (config, check) in summary.failures {
    Issue.record(
      "\(id) seed \(config.seed) \(config.dims): \(check.summary)", sourceLocation: sourceLocation)
  }
  #expect(summary.passed, sourceLocation: sourceLocation)
}

/// Entry-wise closeness in the project's relative-error measure.
func expectClose(
  _ a: [Double], _ b: [Double], tolerance: Double = 1e-12, _ what: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    a.count == b.count, "\(what): \(a.count) vs \(b.count) entries", sourceLocation: sourceLocation)
  for (i, (x, y)) in zip(a, b).enumerated() {
    #expect(
      relativeError(x, y) <= tolerance, "\(what)[\(i)]: \(x) vs \(y)",
      sourceLocation: sourceLocation)
  }
}

extension SequenceExample {
  /// A random problem drawn as the traces draw one, at explicit sizes.
  init(_ cell: Cell, _ dims: Dims, steps: Int, seed: UInt64, stateNames: [String]) {
    self.init(cell, Config(seed: seed, dims: dims, steps: steps), stateNames: stateNames)
  }

  /// The gradients (in the point's order) of the library's walk run with `cell` instead.
  func gradients(with cell: some RecurrentCell) -> [[Double]] {
    let m = SequenceModel(
      cell, xs: model.xs, targets: model.targets, dims: model.dims, stateNames: model.stateNames)
    return m.backward(m.forward(p, from: initial), p).flat
  }
}

/// A zero-filled copy: what a step receives when a carry is dropped.
func zeroed(_ v: [Double]) -> [Double] { v.map { _ in 0 } }
