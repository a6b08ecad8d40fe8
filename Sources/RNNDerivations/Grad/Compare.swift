// `grad --compare`: a learner's gradients against the walk's, and each difference explained:
// the entries, the time steps whose contributions account for it, a transposed matrix, and the
// catalogued mistake that reproduces the numbers.

/// A learner's gradients judged against the walk's, gradient by gradient.
///
/// A gradient matches when every entry is within `Tolerances.learnerGradient` of the correct
/// gradient's largest entry (of 1 where that gradient is zero): the error model of a float32
/// computation printed to a few digits, never an entry's own size.
public struct GradComparison: Sendable {
  /// One entry where the gradients differ.
  public struct Entry: Sendable {
    /// `W[2, 1]`, `b[4]`.
    public var label: String
    /// Your value of the entry.
    public var yours: Double
    /// The walk's value of the entry.
    public var correct: Double
  }

  /// The steps whose contributions explain a difference: `yours − correct ≈ factor ·
  /// Σ_{t = first…last} contribution_t`, where contribution_t is what the walk adds into the
  /// gradient at step t.
  public struct Steps: Sendable {
    /// The first step of the run (t counted from 0).
    public var first: Int
    /// The last step of the run.
    public var last: Int
    /// The factor `α` of the fit.
    public var factor: Double
    /// T, the steps of the sequence.
    public var count: Int
  }

  /// One gradient, judged.
  public struct Item: Sendable {
    /// The gradient's name in the point: `W`, `h`.
    public var name: String
    /// `∂E/∂W`, `∂E/∂h₀`.
    public var label: String
    /// The gradient's shape.
    public var shape: Shape
    /// Every entry within the tolerance, and not given transposed.
    public var match: Bool
    /// `max |yours − correct|` over the correct gradient's largest entry (transposed back first
    /// when `transposed`).
    public var maxDifference: Double
    /// Given in the transposed shape, or (square) equal to the correct gradient transposed.
    public var transposed: Bool
    /// Up to 3 entries over the tolerance, the largest difference first.
    public var worst: [Entry]
    /// The steps that explain the difference, when one run of steps does, and only one.
    public var steps: Steps?
  }

  /// The walk's gradients, and the input they came from.
  public var result: GradResult
  /// The parameters' gradients given, judged in the order given.
  public var parameters: [Item]
  /// Only the initial states given.
  public var initialState: [Item]
  /// The catalogued mistakes whose gradients match every gradient given (none are run when
  /// everything matches).
  public var mistakes: [Mistake]
  /// How many mistakes of this model were run.
  public var tried: Int

  /// Every gradient given matches.
  public var matches: Bool { (parameters + initialState).allSatisfy(\.match) }

  /// The largest `|·|` of a gradient, or 1 if it is zero: the yardstick of a difference.
  static func scale(_ g: [Double]) -> Double {
    let largest = largestMagnitude(g)
    return largest > 0 ? largest : 1
  }

  /// Whether every entry of `a` is within `bound` of `b`'s.
  static func within(_ a: [Double], _ b: [Double], _ bound: Double) -> Bool {
    zip(a, b).allSatisfy { abs($0 - $1) <= bound }
  }

  /// Compares `theirs` with `result`'s gradients, explains each difference, and runs the
  /// catalogue's mistakes of the model on the same input.
  public init(_ result: GradResult, theirs: TheirGradients) {
    self.result = result
    let input = result.input
    var deltas: [String: [Double]] = [:]
    func judge(_ given: TheirGradients.Given) -> Item {
      // `TheirGradients.parse` took every name from this input's model.
      let k = input.point.firstIndex { $0.name == given.name } ?? 0
      let (v, correct) = (input.point[k], result.result.gradients[k])
      let bound = Tolerances.learnerGradient * Self.scale(correct)
      var (yours, transposed) = (given.values, given.hasTransposedShape)
      if transposed {
        yours = Matrix(rows: v.shape.cols, cols: v.shape.rows, storage: yours).transposed.storage
      } else if !v.shape.isVector, v.shape.rows == v.shape.cols, !Self.within(yours, correct, bound)
      {
        let back = Matrix(rows: v.shape.rows, cols: v.shape.cols, storage: yours).transposed
        if Self.within(back.storage, correct, bound) { (yours, transposed) = (back.storage, true) }
      }
      let delta = yours .- correct
      let largest = largestMagnitude(delta)
      if largest > bound { deltas[v.name] = delta }
      let worst = delta.indices.filter { abs(delta[$0]) > bound }
        .sorted { abs(delta[$0]) > abs(delta[$1]) }.prefix(3)
        .map { Entry(label: v.name + v.shape.index($0), yours: yours[$0], correct: correct[$0]) }
      return Item(
        name: v.name, label: result.label(v), shape: v.shape,
        match: !transposed && largest <= bound, maxDifference: largest / Self.scale(correct),
        transposed: transposed, worst: Array(worst))
    }
    parameters = theirs.parameters.map(judge)
    initialState = theirs.initialState.map(judge)
    // The initial state's gradient is not a sum over steps: only parameters are fitted.
    let fits = StepFit.fits(
      input, deltas: deltas.filter { name, _ in input.params.contains { $0.name == name } },
      result.result.gradients)
    for k in parameters.indices { parameters[k].steps = fits[parameters[k].name] }
    (mistakes, tried) = ([], 0)
    guard !matches else { return }
    let catalogue = Mistakes.all.filter { $0.applies(to: input) }
    tried = catalogue.count
    mistakes = catalogue.filter { Self.reproduces($0.gradients(input), theirs, result) }
  }

  /// Whether a mistake's gradients match every gradient given, on the same error model (the
  /// yardstick the larger of the correct gradient's and the mistake's largest entries: a
  /// float32 computation of the mistake rounds on its own scale).
  static func reproduces(_ wrong: [[Double]], _ theirs: TheirGradients, _ result: GradResult)
    -> Bool
  {
    (theirs.parameters + theirs.initialState).allSatisfy { given in
      guard !given.hasTransposedShape,
        let k = result.input.point.firstIndex(where: { $0.name == given.name })
      else { return false }
      let bound =
        Tolerances.learnerGradient * max(scale(result.result.gradients[k]), scale(wrong[k]))
      return within(given.values, wrong[k], bound)
    }
  }
}

/// Fits each parameter's difference `δ = yours − correct` to `α ·` the sum of a run of steps'
/// contributions (one step, the steps after t, or the steps before t), while the walk goes
/// back through time once.
struct StepFit {
  var deltas: [String: [Double]]
  var totals: [String: [Double]]
  var bounds: [String: Double]
  var steps: Int
  /// Per parameter, `Σ_{t' ≥ t}` contribution_t' so far (the walk goes from T − 1 down).
  var tails: [String: [Double]] = [:]
  /// Per parameter, every run of steps whose fit leaves no entry over the bound.
  var found: [String: [GradComparison.Steps]] = [:]

  /// The fits of `deltas` (parameters only) at `input`, one per parameter at most (`pick`).
  static func fits(_ input: GradInput, deltas: [String: [Double]], _ correct: [[Double]])
    -> [String: GradComparison.Steps]
  {
    guard !deltas.isEmpty else { return [:] }
    let totals = Dictionary(
      uniqueKeysWithValues: zip(input.point.map(\.name), correct).filter { deltas[$0.0] != nil })
    var fit = StepFit(
      deltas: deltas, totals: totals,
      bounds: totals.mapValues { Tolerances.learnerGradient * GradComparison.scale($0) },
      steps: input.inputs.count)
    func walk(_ cell: some RecurrentCell) {
      let model = input.sequence(cell)
      let point = Parameters(input.point)
      let p = model.parameters(of: point)
      let run = model.forward(p, from: model.initialState(of: point))
      _ = model.backward(run, p, truncation: input.truncation) { fit.visit($0, $1, $2) }
    }
    walk(input.cell)
    return fit.found.compactMapValues(pick)
  }

  /// The one explanation of the runs that fit: the longest, if they all fit with the same
  /// factor (a step that contributes nothing, such as step 0 to `∂E/∂W` from `h₋₁ = 0`,
  /// changes no sum: a `∂E/∂W` of twice the correct one is "all steps", not "steps 1…T−1");
  /// none if their factors differ, where any difference would fit some factor (two classes:
  /// every `ŷ − y` is `[a, −a]`), so that no lucky fit is reported.
  static func pick(_ runs: [GradComparison.Steps]) -> GradComparison.Steps? {
    guard let first = runs.first else { return nil }
    let factor = GradComparison.Steps.number(first.factor)
    guard runs.allSatisfy({ GradComparison.Steps.number($0.factor) == factor }) else { return nil }
    return runs.max { $0.last - $0.first < $1.last - $1.first }
  }

  /// Step `t`'s contribution to `name`: fits the step alone, the steps `t…T−1`, and the
  /// steps `0…t−1` (the total less the steps from t on).
  mutating func visit(_ t: Int, _ name: String, _ contribution: [Double]) {
    guard let delta = deltas[name], let total = totals[name], let bound = bounds[name] else {
      return
    }
    let tail = (tails[name] ?? contribution.map { _ in 0 }) .+ contribution
    tails[name] = tail
    var runs = [(t, t, contribution)]
    if t < steps - 1 { runs.append((t, steps - 1, tail)) }
    if t >= 2 { runs.append((0, t - 1, total .- tail)) }
    for (first, last, sum) in runs {
      // Least squares: α = ⟨δ, s⟩ / ⟨s, s⟩; then the largest entry left over.
      let ss = sum.reduce(0) { $0 + $1 * $1 }
      guard ss > 0 else { continue }
      let alpha = zip(delta, sum).reduce(0) { $0 + $1.0 * $1.1 } / ss
      let residual = zip(delta, sum).reduce(0) { max($0, abs($1.0 - alpha * $1.1)) }
      if residual <= bound {
        found[name, default: []].append(
          GradComparison.Steps(first: first, last: last, factor: alpha, count: steps))
      }
    }
  }
}

extension GradComparison.Steps: CustomStringConvertible {
  /// `the difference is −1.00 × the sum of steps 1…3's contributions: your gradient holds only
  /// step 0's`.
  public var description: String {
    func steps(_ a: Int, _ b: Int) -> String { a == b ? "step \(a)'s" : "steps \(a)…\(b)'s" }
    let all = first == 0 && last == count - 1
    let what =
      first == last
      ? "step \(first)'s contribution" : "the sum of steps \(first)…\(last)'s contributions"
    var out = "the difference is \(Self.number(factor)) × \(what)"
    // Say what the learner's gradient holds when the factor prints as ±1 or the run is all.
    let rounded = (factor * 100).rounded() / 100
    if all {
      out +=
        rounded == -1
        ? ": your gradient is zero" : ": yours is \(Self.number(1 + factor)) × the correct gradient"
    } else if rounded == -1 {
      out +=
        first == last
        ? ": your gradient misses step \(first)'s"
        : ": your gradient holds only "
          + (first == 0 ? steps(last + 1, count - 1) : steps(0, first - 1))
    } else if rounded == 1 {
      out += ": your gradient counts \(steps(first, last)) twice"
    }
    return out
  }

  /// Two decimals, with a real minus sign.
  static func number(_ x: Double) -> String {
    String(format: "%.2f", x).replacingOccurrences(of: "-", with: "−")
  }
}

extension GradComparison {
  /// The report as JSON (README, "grad --compare"), keys in a fixed order.
  public var json: JSON {
    let input = result.input
    func item(_ i: Item) -> (String, JSON) {
      let worst = i.worst.map { e in
        JSON.object([
          ("entry", .string(e.label)), ("yours", .number(e.yours)), ("correct", .number(e.correct)),
        ])
      }
      let steps = i.steps.map { s in
        JSON.object([
          ("first", .number(Double(s.first))), ("last", .number(Double(s.last))),
          ("factor", .number(s.factor)), ("explanation", .string(s.description)),
        ])
      }
      return (
        i.name,
        .object([
          ("match", .bool(i.match)), ("max_difference", .number(i.maxDifference)),
          ("transposed", .bool(i.transposed)), ("worst", .array(worst)), ("steps", steps ?? .null),
        ])
      )
    }
    var pairs: [(String, JSON)] = [("model", .string(input.model.rawValue))]
    if input.model == .gru { pairs.append(("variant", .string(input.variant.rawValue))) }
    pairs += [
      ("tolerance", .number(Tolerances.learnerGradient)), ("matches", .bool(matches)),
      ("gradients", .object(parameters.map(item))),
    ]
    if !initialState.isEmpty {
      pairs.append(("initial_state_gradients", .object(initialState.map(item))))
    }
    pairs += [
      ("mistakes_tried", .number(Double(tried))),
      (
        "mistakes",
        .array(
          mistakes.map { m in
            .object([
              ("id", .string(m.id)), ("model", .string("\(m.model)")),
              ("summary", .string(m.summary)),
            ])
          })
      ),
    ]
    return .object(pairs)
  }

  /// A table of verdicts, then what explains each difference, then the mistakes that match.
  public func text(renderer: TextRenderer) -> String {
    let input = result.input
    var out = "\(input.modelVariant)"
    if input.model == .lstm { out += " (forget_bias \(format(input.forgetBias)))" }
    out += " · T=\(input.inputs.count) · \(input.dims): your gradients against the walk's\n"
    out += "A gradient matches when every entry is within \(sci(Tolerances.learnerGradient)) "
    out += "of its largest entry.\n\n"
    out += pad("GRADIENT", 14) + pad("SHAPE", 8) + pad("MAX DIFF", 12) + "RESULT\n"
    let items = parameters + initialState
    for i in items {
      out += pad(i.label, 14) + pad("\(i.shape)", 8) + pad(sci(i.maxDifference), 12)
      out += renderer.verdict(i.match, ("MATCH", "DIFFERS")) + "\n"
    }
    for i in items where !i.match {
      out += "\n"
      if i.transposed {
        out += "\(i.label) is transposed; transposed back, it "
        out += i.worst.isEmpty ? "matches\n" : "still differs:\n"
      } else {
        out += "\(i.label) differs by up to \(sci(i.maxDifference)) of its largest entry:\n"
      }
      for e in i.worst {
        out += "  " + pad(e.label, 12) + "yours " + pad("\(e.yours)", 24) + "correct \(e.correct)\n"
      }
      if let steps = i.steps { out += "  \(steps)\n" }
    }
    out += "\n"
    if matches { return out + "Every gradient matches.\n" }
    for m in mistakes { out += "matches known mistake \(m.id): \"\(m.summary)\"\n" }
    if mistakes.isEmpty {
      out += "No known mistake reproduces your gradients "
      out += "(\(tried) of the catalogue's are made in \(input.modelVariant)).\n"
    }
    return out
  }
}
