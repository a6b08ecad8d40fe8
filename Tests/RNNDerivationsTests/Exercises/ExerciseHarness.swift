// The harness of the exercises (notes/Exercises.md): runs a learner's backward pass on fixed
// seeded inputs, judges it against the three oracles (dual numbers, the tape, finite
// differences: never against the library's backward pass), says where it differs, quantity by
// quantity in the order of the chain rule (and, through time, step by step), and names the
// classic mistake its numbers reproduce.

import Foundation
@testable import RNNDerivations
import Testing

/// What a learner's function gave for one variable of a problem.
struct Answered: Sendable {
  var shape: Shape
  var values: [Double]
  init(_ v: [Double]) { (shape, values) = (.vector(v.count), v) }
  init(_ m: Matrix<Double>) { (shape, values) = (.matrix(m.rows, m.cols), m.storage) }
}

/// The fixed input of an exercise: a forward function for the oracles and the point, its
/// variables in the order of the chain rule (the first one a backward pass computes first).
struct Problem: Sendable {
  var function: any ForwardFunction
  var point: [Variable]
  /// How much cancellation magnifies the rounding of a correct answer (`GradientCheck`).
  var conditioning: Double
  /// `seed 0, D=3, H=5`.
  var label: String
  /// The variables in the order a backward pass reaches them, when the point's order (which
  /// the forward function fixes) is not.
  var chainOrder: [String]? = nil
}

/// A numbers pattern a classic mistake leaves: the values it predicts for some variables.
struct Pattern: Sendable {
  /// `missing-activation-derivative`, or a catalogued mistake's id.
  var id: String
  var hint: String
  /// By variable name.
  var predicted: [String: [Double]]
}

/// One hint: the mistake or pattern the answer reproduces, and what to look at.
struct Hint: Sendable, Equatable {
  var id: String
  var text: String
}

/// The learner's function run inside the library's walk at the catalogue's example: what a
/// catalogued mistake is compared with.
struct Walked: Sendable {
  var input: GradInput
  /// In the order of `input.point`.
  var gradients: [[Double]]
}

/// An exercise: where the learner writes, the problem it is checked on, and how its classic
/// mistakes are recognised.
///
/// `Answer` is the type of the learner's function.
struct Exercise<Answer: Sendable>: Sendable {
  /// The `show` id of the matching derivation: `rnn-step`.
  var id: String
  /// `yourRNNStepBackward`.
  var function: String
  /// `RNNStep`: the exercise is `Exercises/RNNStepExercise.swift`, the note `notes/RNNStep.md`.
  var stem: String
  /// The library's own function that answers it: `rnnStepBackward`.
  var solution: String
  var problem: Problem
  /// The learner's values on the problem, one per variable of the point; nil: untouched.
  var ask: @Sendable (Answer) -> [Answered]?
  /// The learner's function inside the walk, at the catalogue's example of a model.
  var walk: @Sendable (Answer) -> Walked
  /// The patterns of the classic mistakes, predicted from the oracle's values by name.
  var patterns: @Sendable (_ reference: [String: [Double]]) -> [Pattern] = { _ in [] }
  /// Through time: per parameter, which steps' contributions explain a difference.
  var steps: StepExplanation? = nil

  /// Per parameter, the steps whose contributions explain `deltas` (yours − the oracle's).
  typealias StepExplanation =
    @Sendable (_ deltas: [String: [Double]], _ reference: [String: [Double]]) -> [String:
    GradComparison.Steps]

  var file: String { "Tests/RNNDerivationsTests/Exercises/\(stem)Exercise.swift" }

  /// Whether the learner has written the function (it returns a value on the problem).
  func isAnswered(_ answer: Answer) -> Bool { ask(answer) != nil }

  /// The learner's answer judged; nil when untouched.
  func check(_ answer: Answer) -> ExerciseResult? {
    guard let given = ask(answer) else { return nil }
    var result = ExerciseResult(
      id: id, function: function, file: file, solution: solution, label: problem.label)
    // A matrix of the transposed shape is judged transposed back; any other wrong shape
    // cannot be compared and is judged on zeros (its row says WRONG SHAPE).
    var analytic: [[Double]] = []
    for (v, a) in zip(problem.point, given) {
      let swapped = Shape.matrix(v.shape.cols, v.shape.rows)
      if a.values.count == v.values.count, a.shape == v.shape || v.shape.isVector {
        analytic.append(a.values)
      } else if !v.shape.isVector, a.shape == swapped {
        result.shapeErrors[v.name] =
          "is \(a.shape), expected \(v.shape): transposed (judged transposed back)"
        result.hints.append(
          Hint(
            id: "transposed",
            text: "∂E/∂\(v.name) is \(a.shape), the shape of \(v.name)ᵀ: " + Self.outerProduct))
        analytic.append(
          Matrix(rows: a.shape.rows, cols: a.shape.cols, storage: a.values).transposed.storage)
      } else {
        result.shapeErrors[v.name] =
          "has \(a.values.count) entries (\(a.shape)), expected \(v.shape)"
        analytic.append(v.values.map { _ in 0 })
      }
    }
    result.checks = verify(
      problem.function, at: problem.point, analytic: analytic, conditioning: problem.conditioning)
    let order = problem.chainOrder ?? problem.point.map(\.name)
    result.variables = order.compactMap { name in
      problem.point.first { $0.name == name }.map { ($0.name, $0.shape) }
    }
    guard !result.passed else { return result }
    // The dual numbers' values: exact to rounding, the reference every pattern is built on.
    let reference = Dictionary(
      uniqueKeysWithValues: result.checks.filter { $0.reference == Oracle.dual.rawValue }.map {
        ($0.parameter, $0.expected)
      })
    let yours = Dictionary(uniqueKeysWithValues: zip(problem.point.map(\.name), analytic))
    let failing = Set(result.checks.filter { !$0.passed }.map(\.parameter))
    // The walk adds what the learner's step returns into vectors of the right length: only
    // answers of the right sizes can run through it.
    if zip(problem.point, given).allSatisfy({ $0.values.count == $1.values.count }) {
      result.hints += walkedMistakes(walk(answer))
    }
    result.hints += classicPatterns(problem.point, yours, reference, failing)
    if let steps {
      // yours − the oracle's, for every failing variable.
      var differences: [String: [Double]] = [:]
      for name in failing {
        if let y = yours[name], let r = reference[name] { differences[name] = y .- r }
      }
      result.steps = steps(differences, reference)
      // A difference of −1 × some steps' contributions: those steps were never added in.
      let partial = result.variables.map(\.name).filter { name in
        result.steps[name].map { s in
          GradComparison.Steps.number(s.factor) == "−1.00"
            && !(s.first == 0 && s.last == s.count - 1)
        } ?? false
      }
      if !partial.isEmpty {
        result.hints.append(
          Hint(
            id: "no-accumulation",
            text: partial.map { "∂E/∂\($0)" }.joined(separator: ", ")
              + " leave steps out (see above): a weight every step shares gets one contribution per "
              + "step, added with +=, not ="))
      }
    }
    return result
  }

  static var outerProduct: String {
    "a weight gradient is an outer product, ∂E/∂a ⊗ (the input the weight multiplies), with one row "
      + "per unit of a"
  }

  /// The catalogued mistakes of the walk's model whose gradients the learner's reproduce.
  func walkedMistakes(_ walked: Walked) -> [Hint] {
    Mistakes.all.filter { $0.applies(to: walked.input) }.compactMap { m in
      let wrong = m.gradients(walked.input)
      let same =
        walked.gradients.count == wrong.count
        && zip(walked.gradients, wrong).allSatisfy { agree($0, $1) }
      return same ? Hint(id: m.id, text: "matches known mistake \(m.id): \"\(m.summary)\"") : nil
    }
  }

  /// The generic patterns (a matrix transposed, a sign flipped, a gradient left zero) on each
  /// failing variable, and the exercise's own, which must explain at least one failing one.
  func classicPatterns(
    _ point: [Variable], _ yours: [String: [Double]], _ reference: [String: [Double]],
    _ failing: Set<String>
  ) -> [Hint] {
    var hints: [Hint] = []
    for v in point where failing.contains(v.name) {
      guard let y = yours[v.name], let r = reference[v.name] else { continue }
      if !v.shape.isVector, v.shape.rows == v.shape.cols,
        agree(y, Matrix(rows: v.shape.rows, cols: v.shape.cols, storage: r).transposed.storage)
      {
        hints.append(
          Hint(
            id: "transposed",
            text: "∂E/∂\(v.name) is the right gradient transposed: " + Self.outerProduct))
      }
      if agree(y, r.map { -$0 }) {
        hints.append(Hint(id: "wrong-sign", text: "∂E/∂\(v.name) has the wrong sign"))
      }
      if y.allSatisfy({ $0 == 0 }) {
        hints.append(
          Hint(
            id: "zero",
            text: "∂E/∂\(v.name) is zero: never computed, or the path that carries it was dropped"))
      }
    }
    for pattern in patterns(reference)
    where pattern.predicted.keys.contains(where: failing.contains)
      && pattern.predicted.allSatisfy({ name, values in
        yours[name].map { agree($0, values) } ?? false
      })
    {
      hints.append(Hint(id: pattern.id, text: pattern.hint))
    }
    return hints
  }
}

/// Two gradients agree on the error model of a learner's numbers (`grad --compare`): every
/// entry within `Tolerances.learnerGradient` of the larger of their largest entries.
func agree(_ a: [Double], _ b: [Double]) -> Bool {
  a.count == b.count
    && GradComparison.within(
      a, b,
      Tolerances.learnerGradient * max(GradComparison.scale(a), GradComparison.scale(b)))
}

/// What the harness found: the checks, quantity by quantity, and the hints.
struct ExerciseResult: Sendable {
  var id, function, file, solution, label: String
  /// Every check, three per variable (dual, tape, finite differences), in the point's order.
  var checks: [GradientCheck] = []
  var variables: [(name: String, shape: Shape)] = []
  /// Variables given in a shape that is not theirs, and what was wrong.
  var shapeErrors: [String: String] = [:]
  var hints: [Hint] = []
  /// Through time: per parameter, the steps whose contributions explain the difference.
  var steps: [String: GradComparison.Steps] = [:]

  var passed: Bool { shapeErrors.isEmpty && checks.allSatisfy(\.passed) }

  /// The checks of one variable.
  func checks(of name: String) -> [GradientCheck] { checks.filter { $0.parameter == name } }

  /// The report `swift test` prints: a row per quantity in chain order, where each differing
  /// one differs, the hints, and where the solution is.
  var report: String {
    var out = "Exercise \(id): \(function) (\(file))\n"
    out += "checked at \(label) against dual numbers, a tape and finite differences, "
    out += "in the order of the chain rule:\n\n"
    out += pad("QUANTITY", 26) + pad("SHAPE", 8) + pad("MAX ERROR", 12) + "RESULT\n"
    for (name, shape) in variables {
      let own = checks(of: name)
      let quantity = own.first?.quantity ?? name
      let error = own.map(\.maxScaledError).max() ?? 0
      let verdict =
        shapeErrors[name] != nil ? "WRONG SHAPE" : own.allSatisfy(\.passed) ? "OK" : "DIFFERS"
      out += pad(quantity, 26) + pad("\(shape)", 8) + pad(sci(error), 12) + verdict + "\n"
    }
    if passed { return out + "\nEvery quantity agrees with every oracle: solved.\n" }
    let first = variables.first { v in
      shapeErrors[v.name] != nil || !checks(of: v.name).allSatisfy(\.passed)
    }
    if let first {
      out +=
        "\nThe first quantity that differs is \(checks(of: first.name).first?.quantity ?? first.name): "
      out += "look there first; what the chain rule computes from it inherits its error.\n"
    }
    for (name, _) in variables {
      if let error = shapeErrors[name] {
        out += "\n\(checks(of: name).first?.quantity ?? name) \(error)\n"
      }
      guard let failing = checks(of: name).first(where: { !$0.passed }) else { continue }
      let oracles = checks(of: name).filter { !$0.passed }.map(\.reference).joined(separator: ", ")
      out += "\n\(failing.quantity) differs (\(oracles)): \(failing.failures) of "
      out += "\(failing.analytic.count) entries over the error model\n"
      let worst = failing.analytic.indices.filter(failing.fails)
        .sorted { failing.difference($0) > failing.difference($1) }.prefix(3)
      for k in worst {
        out +=
          "  " + pad(failing.shape.index(k), 10) + "yours " + pad(format(failing.analytic[k]), 14)
        out += "\(failing.reference) \(format(failing.expected[k]))\n"
      }
      if let s = steps[name] { out += "  through time: \(s)\n" }
    }
    out += "\n"
    if hints.isEmpty {
      out += "No classic mistake reproduces your numbers.\n"
    } else {
      for hint in hints { out += "hint: \(hint.text)\n" }
    }
    return out + "The solution, one link away: \(solution).\n"
  }
}

/// The library's walk with the learner's step in place of the cell's backward step, at the
/// catalogue's example of `model`: its gradients, parameters then initial state.
func walked<Cell: RecurrentCell>(
  _ cell: Cell, _ model: ModelVariant,
  backward:
    @escaping @Sendable (CellState<Double>, Cell.Cache, Parameters<Double>) -> CellGradients? = {
      _, _, _ in nil
    },
  output: (@Sendable ([Double], Int, [Double], Matrix<Double>) -> OutputLayerGradients?)? = nil
) -> Walked {
  let input = catalogueExample(cell, model)
  // Where the learner's function gives nothing, the library's own step stays in place.
  var wrong = SequenceModel(
    MistakenCell(base: cell) { d, k, p in backward(d, k, p) ?? cell.backward(d, k, reading: p) },
    xs: input.inputs, targets: input.targets, dims: input.dims)
  if let output {
    wrong.outputBackward = { yHat, target, s, V in
      output(yHat, target, s, V) ?? outputLayerBackward(yHat: yHat, target: target, s: s, V: V)
    }
  }
  return Walked(input: input, gradients: wrong.gradients(at: input.point).gradients)
}

/// The catalogue's example (`Mistakes.config`) as a `grad` input of `model`.
func catalogueExample(_ cell: some RecurrentCell, _ model: ModelVariant) -> GradInput {
  SequenceExample(cell, Mistakes.config, stateNames: model.kind.stateNames).input(model)
}

/// `missing-activation-derivative`: the gate's `∂E/∂b`, `∂E/∂W`, `∂E/∂U` as if `∂E/∂a` had
/// not been multiplied by `factor` (each is `∂E/∂a` on its rows: divide the rows back).
func missingFactor(
  _ g: GateNames, _ factor: [Double], _ what: String, _ reference: [String: [Double]]
) -> Pattern? {
  guard let b = reference[g.b], let W = reference[g.W], let U = reference[g.U] else { return nil }
  let inverse = factor.map { 1 / $0 }
  func rows(_ m: [Double]) -> [Double] {
    Matrix(rows: factor.count, cols: m.count / factor.count, storage: m).scalingRows(by: inverse)
      .storage
  }
  return Pattern(
    id: "missing-activation-derivative",
    hint: "∂E/∂\(g.b), ∂E/∂\(g.W) and ∂E/∂\(g.U) miss the activation's derivative \(what): "
      + "∂E/∂a = ∂E/∂(output) ⊙ \(what) comes before the weights",
    predicted: [g.b: b .* inverse, g.W: rows(W), g.U: rows(U)])
}

/// Asserts that a learner's answer solves its exercise, and prints the report in one write.
func expectSolved(_ result: ExerciseResult?, sourceLocation: SourceLocation = #_sourceLocation) {
  guard let result else {
    Issue.record("the exercise is untouched", sourceLocation: sourceLocation)
    return
  }
  FileHandle.standardOutput.write(Data((result.report + "\n").utf8))
  let solved = result.passed
  #expect(
    solved, "\(result.id): not solved yet, see its report above", sourceLocation: sourceLocation)
}
