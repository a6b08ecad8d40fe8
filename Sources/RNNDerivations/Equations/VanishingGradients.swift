// Vanishing and exploding gradients — sources 000/001 ("due to constant multiplication with
// matrix W"), 002 and 003. How much of a gradient at step t reaches an earlier state h_k is the
// Jacobian product ∂h_t/∂h_k = Π_{j=k+1..t} ∂h_j/∂h_{j−1}; its norm against the lag t − k is
// the whole story. States are counted as `grad` counts them: h_0 is the initial state, h_t the
// state after input x_t.

import Foundation

/// The spectral norm `‖M‖₂ = σ_max(M)`, by power iteration on `MᵀM`.
///
/// Starting from `v = (1, …, 1)/√n`, each iteration applies `MᵀM` and normalises, so `v` turns
/// towards the top right singular vector of `M`; `‖M v‖` then approaches `σ_max` from below (a
/// Rayleigh quotient never exceeds the largest eigenvalue), and its error falls as
/// `(σ₂/σ₁)^{2i}`. Iteration stops once `‖M v‖` changes by less than 4 ulps, or after
/// `maxIterations`. A start vector orthogonal to the top singular vector would stall on the
/// next one; rounding puts a component back within a few dozen iterations.
public func spectralNorm(_ m: Matrix<Double>, maxIterations: Int = 10_000) -> Double {
  guard m.rows > 0, m.cols > 0 else { return 0 }
  var v = [Double](repeating: 1 / Double(m.cols).squareRoot(), count: m.cols)
  var sigma = 0.0
  for _ in 0..<maxIterations {
    let mv = m * v
    let next = dot(mv, mv).squareRoot()  // ‖M v‖ with ‖v‖ = 1
    let w = m.transposeTimes(mv)  // MᵀM v
    let norm = dot(w, w).squareRoot()
    guard norm > 0 else { return next }  // v in the null space: M = 0 along every direction tried
    v = w.map { $0 / norm }
    if abs(next - sigma) <= 4 * Double.ulpOfOne * next { return next }
    sigma = next
  }
  return sigma
}

/// `∂state_t/∂state_{t−1}` of one step, read off the cell's hand-derived backward pass.
///
/// `backward(dState, …)` returns `dStatePrev = Jᵀ dState`; with `dState = e_i`, the `i`-th unit
/// vector of the state `(h, c)`, that is row `i` of `J`. So `S` backward calls — `S = H`, or
/// `2H` for the LSTM's `(h, c)` — give the whole `S×S` Jacobian, rows and columns ordered `h`
/// then `c`. No Jacobian is written by hand: every cell's comes from the backward step it
/// already has.
public func stepJacobian<Cell: RecurrentCell>(
  _ cell: Cell, _ cache: Cell.Cache, _ p: Parameters<Double>, hidden H: Int
) -> Matrix<Double> {
  let size = cell.hasCellState ? 2 * H : H
  var rows: [Double] = []
  rows.reserveCapacity(size * size)
  for i in 0..<size {
    var unit = [Double](repeating: 0, count: size)
    unit[i] = 1  // e_i: ∂E/∂state_t as if E were entry i of the state
    let dState = CellState(
      h: Array(unit[0..<H]), c: cell.hasCellState ? Array(unit[H..<size]) : nil)
    rows += cell.backward(dState, cache, reading: p).dStatePrev.parts.flatMap { $0 }  // eᵢᵀ J
  }
  return Matrix(rows: size, cols: size, storage: rows)
}

/// The Jacobians of a forward run: each step's, and their products from the initial state.
public struct StateJacobians: Sendable {
  /// `J_t = ∂state_t/∂state_{t−1}` for `t = 1…T`.
  public var steps: [Matrix<Double>]
  /// `P_t = ∂state_t/∂state_0 = J_t J_{t−1} ⋯ J_1` for `t = 1…T`: lag `t`.
  public var products: [Matrix<Double>]
  /// `|J_t| ⋯ |J_1|`, entry-wise absolute values: the scale on which `P_t` rounds (a sum of
  /// products of terms cancels to `P_t` but rounds on the size of the terms).
  public var magnitudes: [Matrix<Double>]
}

/// Every step Jacobian of `caches` (from `stepJacobian`) and their running products.
public func stateJacobians<Cell: RecurrentCell>(
  _ cell: Cell, _ caches: [Cell.Cache], _ p: Parameters<Double>, hidden H: Int
) -> StateJacobians {
  var result = StateJacobians(steps: [], products: [], magnitudes: [])
  for cache in caches {
    let J = stepJacobian(cell, cache, p, hidden: H)
    result.steps.append(J)
    // P_t = J_t P_{t−1}: the new step multiplies on the left (chain rule, outermost last).
    result.products.append(result.products.last.map { J * $0 } ?? J)
    let absJ = J.map(abs)
    result.magnitudes.append(result.magnitudes.last.map { absJ * $0 } ?? absJ)
  }
  return result
}

/// The bound `(γ ‖W‖₂)^{lag}` on `‖∂h_t/∂h_k‖₂` of a vanilla RNN `h_t = φ(W h_{t−1} + …)`.
///
/// Each factor `diag(φ'(a_j)) W` has norm at most `max φ' · ‖W‖₂` and norms multiply at most:
/// `γ = max φ'` is 1 for tanh (`1 − h²`) and 1/4 for the logistic sigmoid (`s(1 − s)`).
public func vanishingBound(gamma: Double, spectralNorm: Double, lag: Int) -> Double {
  Foundation.pow(gamma * spectralNorm, Double(lag))
}

/// `γ` of the vanilla RNN's tanh: `max (1 − h²) = 1`, at `h = 0` (a logistic-sigmoid RNN's
/// would be `max s(1 − s) = 1/4`, at `s = 1/2`).
public let tanhGamma = 1.0
