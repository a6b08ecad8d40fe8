/// What a cell carries from one step to the next: `h`, and for an LSTM the cell `c`.
public struct CellState<T: Scalar>: Sendable {
  /// The hidden state `h` (H).
  public var h: [T]
  /// The LSTM's cell state; nil for cells without one.
  public var c: [T]?
  /// A stack's lower layers' states, bottom first (`StackedCell`); empty for a single cell.
  ///
  /// In a stack, `h` and `c` are the top layer's: the one the output layer reads.
  public var below: [CellState]
  /// A state from its parts; `c` nil and `below` empty for a single cell without a cell state.
  @inlinable public init(h: [T], c: [T]? = nil, below: [CellState] = []) {
    (self.h, self.c, self.below) = (h, c, below)
  }

  /// `c`, of a state that carries one (an LSTM's); asking a state without it is a programming
  /// error.
  public var cellState: [T] {
    guard let c else { preconditionFailure("this state carries no cell state c") }
    return c
  }

  /// `h` and `c`, moved out of a state not used again (a backward step's `∂E/∂h_t` and
  /// `∂E/∂c_t`): no one else holds them, so the step writes its first gradient over them.
  public consuming func handedOn() -> (h: [T], c: [T]?) { (h, c) }

  /// The same of a state that carries `c` (an LSTM's).
  public consuming func handedOnWithC() -> (h: [T], c: [T]) { (h, cellState) }

  /// The parts in order, `h` then `c` (a stack's layers bottom first): how a state appears in
  /// a point and in `grad`'s output.
  public var parts: [[T]] {
    var parts = below.flatMap(\.parts)
    parts.reserveCapacity(parts.count + (c == nil ? 1 : 2))  // one array, not one per `+`
    parts.append(h)
    if let c { parts.append(c) }
    return parts
  }

  /// A state of the same layers, each part `transform`ed (`lifted`, a lane of rows side by
  /// side).
  @inlinable func mapParts<U: Scalar>(_ transform: ([T]) -> [U]) -> CellState<U> {
    CellState<U>(h: transform(h), c: c.map(transform), below: below.map { $0.mapParts(transform) })
  }

  /// Each part, in the order of `parts`, handed to `body` with its place in that order to
  /// write over in place.
  mutating func updateParts(_ body: (_ q: Int, _ part: inout [T]) -> Void) {
    var q = 0
    updateParts(from: &q, body)
  }

  /// `updateParts` from place `q` on, `q` moved past this state's parts.
  private mutating func updateParts(from q: inout Int, _ body: (Int, inout [T]) -> Void) {
    for l in below.indices { below[l].updateParts(from: &q, body) }
    body(q, &h)
    q += 1
    if var part = c.take() {  // moved out and back: one holder
      body(q, &part)
      (c, q) = (part, q + 1)
    }
  }

  /// The sum of two states' gradients, part by part.
  static func + (a: CellState, b: CellState) -> CellState {
    CellState(
      h: a.h .+ b.h, c: a.c.map { $0 .+ b.cellState }, below: zip(a.below, b.below).map(+))
  }
}

extension CellState<Double> {
  /// The same values as constants of any `Scalar`: no oracle differentiates through them.
  @inlinable public func lifted<S: Scalar>() -> CellState<S> {
    mapParts { lift($0) }
  }
}

/// One step's share of a parameter's gradient, on any `Scalar`: `StepGradient` on `Double`.
///
/// A weight's share is an outer product, `da ⊗ h_{t−1}`: H·H numbers made of H + H. The walk
/// never forms it: it keeps the two factors and adds every step's product into the sum after
/// its last step (`GradientSums`, `Matrix.addOuters`), which is most of what a step's backward
/// pass would otherwise spend (notes/Performance.md).
public enum StepGradientOf<T: Scalar>: Sendable {
  /// A vector's share (a bias's `da`), or any share written out entry by entry.
  case vector([T])
  /// A weight's share `a ⊗ b` (`a bᵀ`): entry `(i, j)` is `a[i] · b[j]`.
  case outer([T], [T])

  /// The share written out, flat and row-major: what a learner compares entry by entry.
  public var values: [T] {
    switch self {
    case .vector(let v): v
    case .outer(let a, let b): Matrix.outer(a, b).storage
    }
  }
}

/// One step's share of a parameter's gradient on `Double`: what the walk adds.
public typealias StepGradient = StepGradientOf<Double>

/// Where a step's backward pass hands its shares, by parameter name, as it forms them: the
/// walk's sums (`GradientSums`; on rows side by side the echo training's, `LaneSums`), or a
/// list of them (`ShareList`, a step's `CellGradientsOf`).
///
/// Handed straight to the sums, a share's arrays are lent, not stored: a list would hold each
/// of them once more, and the walk read them back out of it, which was half of a call's
/// retains (notes/Performance.md, twenty-fifth round).
public protocol ShareSink<Number> {
  /// The number the shares are made of: `Double`, or `Lanes` for rows side by side.
  associatedtype Number: Scalar
  /// `name`'s share `a ⊗ b`, as its two factors.
  mutating func join(_ name: String, outer a: [Number], _ b: [Number])
  /// `name`'s share written out: a bias's `da`, or any share given entry by entry.
  mutating func join(_ name: String, vector v: [Number])
}

extension ShareSink {
  /// `share` joins `name`'s, as its factors or entry by entry.
  mutating func join(_ name: String, _ share: StepGradientOf<Number>) {
    switch share {
    case .vector(let v): join(name, vector: v)
    case .outer(let a, let b): join(name, outer: a, b)
    }
  }
}

/// A step's shares listed in the order they came: what `CellGradientsOf` holds.
public struct ShareList<Number: Scalar>: ShareSink {
  /// The shares so far, by name.
  public var list: [(name: String, gradient: StepGradientOf<Number>)] = []
  /// An empty list, with room for `capacity` shares.
  public init(capacity: Int) { list.reserveCapacity(capacity) }
  /// `a ⊗ b` listed as `name`'s share, made where it is stored (made first and then copied in,
  /// each array was retained twice: notes/Performance.md, nineteenth round).
  public mutating func join(_ name: String, outer a: [Number], _ b: [Number]) {
    list.append((name, .outer(a, b)))
  }
  /// `v` listed as `name`'s share.
  public mutating func join(_ name: String, vector v: [Number]) { list.append((name, .vector(v))) }
}

/// One step's gradient of a weight: the outer product `a ⊗ b` kept as its two factors, or a
/// matrix given outright (a learner's answer, a catalogued mistake).
public struct OuterGradientOf<T: Scalar>: Sendable {
  /// The factors: `a` along the rows, `b` along the columns.
  let a, b: [T]
  /// The gradient given outright, in place of `a ⊗ b`.
  var given: Matrix<T>?

  /// `a ⊗ b`, kept as `a` and `b`.
  init(_ a: [T], _ b: [T]) { (self.a, self.b) = (a, b) }
  /// A gradient given outright.
  init(given: Matrix<T>) { (a, b, self.given) = ([], [], given) }

  /// The gradient written out: `a ⊗ b`, or the one given; setting it gives it outright.
  public var matrix: Matrix<T> {
    get { given ?? .outer(a, b) }
    set { given = newValue }
  }
  /// Handed to `sink` as `name`'s share, as the walk adds it: the factors (never formed), or
  /// the given matrix entry by entry, its arrays lent.
  func join<S: ShareSink<T>>(_ name: String, into sink: inout S) {
    if let given { sink.join(name, vector: given.storage) } else { sink.join(name, outer: a, b) }
  }
}

/// One step's gradient of a weight on `Double`.
public typealias OuterGradient = OuterGradientOf<Double>

/// What one step's hand-derived backward pass returns, on any `Scalar` (`CellGradients` on
/// `Double`, what `RecurrentCell.backward` lists).
public struct CellGradientsOf<T: Scalar>: Sendable {
  /// This step's share of each parameter's gradient, by name.
  public var parameters: [(name: String, gradient: StepGradientOf<T>)]
  /// `∂E/∂h_{t−1}` (and `∂E/∂c_{t−1}`): what flows on to the step before.
  public var dStatePrev: CellState<T>
  /// Works out `∂E/∂x_t`.
  private var inputGradient: @Sendable () -> [T]
  /// A step's gradients: the parameters' shares by name, `∂E/∂h_{t−1}` (and `∂E/∂c_{t−1}`),
  /// `∂E/∂x_t` (worked out when read).
  public init(
    parameters: [(name: String, gradient: StepGradientOf<T>)], dStatePrev: CellState<T>,
    dx: @autoclosure @escaping @Sendable () -> [T]
  ) {
    (self.parameters, self.dStatePrev, inputGradient) = (parameters, dStatePrev, dx)
  }

  /// `∂E/∂x_t`, worked out when read: a stack hands its upper layers' to the layer below; the
  /// walk never reads it, since `x_t` is data, not a variable (`AffineGradients.dx`).
  public var dx: [T] {
    get { inputGradient() }
    set { inputGradient = { [newValue] in newValue } }
  }
}

/// What one step's hand-derived backward pass returns on `Double`: what the walk takes.
public typealias CellGradients = CellGradientsOf<Double>

/// One step on any `Scalar` written over the state it is handed: `RecurrentCell.stepping`.
public typealias StepInPlace<T: Scalar> = (_ x: [T], _ state: inout CellState<T>) -> Void

/// One step forward on rows side by side, returning the new state and the step back through
/// it (what it needs from the forward step held inside): `RecurrentCell.sideBySide`.
public typealias SideBySideStep = (_ x: [Lanes], _ state: CellState<Lanes>) -> (
  state: CellState<Lanes>, back: SideBySideBack
)
/// One step back on rows side by side, given `∂E/∂h_t` (and `∂E/∂c_t`) from above: its shares
/// handed to the rows' sums, `∂E/∂h_{t−1}` (and `∂E/∂c_{t−1}`) returned.
public typealias SideBySideBack = (_ dState: consuming CellState<Lanes>, _ sums: inout LaneSums)
  -> CellState<Lanes>

/// One recurrent cell: its parameters, one forward step over any `Scalar`, and the
/// hand-derived backward step (Keras's `cell.call(inputs, states)`, PyTorch's `RNNCellBase`).
///
/// A cell knows nothing about time: `SequenceModel` runs it over the steps, adds the output
/// layer and the loss, and walks back through time. Adding a cell is one file of equations
/// and this conformance.
public protocol RecurrentCell: Sendable {
  /// What the backward step needs from the forward step.
  associatedtype Cache: Sendable
  /// The parameters as `forward` and `backward` read them (an LSTM's four gates' `W`, `U`,
  /// `b`): looked up by name once per walk, not at every step.
  associatedtype Weights: Sendable
  /// The cell's parameters, in order: the one place that order is stated.
  var parameters: [ParameterSpec] { get }
  /// Whether the state has a cell `c` besides `h`.
  var hasCellState: Bool { get }
  /// The output layer's weight and bias names: `V`, `b_y` (source 002 says `U`, `b_p`).
  var outputNames: (weights: String, bias: String) { get }
  /// The names of the state's parts, in the order of `CellState.parts`: `h` (and `c`).
  var stateNames: [String] { get }
  /// The state from its parts, in the order of `stateNames`.
  func state<T: Scalar>(_ parts: [[T]]) -> CellState<T>

  /// One step on any `Scalar`: the new state (what the oracles differentiate).
  func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T>
  /// The same step with the weights of `p` read by name once, written over the state it is
  /// handed: what a walk calls at every step (`SequenceModel.evaluate`, the oracles' passes).
  ///
  /// Each step reuses the arrays the step before left (the old state's, its gates'), so a pass
  /// makes its arrays at its first step and none after; with `rooms`, the pass before's
  /// arrays, so that an oracle's later passes make none at their first step either.
  func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?) -> StepInPlace<T>
  /// The weights of `p`, read by name: what `forward` and `backward` take.
  func weights(_ p: Parameters<Double>) -> Weights
  /// The same step on `Double`, keeping what `backward` needs.
  func forward(_ x: [Double], _ state: CellState<Double>, _ w: Weights)
    -> (state: CellState<Double>, cache: Cache)
  /// Backward through one step, given `∂E/∂h_t` (and `∂E/∂c_t`) from above.
  ///
  /// `dState` is the step's own (`consuming`): the walk hands it on at its last use, and the
  /// backward step writes its first gradient over it.
  func backward(_ dState: consuming CellState<Double>, _ cache: Cache, _ w: Weights)
    -> CellGradients
  /// The same step back, each parameter's share handed to `sink` as it is formed, in the order
  /// `backward` lists them: what the walk calls, its sums the sink. Returns `∂E/∂h_{t−1}` (and
  /// `∂E/∂c_{t−1}`).
  func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: Cache, _ w: Weights, joining sink: inout S
  ) -> CellState<Double>
  /// The step forward and back on rows side by side, `Lanes.count` rows in the lanes, with
  /// the weights of `p` read once: the functions `forward` and `backward` call, on `Lanes`,
  /// each lane its own row's step to the bit (the echo training, `EchoStep`). Nil where the
  /// cell's backward step runs on `Double` alone: a walk then takes its rows one at a time.
  func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep?
  /// How much cancellation in this step's derivatives (`1 − h²`, `1 − s`) magnifies the
  /// backward pass's rounding: 1 where nothing cancels, large near saturation.
  func conditioning(_ cache: Cache) -> Double
}

extension RecurrentCell {
  /// One step backward, reading its weights from `p` (a single step: a trace, a test, a
  /// catalogued mistake; a walk reads them once, `weights`).
  public func backward(_ dState: CellState<Double>, _ cache: Cache, reading p: Parameters<Double>)
    -> CellGradients
  {
    backward(dState, cache, weights(p))
  }

  /// By default through the list `backward` makes (a stack, a catalogued mistake): every cell
  /// of one layer hands its shares on without it.
  public func backward<S: ShareSink<Double>>(
    _ dState: consuming CellState<Double>, _ cache: Cache, _ w: Weights, joining sink: inout S
  ) -> CellState<Double> {
    let g = backward(dState, cache, w)
    for (name, share) in g.parameters { sink.join(name, share) }
    return g.dStatePrev
  }

  /// By default `step` itself, which reads its weights at every step and makes a new state:
  /// a cell that reads them once and reuses its arrays (every cell of the library) says how.
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    { x, state in state = step(x, state, p) }
  }

  /// `stepping` with rooms of its own: a walk of one pass.
  public func stepping<T: Scalar>(_ p: Parameters<T>) -> StepInPlace<T> {
    stepping(p, keeping: nil)
  }

  /// One step through `stepping`: what a cell's `step` is.
  func stepOnce<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    var state = state
    stepping(p)(x, &state)
    return state
  }

  /// By default none: the backward step runs on `Double` alone.
  public func sideBySide(_ p: Parameters<Lanes>) -> SideBySideStep? { nil }

  /// By default a cell carries `h` alone.
  public var hasCellState: Bool { false }
  /// By default `V` (K×H) and `b_y` (K).
  public var outputNames: (weights: String, bias: String) { ("V", "b_y") }
  /// `h`, and `c` when the cell has one.
  public var stateNames: [String] { hasCellState ? hAndC : hAlone }
  /// The state from its parts: `parts[0]` is `h`, `parts[1]` `c` when the cell has one.
  public func state<T: Scalar>(_ parts: [[T]]) -> CellState<T> {
    CellState(h: parts[0], c: hasCellState ? parts[1] : nil)
  }
  /// Nothing carried, nothing owed: `h` (and `c`) of H zeros, in the shape of `state`.
  public func zeroState<T: Scalar>(_ dims: Dims) -> CellState<T> {
    state(stateNames.map { _ in [T](repeating: 0, count: dims.H) })
  }

  /// The softmax output layer's parameters, under this model's names.
  public var outputParameters: [ParameterSpec] {
    [
      ParameterSpec(outputNames.weights, .K, .H, scale: 0.6),
      ParameterSpec(outputNames.bias, .K, scale: 0.1),
    ]
  }
}

/// The names of a state's parts, made once: a walk asks for them for every row.
private let hAlone = ["h"], hAndC = ["h", "c"]
