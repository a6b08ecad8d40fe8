// The stacked RNN (TF MultiRNNCell, Keras StackedRNNCells, PyTorch's `num_layers`): L cells
// in a column, layer ℓ reading layer ℓ−1's h_t; the output layer reads the top layer's.

/// L cells stacked into one: a cell the walk (`SequenceModel`) runs like any other.
///
/// At step t, layer 1 reads `x_t` and layer ℓ reads `h_t^(ℓ−1)`, each with its own state
/// `h_{t−1}^(ℓ)` (and `c_{t−1}^(ℓ)`); the stack's output is the top layer's `h_t^(L)`. Every
/// layer has H units, so layer ℓ > 1's input weights are H×H. Parameters are the layers' under
/// `W^(ℓ)`-style names (`layerName`), layers counted from 1 at the bottom.
public struct StackedCell: RecurrentCell {
  /// The layers, bottom first.
  public let layers: [any RecurrentCell]
  /// Per layer, its cell's own parameter names (`W`, not `W^(1)`), read once here: a step
  /// hands each layer its values under these names (`parameters(ofLayer:in:)`).
  let layerNames: [Layout.Names]
  /// Per layer, where its parameters sit among the stack's (bottom layer first).
  let layerRanges: [Range<Int>]

  /// - Precondition: at least one layer, no `ConcatRNNCell` above the first (its `W` spans
  ///   D+H columns, and a layer above reads H), and within each layer the names differ.
  public init(_ layers: [any RecurrentCell]) {
    precondition(!layers.isEmpty, "a stack needs at least one layer")
    precondition(
      layers.dropFirst().allSatisfy { !$0.parameters.contains { $0.cols == .DPlusH } },
      "a concatenated step reads D+H columns; only the first layer reads D")
    self.layers = layers
    let names = layers.map { $0.parameters.map(\.name) }
    layerNames = names.map { names in
      precondition(Set(names).count == names.count, "names must differ: \(names)")
      return Layout.Names(distinct: names)
    }
    var start = 0
    layerRanges = names.map { names in
      defer { start += names.count }
      return start..<start + names.count
    }
  }

  /// Layer ℓ's `name` in the stack: `W^(2)` is layer 2's `W` (ℓ counted from 1).
  public static func layerName(_ name: String, layer: Int) -> String { "\(name)^(\(layer))" }

  /// The layer a stack's name belongs to and the cell's own name: `W^(2)` → (2, `W`); `nil`
  /// for a name of no layer (`V`, `b_y`).
  public static func splitName(_ name: String) -> (layer: Int, name: String)? {
    guard name.hasSuffix(")"), let open = name.range(of: "^(", options: .backwards),
      let layer = Int(name[open.upperBound..<name.index(before: name.endIndex)])
    else { return nil }
    return (layer, String(name[..<open.lowerBound]))
  }

  /// Every layer's parameters under the stack's names (`W^(1)`, `W^(2)` …), bottom layer first.
  public var parameters: [ParameterSpec] {
    layers.indices.flatMap { l in
      parameters(ofLayer: l).map { spec in
        var spec = spec
        spec.name = Self.layerName(spec.name, layer: l + 1)
        return spec
      }
    }
  }

  /// Layer `l`'s parameters (`l` from 0 at the bottom) under its cell's own names, in the
  /// stack's sizes.
  public func parameters(ofLayer l: Int) -> [ParameterSpec] {
    layers[l].parameters.map { spec in
      var spec = spec
      if l > 0, spec.cols == .D { spec.cols = .H }  // layer ℓ > 1 reads h_t^(ℓ−1): H wide
      return spec
    }
  }

  /// The top layer's: whether the state the output layer sees has a `c`.
  public var hasCellState: Bool { layers[layers.count - 1].hasCellState }

  /// Each layer's state names, bottom first: `h^(1)`, `h^(2)`, `c^(2)`.
  public var stateNames: [String] {
    layers.enumerated().flatMap { l, cell in
      cell.stateNames.map { Self.layerName($0, layer: l + 1) }
    }
  }

  /// Each layer takes as many parts as it has names, bottom first.
  public func state<T: Scalar>(_ parts: [[T]]) -> CellState<T> {
    var states: [CellState<T>] = []
    states.reserveCapacity(layers.count)  // one array, which becomes `below`
    var start = 0
    for cell in layers {
      let count = cell.stateNames.count
      states.append(cell.state(Array(parts[start..<start + count])))
      start += count
    }
    return CellState(layers: states)
  }

  /// Layer `l`'s values in `p`, under its cell's own names (`W`, not `W^(1)`): what the cell
  /// reads.
  ///
  /// Every step of every layer asks for these: the names and where they sit were read from
  /// the layers once, in `init`, which also checked that they differ.
  func parameters<T>(ofLayer l: Int, in p: Parameters<T>) -> Parameters<T> {
    let range = layerRanges[l]
    return Parameters(
      Layout(layerNames[l], shapes: Array(p.layout.shapes[range])),
      values: Array(p.values[range]))
  }

  /// The same, with `rooms` written over the layer's parameters of the pass before: its
  /// layout and its list of values, which only the values' arrays change between passes of
  /// one function (whose rooms they are: the same shapes at every pass).
  func parameters<T>(ofLayer l: Int, in p: Parameters<T>, keeping rooms: PassRooms?)
    -> Parameters<T>
  {
    guard let rooms else { return parameters(ofLayer: l, in: p) }
    let (range, room) = (layerRanges[l], rooms.room { parameters(ofLayer: l, in: p) })
    precondition(
      room.value.layout.shapes.elementsEqual(p.layout.shapes[range]), "rooms of another function")
    room.value.replaceValues(with: p.values[range])
    return room.value
  }

  /// One step of the stack on any `Scalar`: every layer's new state, bottom to top.
  public func step<T: Scalar>(_ x: [T], _ state: CellState<T>, _ p: Parameters<T>) -> CellState<T> {
    stepOnce(x, state, p)
  }

  // Prespecialised for every `Scalar` the oracles run, in a debug build: it compiles file by
  // file, and a call from another file would run the generic code, each `+` and `*` through a
  // witness table (notes/Performance.md, twentieth round). A release build specialises each call.
  /// The stack's step with every layer's parameters, and each layer's weights, read once.
  #if DEBUG
    @_specialize(where T == Double)
    @_specialize(where T == Dual)
    @_specialize(where T == DualLanes)
    @_specialize(where T == Traced)
    @_specialize(where T == Lanes)
  #endif
  public func stepping<T: Scalar>(_ p: Parameters<T>, keeping rooms: PassRooms?)
    -> StepInPlace<T>
  {
    let steps = layers.indices.map { l in
      layers[l].stepping(parameters(ofLayer: l, in: p, keeping: rooms), keeping: rooms)
    }
    return { x, state in
      var input = x  // layer 1 reads x_t
      for (l, step) in steps.enumerated() {
        state.updateLayer(l) { layer in
          step(input, &layer)
          input = layer.h  // h_t^(ℓ) is layer ℓ+1's input at the same step
        }
      }
    }
  }

  /// Every layer's weights, bottom first, each read under its cell's own names.
  public func weights(_ p: Parameters<Double>) -> StackedWeights {
    StackedWeights(
      layers: layers.indices.map { l in layers[l].weights(parameters(ofLayer: l, in: p)) })
  }

  /// One step of the stack on `Double`, keeping every layer's cache.
  public func forward(_ x: [Double], _ state: CellState<Double>, _ w: StackedWeights)
    -> (state: CellState<Double>, cache: StackedCache)
  {
    var input = x
    var next: [CellState<Double>] = []
    next.reserveCapacity(layers.count)  // one array, which becomes `below`
    var caches: [any Sendable] = []
    for (l, cell) in layers.enumerated() {
      let (s, cache) = cell.forward(input, state.layer(l), erased: w.layers[l])
      next.append(s)
      caches.append(cache)
      input = s.h
    }
    return (CellState(layers: next), StackedCache(layers: caches))
  }

  /// Backward through one step of the stack, top layer first (`backwardThroughLayers`).
  public func backward(
    _ dState: consuming CellState<Double>, _ cache: StackedCache, _ w: StackedWeights
  ) -> CellGradients {
    backwardThroughLayers(dState, cache, w).gradients
  }

  /// Backward through one step of the stack, top layer first, keeping what each layer was
  /// handed (what the `stacked-rnn` trace shows).
  ///
  /// `dState` is what the walk hands the stack: for the top layer `∂E/∂h_t^(L)` (from `E_t`
  /// and from step t+1) and its `dcNext`; for each layer below, only what came back from step
  /// t+1 (`dhNext^(ℓ)`, `dcNext^(ℓ)`). The rest of `∂E/∂h_t^(ℓ)` comes from the layer above at
  /// the same step: its `∂E/∂x`, since `h_t^(ℓ)` is its input.
  public func backwardThroughLayers(
    _ dState: CellState<Double>, _ cache: StackedCache, _ w: StackedWeights
  ) -> StackedStepGradients {
    var handed = dState.layers  // dhNext^(ℓ) (and dcNext^(ℓ)), from step t+1
    var fromAbove = layers.map { _ in [Double](repeating: 0, count: dState.h.count) }
    var perLayer: [CellGradients] = []
    for l in layers.indices.reversed() {
      if l < layers.count - 1 {
        // ∂E/∂h_t^(ℓ) = ∂E/∂x_t^(ℓ+1) (the layer above, same step) + dhNext^(ℓ) (step t+1)
        fromAbove[l] = perLayer[0].dx
        handed[l].h = handed[l].h .+ fromAbove[l]
      }
      let g = layers[l].backward(handed[l], erased: cache.layers[l], w.layers[l])
      perLayer.insert(g, at: 0)
    }
    let bottom = perLayer[0]
    let gradients = CellGradients(
      parameters: perLayer.enumerated().flatMap { l, g in
        g.parameters.map { (Self.layerName($0.name, layer: l + 1), $0.gradient) }
      },
      dStatePrev: CellState(layers: perLayer.map(\.dStatePrev)),  // each to its own h_{t−1}^(ℓ)
      dx: bottom.dx)  // ∂E/∂x_t: only layer 1 reads x_t
    return StackedStepGradients(gradients: gradients, handed: handed, fromAbove: fromAbove)
  }

  /// The worst of the layers'.
  public func conditioning(_ cache: StackedCache) -> Double {
    zip(layers, cache.layers).reduce(1) { max($0, $1.0.conditioning(erased: $1.1)) }
  }
}

/// Each layer's cache, bottom first (each cell's own `Cache`).
public struct StackedCache: Sendable {
  /// Each layer's `Cache`, bottom first.
  public var layers: [any Sendable]
}

/// Each layer's weights, bottom first (each cell's own `Weights`).
public struct StackedWeights: Sendable {
  /// Each layer's `Weights`, bottom first.
  public var layers: [any Sendable]
}

/// One step of the stack backwards, layer by layer.
public struct StackedStepGradients: Sendable {
  /// What the stack's `backward` returns.
  public var gradients: CellGradients
  /// Per layer, bottom first, what its cell was handed: `∂E/∂h_t^(ℓ)` in full (and `dcNext`).
  public var handed: [CellState<Double>]
  /// Per layer, the part of `∂E/∂h_t^(ℓ)` from the layer above (zeros for the top layer).
  public var fromAbove: [[Double]]
}

extension CellState {
  /// A stack's state layer by layer, bottom first: `below`, then the top layer's `h` and `c`.
  public var layers: [CellState] { below + [CellState(h: h, c: c)] }

  /// Layer `l`'s state, bottom first (`layers[l]`), without making the list of them: what a
  /// stack's step reads at every step.
  public func layer(_ l: Int) -> CellState {
    precondition(l <= below.count, "a stack of \(below.count + 1) layers has no layer \(l)")
    return l < below.count ? below[l] : CellState(h: h, c: c)
  }

  /// Layer `l`'s state (`layer(l)`) handed to `body` to write over, in place: the top layer's
  /// `h` and `c` moved out and back, so that its arrays have one holder.
  mutating func updateLayer(_ l: Int, _ body: (_ layer: inout CellState) -> Void) {
    precondition(l <= below.count, "a stack of \(below.count + 1) layers has no layer \(l)")
    if l < below.count { return body(&below[l]) }
    var top = CellState(h: [])
    swap(&top.h, &h)
    swap(&top.c, &c)
    body(&top)
    swap(&top.h, &h)
    swap(&top.c, &c)
  }

  /// A stack's state from its layers' states, bottom first: the top taken off the array, which
  /// becomes `below` (the same array where no one else holds it, not a copy).
  public init(layers: consuming [CellState]) {
    var below = layers
    let top = below.removeLast()
    self.init(h: top.h, c: top.c, below: below)
  }
}

extension RecurrentCell {
  /// Weights whose type a stack of mixed cells does not know statically, as this cell's.
  func weights(erased w: any Sendable) -> Weights {
    guard let w = w as? Weights else { preconditionFailure("the weights of another cell") }
    return w
  }

  /// `forward` with weights whose type a stack of mixed cells does not know statically.
  func forward(_ x: [Double], _ state: CellState<Double>, erased w: any Sendable)
    -> (state: CellState<Double>, cache: Cache)
  {
    forward(x, state, weights(erased: w))
  }

  /// `backward` on a cache and weights whose types a stack of mixed cells does not know
  /// statically.
  func backward(_ dState: CellState<Double>, erased cache: any Sendable, _ w: any Sendable)
    -> CellGradients
  {
    guard let cache = cache as? Cache else { preconditionFailure("a cache from another cell") }
    return backward(dState, cache, weights(erased: w))
  }

  /// `conditioning` on a cache of a statically unknown type.
  func conditioning(erased cache: any Sendable) -> Double {
    guard let cache = cache as? Cache else { preconditionFailure("a cache from another cell") }
    return conditioning(cache)
  }
}
