import Foundation

/// A record of every operation on `Traced` values, for reverse-mode differentiation.
///
/// Each node is one operation's result: the indices of its (at most two) parents and the
/// local partial derivatives `∂node/∂parent`. A forward pass run on `Traced` fills the tape;
/// one backward sweep from an output (`gradient(of:)`) then gives `∂output/∂node` for every
/// node at once — the whole gradient of a scalar loss for the price of about one more forward
/// pass. The rules for `tanh` and `sigmoid` are `sech²` (through `cosh`) and
/// `e^{−|x|}/(1 + e^{−|x|})²`, never the `1 − tanh²` and `σ(1 − σ)` of the hand-derived
/// backward passes, so the tape does not check a formula against itself.
///
/// A tape is filled and swept by one thread at a time (an oracle makes its own); it is a
/// class so that `Traced`'s static operators, which take no context, can reach it through
/// their operands: hence `@unchecked Sendable`, which `Scalar` requires of `Traced`.
public final class Tape: @unchecked Sendable {
  /// One operation: its parents (`Tape.none` where there is none) and `∂self/∂parent`.
  struct Node {
    var lhs: Int
    var rhs: Int
    var dLhs: Double
    var dRhs: Double
  }

  /// The parent index of a missing parent.
  static let none = -1

  /// The recorded nodes, `chunkSize` to a chunk: node `k` is entry `k % chunkSize` of chunk
  /// `k / chunkSize`, each chunk a block of its own, filled in order and never moved.
  ///
  /// Chunks, not one array: a growing array is copied to a new block each time it doubles,
  /// and every page of the new block faulted in, which was a fifth to a half of the wall time
  /// of `grad --check` on a large model (notes/Performance.md). Unchecked for exclusive
  /// access: one thread fills and sweeps a tape (above), and the run-time check on every
  /// recorded operation was a sixth of `grad --check`'s time.
  @exclusivity(unchecked) private var chunks: [UnsafeMutablePointer<Node>] = []
  /// Nodes per chunk: 2 MiB of them (only the pages written are ever touched).
  static let chunkSize = 1 << 16
  /// The most nodes this tape records; see `overflowed`.
  public let limit: Int
  /// Whether the computation needed more than `limit` nodes.
  ///
  /// From then on operations are not recorded (their results are constants), so the tape's
  /// gradients mean nothing and an oracle reports the recording as too large instead of using
  /// them. Unchecked for exclusive access, as `chunks` and `count`: every operation reads it.
  @exclusivity(unchecked) public private(set) var overflowed = false

  /// A tape of at most `limit` nodes (32 bytes each while recording, 8 more when swept).
  public init(limit: Int = .max) { self.limit = limit }

  deinit { for chunk in chunks { chunk.deallocate() } }

  /// How many nodes are recorded: leaves and operations, never constants.
  ///
  /// Unchecked for exclusive access, as `chunks`: every recorded operation reads and writes it.
  @exclusivity(unchecked) public private(set) var count = 0

  /// A new input on this tape: a leaf, with no parents, whose adjoint is `∂output/∂input`.
  public func variable(_ value: Double) -> Traced {
    record(value, Node(lhs: Tape.none, rhs: Tape.none, dLhs: 0, dRhs: 0))
  }

  func record(_ value: Double, _ node: Node) -> Traced {
    guard count < limit else {
      overflowed = true
      return Traced(value)
    }
    let offset = count % Tape.chunkSize
    if offset == 0 { chunks.append(.allocate(capacity: Tape.chunkSize)) }  // the last is full
    (chunks[chunks.count - 1] + offset).initialize(to: node)
    count += 1
    return Traced(value: value, index: count - 1, tape: self)
  }

  /// The adjoints `∂output/∂node` of every node of this tape, by node index.
  ///
  /// One sweep from `output` down to the first node: each node hands its adjoint times each
  /// local partial to its parents, `+=`, so a value used several times collects every path.
  /// Nodes recorded after `output` cannot influence it and keep adjoint 0; so does every node
  /// when `output` is a constant. A node whose adjoint is 0 hands nothing on (its partials,
  /// even infinite ones, are not multiplied by 0).
  public func gradient(of output: Traced) -> [Double] {
    var adjoint = [Double](repeating: 0, count: count)
    guard let tape = output.tape else { return adjoint }
    precondition(tape === self, "the output was recorded on another tape")
    adjoint[output.index] = 1  // ∂output/∂output
    // Node k down to 0, chunk by chunk (the last one first).
    adjoint.withUnsafeMutableBufferPointer { adjoint in
      for c in stride(from: output.index / Tape.chunkSize, through: 0, by: -1) {
        let (nodes, first) = (chunks[c], c * Tape.chunkSize)
        for k in stride(from: min(output.index, first + Tape.chunkSize - 1), through: first, by: -1)
        {
          let a = adjoint[k]
          if a == 0 { continue }
          let node = nodes[k - first]
          // ∂output/∂parent += ∂output/∂node · ∂node/∂parent, for each parent.
          if node.lhs != Tape.none { adjoint[node.lhs] += a * node.dLhs }
          if node.rhs != Tape.none { adjoint[node.rhs] += a * node.dRhs }
        }
      }
    }
    return adjoint
  }
}

/// A reverse-mode number: a value and, unless it is a constant, its node on a `Tape`.
///
/// Constants (`init(_:)`, literals) are not recorded and carry no gradient; an operation
/// between a constant and a traced value is recorded on the traced value's tape with the
/// constant folded into the local partials. Values from two different tapes never meet.
public struct Traced: Scalar {
  /// The value.
  public let value: Double
  /// The node on `tape`; meaningless for a constant.
  public let index: Int
  /// `nil` for a constant.
  public let tape: Tape?

  init(value: Double, index: Int, tape: Tape?) {
    self.value = value
    self.index = index
    self.tape = tape
  }

  /// A constant: on no tape.
  public init(_ value: Double) { self.init(value: value, index: Tape.none, tape: nil) }
  /// A constant from an integer literal.
  public init(integerLiteral value: Int) { self.init(Double(value)) }
  /// A constant from a floating-point literal.
  public init(floatLiteral value: Double) { self.init(value) }
  /// The value, without its derivative.
  public var primal: Double { value }
  /// Not on any tape: no derivative.
  public var isConstant: Bool { tape == nil }

  /// `x ↦ value` with local partial `d`, recorded if `x` is traced.
  static func unary(_ x: Traced, value: Double, _ d: Double) -> Traced {
    guard let tape = x.tape else { return Traced(value) }
    return tape.record(value, Tape.Node(lhs: x.index, rhs: Tape.none, dLhs: d, dRhs: 0))
  }

  /// `(a, b) ↦ value` with local partials `da`, `db`; a constant operand is not a parent.
  static func binary(_ a: Traced, _ b: Traced, value: Double, _ da: Double, _ db: Double)
    -> Traced
  {
    switch (a.tape, b.tape) {
    case (nil, nil): return Traced(value)
    case (_?, nil): return unary(a, value: value, da)
    case (nil, _?): return unary(b, value: value, db)
    case (let tape?, let other?):
      precondition(tape === other, "operands recorded on two different tapes")
      return tape.record(value, Tape.Node(lhs: a.index, rhs: b.index, dLhs: da, dRhs: db))
    }
  }

  /// Recorded with `∂(a + b)/∂a = 1`, `∂(a + b)/∂b = 1`.
  public static func + (a: Traced, b: Traced) -> Traced {
    binary(a, b, value: a.value + b.value, 1, 1)  // ∂(a + b)/∂a = 1, ∂/∂b = 1
  }
  /// Recorded with `∂(a − b)/∂a = 1`, `∂(a − b)/∂b = −1`.
  public static func - (a: Traced, b: Traced) -> Traced {
    binary(a, b, value: a.value - b.value, 1, -1)  // ∂(a − b)/∂a = 1, ∂/∂b = −1
  }
  /// Recorded with `∂(ab)/∂a = b`, `∂(ab)/∂b = a`.
  public static func * (a: Traced, b: Traced) -> Traced {
    binary(a, b, value: a.value * b.value, b.value, a.value)  // ∂(ab)/∂a = b, ∂/∂b = a
  }
  /// The quotient rule `(a′b − ab′)/b²`, split by parent: `b/b² = 1/b` for `a`, `−a/b²` for `b`.
  public static func / (a: Traced, b: Traced) -> Traced {
    binary(a, b, value: a.value / b.value, 1 / b.value, -a.value / (b.value * b.value))
  }
  /// Recorded with `∂(−x)/∂x = −1`.
  public static prefix func - (x: Traced) -> Traced {
    unary(x, value: -x.value, -1)  // ∂(−x)/∂x = −1
  }
  /// Recorded with `∂eˣ/∂x = eˣ`.
  public static func exp(_ x: Traced) -> Traced {
    let e = Double.exp(x.value)
    return unary(x, value: e, e)  // ∂e^x/∂x = e^x
  }
  /// Recorded with `∂log x/∂x = 1/x`.
  public static func log(_ x: Traced) -> Traced {
    unary(x, value: Foundation.log(x.value), 1 / x.value)  // ∂log x/∂x = 1/x
  }
  /// `∂tanh x/∂x = sech² x = 1/cosh² x`: no cancellation, unlike `1 − tanh²` at large `|x|`.
  public static func tanh(_ x: Traced) -> Traced {
    let sech = 1 / Foundation.cosh(x.value)
    return unary(x, value: Double.tanh(x.value), sech * sech)
  }
  /// `∂σ/∂x = e^{−x}/(1 + e^{−x})²`, written with `|x|` (the expression is even in `x`) so
  /// that `exp` never overflows.
  public static func sigmoid(_ x: Traced) -> Traced {
    let e = Foundation.exp(-Swift.abs(x.value))
    return unary(x, value: Double.sigmoid(x.value), e / ((1 + e) * (1 + e)))
  }
}
