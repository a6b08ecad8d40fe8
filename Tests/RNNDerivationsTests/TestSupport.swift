import Foundation
@testable import RNNDerivations
import Testing

/// The repository's root, from this file's place in the source tree: what the tests that hold
/// a note or a listing to the code read from.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// The text of the repository's file at `path` (`notes/BPTT.md`).
func repositoryFile(_ path: String) throws -> String {
  try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// Asserts every check of a trace.
func expectPasses(_ trace: Trace, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(
    !trace.checks.isEmpty, "a trace with no checks checks nothing", sourceLocation: sourceLocation)
  for check in trace.checks {
    #expect(check.passed, "\(trace.id): \(check.summary)", sourceLocation: sourceLocation)
  }
}

/// What the tests print on standard output.
///
/// Tests run in parallel, so a whole piece of output
/// (a trace, a line of figures) is written under one lock, and two never interleave. It is
/// written with `write(2)`, bypassing stdio's buffer, in runs of whole lines of at most
/// `piece` bytes: `swift test` relays the test binary's output through a pipe, and with
/// SwiftPM 6.3 one `write` of a whole 11 KB trace (`show state-carry`'s) lost 7 KB on the way,
/// every run, where these runs arrive whole.
enum TestOutput {
  private static let lock = NSLock()
  /// The largest piece written at once, in bytes: whole lines, at most a page.
  static let piece = 4000

  static func write(_ text: String) {
    lock.withLock {
      for piece in pieces(text + "\n") { writeAll(Array(piece.utf8)) }
    }
  }

  /// `text` cut into runs of whole lines of at most `piece` bytes (a longer line alone).
  static func pieces(_ text: String) -> [Substring] {
    var out: [Substring] = []
    var start = text.startIndex
    var end = start
    var bytes = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      let size = line.utf8.count + 1
      if bytes > 0, bytes + size > piece {
        out.append(text[start..<end])
        start = end
        bytes = 0
      }
      end = text.index(after: line.endIndex)
      bytes += size
    }
    if start < end { out.append(text[start..<end]) }
    return out
  }

  private static func writeAll(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes {
        Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count)
      }
      // An interrupted or full write is retried; a closed stream ends the output.
      if written < 0, errno == EINTR || errno == EAGAIN { continue }
      guard written > 0 else { return }
      offset += written
    }
  }
}

/// What `swift test` prints of a trace under `RNN_EXPLAIN_TRACES` (README): the whole trace
/// when unset or `full`, `show --brief`'s form for `brief`, nothing for `off`
/// (`CatalogueTraceTests` prints them).
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
