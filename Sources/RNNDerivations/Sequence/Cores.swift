import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

// Work spread over every core: what `concurrentMap` runs on. Nothing here computes; it decides
// which core runs each piece, and every piece's result is the same whichever does.

/// The machine's cores, the caller's among them.
enum Cores {
  /// `body(i)` for every `i` in `0..<iterations`, on the calling thread and every other core,
  /// returning once all have run (`DispatchQueue.concurrentPerform`).
  ///
  /// On Linux the other cores' threads are a `Crew`'s, which wait for the next call awake for
  /// a while; a second caller while one call runs (a call made from inside a piece, or from
  /// another thread) is handed to Dispatch, as every call is elsewhere.
  static func perform(iterations: Int, _ body: @Sendable (_ i: Int) -> Void) {
    #if canImport(Glibc)
      if let crew = Crew.shared, crew.perform(iterations, body) { return }
    #endif
    DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
  }
}

extension Array {
  /// `map`, with the elements taken on every core: a batch's sequences are independent until
  /// their gradients are summed.
  ///
  /// Each result is written once, into its element's place, by the thread that computed it:
  /// the same array as `map` gives, in the same order, whatever order the work finishes in.
  func concurrentMap<T>(_ transform: (Element) -> T) -> [T] {
    concurrentMap(transform, alongside: nil as (() -> Void)?).results
  }

  /// `concurrentMap`, and `extra()` as one more piece of the same work, taken first by
  /// whichever core is free: work that needs none of the results (the echo training's next
  /// chunk), run beside the map without a third thread taking turns with its two.
  func concurrentMap<T, B>(_ transform: (Element) -> T, alongside extra: (() -> B)?) -> (
    results: [T], extra: B?
  ) {
    // Written once by the thread that runs `extra`, read after `Cores.perform` returns.
    nonisolated(unsafe) var extraResult: B?
    let results = [T](unsafeUninitializedCapacity: count) { results, initialized in
      // Unchecked: every index is written exactly once, and nothing reads before all are;
      // the elements are only read.
      nonisolated(unsafe) let (results, elements) = (results, self)
      withoutActuallyEscaping(transform) { transform in
        nonisolated(unsafe) let (transform, extra) = (transform, extra)
        let first = extra == nil ? 0 : 1  // iteration 0 is `extra`'s when there is one
        Cores.perform(iterations: first + elements.count) { i in
          if i < first {
            extraResult = extra?()
          } else {
            results.initializeElement(at: i - first, to: transform(elements[i - first]))
          }
        }
      }
      initialized = count
    }
    return (results, extraResult)
  }
}

#if canImport(Glibc)
  /// One thread for each core besides the caller's, each waiting for the next call without
  /// sleeping for `patience` after its last piece, then asleep until a call wakes it.
  ///
  /// Dispatch's threads sleep as soon as a call's pieces are taken, and the next call wakes
  /// them. On this project's two-core virtual machine a call through Dispatch took 50–140 µs
  /// longer than through threads waiting awake, where the echo training makes a call of about
  /// 500 µs a chunk (notes/Performance.md, twenty-fourth round).
  final class Crew: @unchecked Sendable {
    /// The crew of this machine: none on one core.
    static let shared: Crew? = {
      let others = ProcessInfo.processInfo.activeProcessorCount - 1
      return others > 0 ? Crew(threads: others) : nil
    }()

    /// How long a thread waits awake after its last piece: longer than a training step's work
    /// between two calls, short enough that an idle process leaves its cores alone.
    static let patience: UInt64 = 2_000_000  // ns

    // The call's state below is read and written with `lock` held, `asleep` with `bell`'s
    // (unchecked Sendable).
    private let lock: UnsafeMutablePointer<pthread_spinlock_t>
    /// A call is running; a second caller's call goes to Dispatch.
    private var busy = false
    /// The running call's `body`, where its caller holds it for the call.
    private var body: UnsafePointer<@Sendable (Int) -> Void>?
    /// The next piece to take, the call's pieces, and how many have run.
    private var next = 0, count = 0, finished = 0
    /// Where a thread sleeps once its patience runs out, and how many do.
    private let bell = NSCondition()
    private var asleep = 0

    private init(threads: Int) {
      lock = .allocate(capacity: 1)
      pthread_spin_init(lock, Int32(PTHREAD_PROCESS_PRIVATE))
      for _ in 0..<threads { Thread { [self] in serve() }.start() }
    }

    /// `body(i)` for `i` in `0..<iterations` on the caller's thread and the crew's; false,
    /// running nothing, when another call is running.
    func perform(_ iterations: Int, _ body: @Sendable (Int) -> Void) -> Bool {
      withoutActuallyEscaping(body) { body in
        withUnsafePointer(to: body) { body in
          guard start(iterations, body) else { return false }
          bell.lock()
          if asleep > 0 { bell.broadcast() }  // the only wake-up: after an idle stretch
          bell.unlock()
          work()  // the caller takes pieces too
          while !locked({ finished == count }) {}  // the pieces the others took are running
          locked { (busy, self.body) = (false, nil) }  // no piece of it runs any more
          return true
        }
      }
    }

    /// `action` with the lock held.
    private func locked<R>(_ action: () -> R) -> R {
      pthread_spin_lock(lock)
      defer { pthread_spin_unlock(lock) }
      return action()
    }

    /// The call published, unless another is running.
    private func start(_ iterations: Int, _ body: UnsafePointer<@Sendable (Int) -> Void>) -> Bool {
      locked {
        guard !busy else { return false }
        (busy, self.body, next, count, finished) = (true, body, 0, iterations, 0)
        return true
      }
    }

    /// The running call's pieces, taken one at a time until none is left.
    private func work() {
      while let (i, body) = take() {
        body.pointee(i)  // its own statement: the closure let go before the piece is counted
        locked { finished += 1 }
      }
    }

    /// The next piece and the body it belongs to, taken together; nil once none is left.
    private func take() -> (Int, UnsafePointer<@Sendable (Int) -> Void>)? {
      locked {
        guard let body, next < count else { return nil }
        next += 1
        return (next - 1, body)
      }
    }

    /// A crew thread: each call's pieces, waiting for the next awake, then asleep.
    private func serve() {
      while true {
        awaitPieces()
        work()
      }
    }

    /// Returns once a call has pieces left to take: awake for `patience`, then asleep.
    private func awaitPieces() {
      func piecesLeft() -> Bool { locked { next < count } }
      let deadline = DispatchTime.now().uptimeNanoseconds + Self.patience
      while DispatchTime.now().uptimeNanoseconds < deadline {
        if piecesLeft() { return }
      }
      bell.lock()
      defer { bell.unlock() }
      asleep += 1
      defer { asleep -= 1 }
      while !piecesLeft() {
        bell.wait()  // a call that starts while this thread holds `bell` finds it waiting
      }
    }
  }
#endif
