/// A named variable of a forward function and the point it is evaluated at.
public struct Variable: Sendable {
  /// The variable's name as the derivation writes it: `W`, `h_{t−1}`.
  public var name: String
  /// A vector of `rows` entries or a `rows × cols` matrix.
  public var shape: Shape
  /// The entries, flat (row-major).
  public var values: [Double]
  /// The scale below which finite-difference steps stop shrinking with the entry.
  ///
  /// `h = ε^{1/5} · max(stepScale, |x|)`. 1 suits weights and activations; probabilities
  /// fed to `log` use 0 — relative steps — since `log` varies on the scale of `x` itself.
  public var stepScale: Double = 1

  /// A vector variable.
  public init(_ name: String, _ values: [Double]) {
    self.init(name, shape: .vector(values.count), values)
  }
  /// A matrix variable, its entries row after row.
  public init(_ name: String, _ m: Matrix<Double>) {
    self.init(name, shape: .matrix(m.rows, m.cols), m.storage)
  }
  /// A variable of `shape`; `values` must have `shape.count` entries.
  public init(_ name: String, shape: Shape, _ values: [Double]) {
    precondition(shape.count == values.count, "variable \(name): shape \(shape) vs \(values.count)")
    self.name = name
    self.shape = shape
    self.values = values
  }
}

extension [Variable] {
  /// How many entries the variables have together: a point's size.
  public var entryCount: Int { reduce(0) { $0 + $1.values.count } }
}

/// A forward pass written once over `Scalar`: the only thing the oracles are given.
///
/// `evaluate` receives the variables by name (the point it is checked at, on any `Scalar`)
/// and returns the outputs flattened. Oracles never see a backward pass.
public protocol ForwardFunction: Sendable {
  /// The differentiated output as the derivation names it: `E`, `ŷ`, `h_t`.
  var outputName: String { get }
  /// How many steps one evaluation takes (a sequence's T; 1 for a single step): with the
  /// number of entries, what decides between per-entry and directional checks.
  var cost: Int { get }
  /// Whether evaluating on `Lanes` computes each lane as `Double` would: true when nothing
  /// in `evaluate` decides from `primal` except through `Scalar.largestPrimal`. The
  /// finite-difference oracle then runs its six points in one pass.
  var evaluatesLanesApart: Bool { get }
  /// At least how many operations a tape records for one evaluation with every variable a
  /// leaf (the leaves themselves not counted): what lets the tape oracle give up on a
  /// recording that cannot fit its limit without making it (`TapeOracle.gradient`). Never
  /// more than the recording's true count.
  var leastTapeNodes: Int { get }
  func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T]
  /// The same evaluation, its arrays kept in `rooms` for the next (nil: nothing kept): what
  /// an oracle calls for each of its passes, handing every pass the rooms the pass before left
  /// (`PassRooms`).
  func evaluate<T: Scalar>(_ inputs: Parameters<T>, keeping rooms: PassRooms?) -> [T]
}

extension ForwardFunction {
  /// By default one step.
  public var cost: Int { 1 }
  /// By default each point on its own.
  public var evaluatesLanesApart: Bool { false }
  /// By default no bound: the tape finds out by recording.
  public var leastTapeNodes: Int { 0 }
  /// By default nothing kept: `evaluate` alone.
  public func evaluate<T: Scalar>(_ inputs: Parameters<T>, keeping rooms: PassRooms?) -> [T] {
    evaluate(inputs)
  }
}

/// The arrays a forward pass writes over, kept for the next pass of the same function.
///
/// An oracle evaluates one function hundreds of times at points a few entries apart. A pass
/// writes each step over the arrays of the step before, so what it makes is its first step's
/// rooms and its set-up; with `PassRooms` it asks for them in the same order at every pass
/// (`room`), the first pass makes them, and every later one writes over what the pass before
/// left. The arithmetic is the same; only where its results are written changes.
///
/// One pass at a time: an oracle makes its own rooms and runs its passes on one thread.
public final class PassRooms {
  /// The rooms, in the order a pass asks for them.
  private var rooms: [AnyObject] = []
  /// Where the pass under way is in `rooms`.
  private var next = 0
  /// No rooms yet: the first pass makes them.
  public init() {}

  /// A pass begins: its rooms are handed out again from the first.
  public func startPass() { next = 0 }

  /// The pass's next room: the one the pass before left at this place, or one `make` makes
  /// (at the first pass, or where the room there holds something else).
  public func room<R>(_ make: () -> R) -> Room<R> {
    defer { next += 1 }
    if next < rooms.count, let room = rooms[next] as? Room<R> { return room }
    let room = Room(make())
    if next < rooms.count { rooms[next] = room } else { rooms.append(room) }
    return room
  }

  /// The next room of `rooms`, or without them a room of its own: a pass that keeps nothing.
  public static func room<R>(in rooms: PassRooms?, _ make: () -> R) -> Room<R> {
    rooms?.room(make) ?? Room(make())
  }
}

/// One kept room: a value a pass writes over in place (`PassRooms.room`).
public final class Room<R> {
  /// What the pass writes over.
  public var value: R
  /// A room holding `value`.
  public init(_ value: R) { self.value = value }
}

/// `g · f(x)` for a fixed upstream gradient `g`: its gradient is the vector–Jacobian
/// product `Jᵀ g`, which is what a backward pass computes.
public struct Projected<F: ForwardFunction>: ForwardFunction {
  /// The function whose output is projected.
  public var f: F
  /// The fixed upstream gradient `g`, one entry per output of `f`.
  public var g: [Double]
  /// `g · f(x)`; `g` has one entry per output of `f`.
  public init(_ f: F, upstream g: [Double]) {
    self.f = f
    self.g = g
  }
  /// `(g·E)`, `(g·h_t)`: the projected output's name.
  public var outputName: String { "(g·\(f.outputName))" }
  /// `f`'s cost.
  public var cost: Int { f.cost }
  /// As `f`: the projection is arithmetic only.
  public var evaluatesLanesApart: Bool { f.evaluatesLanesApart }
  /// The single output `g · f(x)`.
  public func evaluate<T: Scalar>(_ inputs: Parameters<T>) -> [T] {
    [dot(lift(g), f.evaluate(inputs))]
  }
}
