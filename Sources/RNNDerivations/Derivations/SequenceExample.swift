// What every through-time trace starts from: random parameters, a random sequence and a random
// initial state, drawn in that order from the config's seed, run forward and back once.

/// A cell's model at a config, with its forward run and its gradients.
struct SequenceExample<Cell: RecurrentCell> {
  var model: SequenceModel<Cell>
  var p: Parameters<Double>
  var initial: CellState<Double>
  var run: SequenceForward<Double, Cell.Cache>
  var gradients: SequenceGradients
  /// The parameters, then the initial state: what the oracles perturb.
  var point: [Variable] { model.point(p, initial: initial) }

  /// Draws the parameters (each at its declared scale times the config's), the sequence, then
  /// `h` (and `c`; a stack's layers bottom first) uniform in `[−0.5, 0.5)`.
  init(_ cell: Cell, _ config: Config, stateNames: [String]) {
    var rng = SplitMix64(seed: config.seed)
    let dims = config.dims
    let specs = SequenceModel(cell, xs: [], targets: [], dims: dims).parameters
    p = .random(specs, dims, &rng, scale: config.scale)
    let (xs, targets) = rng.sequence(dims, steps: config.steps)
    initial = cell.state(cell.stateNames.map { _ in rng.vector(dims.H, scale: 0.5) })
    model = SequenceModel(cell, xs: xs, targets: targets, dims: dims, stateNames: stateNames)
    run = model.forward(p, from: initial)
    gradients = model.backward(run, p)
  }

  /// How much cancellation magnifies the backward pass's rounding on this run.
  var conditioning: Double { model.conditioning(run) }

  /// A parameter's value, shown under its own name.
  func parameter(_ name: String) -> NamedValue {
    let shape = p.layout.shapes[p.layout.index(of: name)]
    return shape.isVector ? NamedValue(name, p[name]) : NamedValue(name, p.matrix(name))
  }
}
