import Foundation
import Testing

@testable import RNNDerivations

/// Work spread over every core (`concurrentMap`, `Cores.perform`): every piece runs once, its
/// result in its own place, however the calls come: one after another with the crew awake,
/// after it has fallen asleep, from inside a piece, and from several threads at once.
@Suite struct CoresTests {
  /// How many times each piece ran, counted under a lock.
  final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]
    init(_ n: Int) { counts = Array(repeating: 0, count: n) }
    func ran(_ i: Int) { lock.withLock { counts[i] += 1 } }
    var eachOnce: Bool { lock.withLock { counts.allSatisfy { $0 == 1 } } }
  }

  /// Whether `concurrentMap` of `0..<n` gives `map`'s result, each piece run once.
  static func mapsAsMapDoes(_ n: Int) -> Bool {
    let tally = Tally(n)
    let got = Array(0..<n).concurrentMap { i in
      tally.ran(i)
      return 3 * i + 1
    }
    return got == (0..<n).map { 3 * $0 + 1 } && tally.eachOnce
  }

  /// Any number of pieces, none among them; with work alongside, its result handed back too.
  @Test func everyPieceRunsOnceInItsPlace() {
    for n in [0, 1, 2, 3, 10, 24, 257] { #expect(Self.mapsAsMapDoes(n), "n = \(n)") }
    let (results, extra) = Array(0..<9).concurrentMap({ $0 * $0 }, alongside: { "alongside" })
    #expect(results == (0..<9).map { $0 * $0 })
    #expect(extra == "alongside")
  }

  /// Thousands of short calls one after another: the crew takes each next call awake, and a
  /// piece of one call never runs as a piece of the next.
  @Test func callsOneAfterAnother() {
    #expect((0..<2000).allSatisfy { Self.mapsAsMapDoes($0 % 13) })
  }

  #if canImport(Glibc)
    /// Calls after the crew's patience has run out: it sleeps, and a call wakes it.
    @Test func callsAfterTheCrewHasFallenAsleep() {
      for _ in 0..<5 {
        Thread.sleep(forTimeInterval: 2 * Double(Crew.patience) / 1e9)
        #expect(Self.mapsAsMapDoes(50))
      }
    }
  #endif

  /// A call from inside a piece, and calls from several threads at once: each runs whole,
  /// by the crew or by Dispatch.
  @Test func callsFromInsideAPieceAndFromOtherThreads() {
    let inner = Array(0..<8).concurrentMap { i in Array(0..<20).concurrentMap { i * $0 } }
    #expect(inner == (0..<8).map { i in (0..<20).map { i * $0 } })
    // Each caller's verdicts, read on the test's thread once all have ended.
    let verdicts = Tally(4)
    DispatchQueue.concurrentPerform(iterations: 4) { caller in
      if (0..<300).allSatisfy({ _ in Self.mapsAsMapDoes(17) }) { verdicts.ran(caller) }
    }
    #expect(verdicts.eachOnce, "a caller's map differed from map")
  }
}
