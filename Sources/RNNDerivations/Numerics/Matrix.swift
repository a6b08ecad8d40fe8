/// A dense row-major matrix: `rows × cols` entries in one contiguous array.
///
/// A matrix maps its input to its rows (`W: H×H`, `U: H×D`, `V: K×H`); vectors are plain
/// arrays, read as columns. The storage can be read anywhere and written only through this
/// file's operations (subscript, `+=`, `addOuter`), so a shape can never drift from its entries.
public struct Matrix<Element: Sendable>: Sendable {
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let cols: Int
  /// Written only in this file: the entries, row after row.
  @usableFromInline var entries: [Element]
  /// Entry `(i, j)` is `storage[i * cols + j]`.
  @inlinable public var storage: [Element] { entries }

  /// A `rows × cols` matrix from its entries, row after row (`rows · cols` of them).
  @inlinable public init(rows: Int, cols: Int, storage: [Element]) {
    precondition(storage.count == rows * cols, "Matrix storage does not match \(rows)×\(cols)")
    self.rows = rows
    self.cols = cols
    self.entries = storage
  }

  /// A `rows × cols` matrix with every entry `value`.
  @inlinable public init(rows: Int, cols: Int, repeating value: Element) {
    self.init(rows: rows, cols: cols, storage: Array(repeating: value, count: rows * cols))
  }

  /// Entry `(i, j)`: row `i`, column `j`, from 0.
  @inlinable public subscript(i: Int, j: Int) -> Element {
    get { entries[i * cols + j] }
    set { entries[i * cols + j] = newValue }
  }

  /// Row `i` as a vector.
  @inlinable public func row(_ i: Int) -> [Element] { Array(storage[i * cols..<(i + 1) * cols]) }

  /// The same shape, each entry transformed.
  @inlinable public func map<U>(_ transform: (Element) -> U) -> Matrix<U> {
    Matrix<U>(rows: rows, cols: cols, storage: storage.map(transform))
  }

  /// `Mᵀ`: entry `(i, j)` becomes entry `(j, i)`.
  public var transposed: Matrix {
    Matrix(
      rows: cols, cols: rows,
      storage: (0..<cols).flatMap { j in (0..<rows).map { i in entries[i * cols + j] } })
  }

  /// Columns `range` as a new matrix (the blocks of a concatenated weight).
  @inlinable public func columns(_ range: Range<Int>) -> Matrix {
    var out: [Element] = []
    out.reserveCapacity(rows * range.count)
    for i in 0..<rows { out += storage[i * cols + range.lowerBound..<i * cols + range.upperBound] }
    return Matrix(rows: rows, cols: range.count, storage: out)
  }

  /// Rows `rows` and columns `cols` as a new matrix (the `h` or `c` block of a state Jacobian).
  @inlinable public func block(rows: Range<Int>, cols: Range<Int>) -> Matrix {
    var out: [Element] = []
    out.reserveCapacity(rows.count * cols.count)
    for i in rows {
      out += storage[i * self.cols + cols.lowerBound..<i * self.cols + cols.upperBound]
    }
    return Matrix(rows: rows.count, cols: cols.count, storage: out)
  }
}

extension Matrix where Element: Scalar {
  /// A `rows × cols` matrix of zeros.
  @inlinable public static func zeros(_ rows: Int, _ cols: Int) -> Matrix {
    Matrix(rows: rows, cols: cols, repeating: 0)
  }

  /// The identity matrix of size `n`.
  @inlinable public static func identity(_ n: Int) -> Matrix {
    var m = zeros(n, n)
    for i in 0..<n { m[i, i] = 1 }
    return m
  }

  /// A `Double` matrix lifted to `Element` (constants: no derivative).
  @inlinable public init(_ m: Matrix<Double>) {
    self.init(rows: m.rows, cols: m.cols, storage: m.storage.map(Element.init))
  }

  /// Matrix–vector product `M x`.
  @inlinable public static func * (m: Matrix, x: [Element]) -> [Element] {
    precondition(x.count == m.cols, "M x: M is \(m.rows)×\(m.cols), x has \(x.count) entries")
    var y = [Element](repeating: 0, count: m.rows)
    let n = m.cols
    m.storage.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
          // y_i = Σ_j M_ij x_j, summed j = 0, 1, … for every row. Four rows at a time: four
          // independent sums keep the adder busy where one would wait on its own last result;
          // each row's sum is the same additions in the same order (same rounding).
          // Indices use `&+`, `&*` (no overflow check, a branch per entry that stops the
          // compiler vectorising): they stay inside the storage, whose size was checked.
          var i = 0
          while i + 4 <= m.rows {
            var (s0, s1, s2, s3): (Element, Element, Element, Element) = (0, 0, 0, 0)
            let (r0, r1, r2, r3) = (i &* n, (i &+ 1) &* n, (i &+ 2) &* n, (i &+ 3) &* n)
            for j in 0..<n {
              let xj = x[j]
              s0 += a[r0 &+ j] * xj
              s1 += a[r1 &+ j] * xj
              s2 += a[r2 &+ j] * xj
              s3 += a[r3 &+ j] * xj
            }
            (y[i], y[i + 1], y[i + 2], y[i + 3]) = (s0, s1, s2, s3)
            i += 4
          }
          for i in i..<m.rows {
            var s: Element = 0
            for j in 0..<n { s += a[i &* n &+ j] * x[j] }
            y[i] = s
          }
        }
      }
    }
    return y
  }

  /// Transpose–vector product `Mᵀ y`: how a backward pass sends a gradient to the input.
  @inlinable public func transposeTimes(_ y: [Element]) -> [Element] {
    precondition(y.count == rows, "Mᵀ y: M is \(rows)×\(cols), y has \(y.count) entries")
    var x = [Element](repeating: 0, count: cols)
    storage.withUnsafeBufferPointer { a in
      x.withUnsafeMutableBufferPointer { x in
        // x_j = Σ_i M_ij y_i, row by row: the inner loop runs along a row, each x_j on its own
        // (vectorised: `&+`, no overflow check, as in `M x`).
        for i in 0..<rows {
          let yi = y[i]
          let base = i * cols
          for j in 0..<cols { x[j] += a[base &+ j] * yi }
        }
      }
    }
    return x
  }

  /// Matrix product `A B`.
  @inlinable public static func * (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.cols == b.rows, "A B: A is \(a.rows)×\(a.cols), B is \(b.rows)×\(b.cols)")
    var c = zeros(a.rows, b.cols)
    for i in 0..<a.rows {
      for k in 0..<a.cols {
        let aik = a[i, k]
        for j in 0..<b.cols { c[i, j] += aik * b[k, j] }
      }
    }
    return c
  }

  /// The outer product `a bᵀ` (`a ⊗ b`).
  @inlinable public static func outer(_ a: [Element], _ b: [Element]) -> Matrix {
    var m = zeros(a.count, b.count)
    m.addOuter(a, b)
    return m
  }

  /// Accumulates `self += a bᵀ`: a weight gradient summed over time steps.
  @inlinable public mutating func addOuter(_ a: [Element], _ b: [Element]) {
    precondition(a.count == rows && b.count == cols, "M += a bᵀ: shapes differ")
    Self.addOuter(a, b, into: &entries)
  }

  /// `m += a bᵀ` on row-major entries `m` of an `a.count × b.count` matrix: how the walk adds
  /// a weight's share into its gradient in place.
  @inlinable static func addOuter(_ a: [Element], _ b: [Element], into m: inout [Element]) {
    precondition(m.count == a.count * b.count, "M += a bᵀ: shapes differ")
    let cols = b.count
    m.withUnsafeMutableBufferPointer { m in
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          for i in 0..<a.count {
            let (ai, row) = (a[i], i * cols)
            for j in 0..<cols { m[row &+ j] += ai * b[j] }  // `&+`: vectorised, as in `M x`
          }
        }
      }
    }
  }

  /// Entry-wise sum `A + B`.
  @inlinable public static func + (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.cols == b.cols, "A + B: shapes differ")
    return Matrix(rows: a.rows, cols: a.cols, storage: a.storage .+ b.storage)
  }

  /// Accumulates `A += B` in place: a gradient summed over time steps.
  @inlinable public static func += (a: inout Matrix, b: Matrix) {
    precondition(a.rows == b.rows && a.cols == b.cols, "A += B: shapes differ")
    a.entries.withUnsafeMutableBufferPointer { a in
      b.storage.withUnsafeBufferPointer { b in for k in a.indices { a[k] += b[k] } }
    }
  }

  /// `diag(d) M`: scales row `i` by `d[i]` (a Jacobian through an element-wise function).
  @inlinable public func scalingRows(by d: [Element]) -> Matrix {
    precondition(d.count == rows, "diag(d) M: d has \(d.count) entries, M has \(rows) rows")
    var m = self
    for i in 0..<rows { for j in 0..<cols { m[i, j] *= d[i] } }
    return m
  }

  /// The Frobenius norm `‖M‖_F`, computed on primal values.
  public var frobeniusNorm: Double {
    storage.reduce(0) { $0 + $1.primal * $1.primal }.squareRoot()
  }
}

extension Matrix {
  /// `[A | B]`: the columns of `A` then those of `B`.
  @inlinable public static func sideBySide(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.rows == b.rows, "[A | B]: \(a.rows) vs \(b.rows) rows")
    var out: [Element] = []
    out.reserveCapacity(a.storage.count + b.storage.count)
    for i in 0..<a.rows { out += a.row(i) + b.row(i) }
    return Matrix(rows: a.rows, cols: a.cols + b.cols, storage: out)
  }
}

infix operator .+ : AdditionPrecedence
infix operator .- : AdditionPrecedence
infix operator .* : MultiplicationPrecedence

/// Entry-wise sum of two vectors of the same length.
@inlinable public func .+ <T: Scalar>(a: [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a .+ b: \(a.count) vs \(b.count) entries")
  return (0..<a.count).map { a[$0] + b[$0] }
}

/// Entry-wise difference of two vectors of the same length.
@inlinable public func .- <T: Scalar>(a: [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a .- b: \(a.count) vs \(b.count) entries")
  return (0..<a.count).map { a[$0] - b[$0] }
}

/// Entry-wise (Hadamard) product `a ⊙ b`.
@inlinable public func .* <T: Scalar>(a: [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a ⊙ b: \(a.count) vs \(b.count) entries")
  return (0..<a.count).map { a[$0] * b[$0] }
}

/// The dot product `a · b`.
@inlinable public func dot<T: Scalar>(_ a: [T], _ b: [T]) -> T {
  precondition(a.count == b.count, "a · b: \(a.count) vs \(b.count) entries")
  var s: T = 0
  for i in 0..<a.count { s += a[i] * b[i] }
  return s
}

/// Lifts `Double` constants to any `Scalar`.
@inlinable public func lift<T: Scalar>(_ v: [Double]) -> [T] { v.map(T.init) }
