/// A dense row-major matrix: `rows × cols` entries in one contiguous array.
///
/// A matrix maps its input to its rows (`W: H×H`, `U: H×D`, `V: K×H`); vectors are plain
/// arrays, read as columns. The storage can be read anywhere and written only through this
/// file's operations (subscript, `+=`, `addOuters`), so a shape can never drift from its entries.
public struct Matrix<Element: Sendable>: Sendable {
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let cols: Int
  /// Written only in this file: the entries, row after row.
  @usableFromInline var entries: [Element] {
    didSet { kept = nil }  // a copy of the old entries would be stale
  }
  /// A second form of the entries that kernels read instead, when this matrix keeps one; nil
  /// otherwise.
  @usableFromInline var kept: Kept?
  /// What a matrix keeps beside its entries: at most one form, one reference (as one array).
  @usableFromInline enum Kept: Sendable {
    /// The same entries column after column (a weight a walk reads at every step:
    /// `Parameters.keepingColumns`): `M x` runs along them.
    case columns([Element])
    /// The numbers the entries are constants of, entry `k` `Element(numbers[k])` (weights
    /// lifted by `Parameters(constants:)`): on `Lanes`, where such an entry is one number in
    /// all twenty-four lanes, `M x` and `Mᵀ y` read these (`ConstantEntries`), a twenty-fourth
    /// of the bytes.
    case constants([Double])
  }
  /// The entries column after column, when this matrix keeps them.
  @inlinable var columnMajorEntries: [Element]? {
    if case .columns(let columns) = kept { columns } else { nil }
  }
  /// The numbers the entries are constants of, when this matrix keeps them.
  @inlinable var constantEntries: [Double]? {
    if case .constants(let numbers) = kept { numbers } else { nil }
  }
  /// The numbers `M x` and `Mᵀ y` read instead of the entries: on `Lanes`, where each entry is
  /// twenty-four copies of one, when this matrix keeps them (the check is settled when the code
  /// is specialised).
  @inlinable var numbersReadOnLanes: [Double]? {
    Element.self == Lanes.self ? constantEntries : nil
  }
  /// Entry `(i, j)` is `storage[i * cols + j]`.
  @inlinable public var storage: [Element] { entries }

  /// A `rows × cols` matrix from its entries, row after row (`rows · cols` of them).
  @inlinable public init(rows: Int, cols: Int, storage: [Element]) {
    precondition(storage.count == rows * cols, "Matrix storage does not match \(rows)×\(cols)")
    self.rows = rows
    self.cols = cols
    self.entries = storage
  }

  /// A matrix from its entries row after row, and a second form of them (`kept`).
  @inlinable init(rows: Int, cols: Int, storage: [Element], kept: Kept?) {
    self.init(rows: rows, cols: cols, storage: storage)
    switch kept {
    case .columns(let columns)?:
      precondition(columns.count == storage.count, "columns do not match")
    case .constants(let numbers)?:
      precondition(numbers.count == storage.count, "numbers do not match")
    case nil: break
    }
    self.kept = kept
  }

  /// Row-major entries `storage` of a `rows × cols` matrix, column after column.
  ///
  /// Entry `(i, j)` lands at `j · rows + i`, as
  ///
  /// ```swift
  /// for j in 0..<cols { for i in 0..<rows { out.append(storage[i * cols + j]) } }
  /// ```
  ///
  /// What runs reads eight rows side by side and writes each column's eight entries in a
  /// run, into an array made once: where the loop above checked its capacity and an index
  /// for every entry and read a new cache line for each, it took up to 6% of a profile at T = 100
  /// (notes/Performance.md, twelfth round).
  static func columnMajor(_ storage: [Element], rows: Int, cols: Int) -> [Element] {
    precondition(storage.count == rows * cols, "Matrix storage does not match \(rows)×\(cols)")
    return [Element](unsafeUninitializedCapacity: storage.count) { out, initialized in
      storage.withUnsafeBufferPointer { m in
        guard let from = m.baseAddress, let to = out.baseAddress else { return }  // no entries
        // Unchecked `&+`, `&*`: every index is inside the `rows · cols` entries checked above.
        var i = 0
        while i < rows {
          let block = Swift.min(8, rows &- i)  // rows i ..< i + block
          for j in 0..<cols {
            for r in 0..<block {
              (to + (j &* rows &+ i &+ r)).initialize(to: from[(i &+ r) &* cols &+ j])
            }
          }
          i &+= block
        }
      }
      initialized = storage.count
    }
  }

  /// A `rows × cols` matrix with every entry `value`.
  @inlinable public init(rows: Int, cols: Int, repeating value: Element) {
    self.init(rows: rows, cols: cols, storage: filled(value, count: rows * cols))
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
    Matrix(rows: cols, cols: rows, storage: Self.columnMajor(entries, rows: rows, cols: cols))
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

/// What a kernel reads a matrix's entries from, entry `k` of the row-major storage: the
/// storage itself, or the numbers the entries are constants of (`ConstantEntries`).
@usableFromInline protocol Entries<Element> {
  associatedtype Element
  /// Entry `k`.
  subscript(_ k: Int) -> Element { get }
}

extension UnsafeBufferPointer: Entries {}

/// A weight's entries made from the numbers they are constants of (`Matrix.constantEntries`):
/// entry `k` is `Element(numbers[k])`, the value the storage holds.
///
/// A weight on `Lanes` is twenty-four copies of one number (192 bytes): an H × H weight of the
/// echo training's rows side by side is 49 kB at H = 16, more than a core's first-level cache,
/// and read twice a step (`W h`, `Wᵀ da`); its numbers are 2 kB. Each product is the same,
/// lane by lane: `Lanes(w) · x` is `w · x_i` in lane `i`, as with the stored entry.
@usableFromInline struct ConstantEntries<Element: Scalar>: Entries {
  /// The numbers, row-major.
  @usableFromInline let numbers: UnsafeBufferPointer<Double>
  @inlinable init(numbers: UnsafeBufferPointer<Double>) { self.numbers = numbers }
  /// `Element(numbers[k])`: on `Lanes`, one number in every lane.
  @inlinable @inline(__always) subscript(_ k: Int) -> Element { Element(numbers[k]) }
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

  // Prespecialised for every `Scalar` the oracles run, in a debug build: it compiles file by
  // file, and a call from another file would run the generic code, each `+` and `*` through a
  // witness table (notes/Performance.md, twentieth round). A release build specialises each call.
  /// Matrix–vector product `M x`.
  #if DEBUG
    @_specialize(where Element == Double)
    @_specialize(where Element == Dual)
    @_specialize(where Element == DualLanes)
    @_specialize(where Element == Traced)
    @_specialize(where Element == Lanes)
  #endif
  @inlinable public static func * (m: Matrix, x: [Element]) -> [Element] {
    var y: [Element] = []
    m.times(x, into: &y)
    return y
  }

  /// `M x` written into `y`, its array reused where no one else holds it (`resize`).
  #if DEBUG
    @_specialize(where Element == Double)
    @_specialize(where Element == Dual)
    @_specialize(where Element == DualLanes)
    @_specialize(where Element == Traced)
    @_specialize(where Element == Lanes)
  #endif
  @inlinable public func times(_ x: [Element], into y: inout [Element]) {
    resize(&y, to: rows)
    y.withUnsafeMutableBufferPointer { y in rowSums(x) { y[$0] = $1 } }
  }

  /// `y = (y + N z) + b`, entry by entry, in place: the rest of `M x + N z + b` once `y` holds
  /// `M x` (`affine`).
  #if DEBUG
    @_specialize(where Element == Double)
    @_specialize(where Element == Dual)
    @_specialize(where Element == DualLanes)
    @_specialize(where Element == Traced)
    @_specialize(where Element == Lanes)
  #endif
  @inlinable public func add(_ z: [Element], plus b: [Element], to y: inout [Element]) {
    precondition(
      y.count == rows && b.count == rows,
      "y + N z + b: N is \(rows)×\(cols), y has \(y.count) entries, b \(b.count)")
    y.withUnsafeMutableBufferPointer { y in
      b.withUnsafeBufferPointer { b in rowSums(z) { i, s in y[i] = y[i] + s + b[i] } }
    }
  }

  /// `M x + N z + b`, written into `y`.
  ///
  /// Entry `i` is `(Σ_j M_ij x_j + Σ_k N_ik z_k) + b_i`, the same additions in the same order
  /// as `M * x .+ N * z .+ b`, without the arrays in between (the affine map of every cell's
  /// step and gate: `affineForward`). `y`'s array is reused where no one else holds it
  /// (`resize`), so a walk that hands a step the arrays of the step before makes none.
  #if DEBUG
    @_specialize(where Element == Double)
    @_specialize(where Element == Dual)
    @_specialize(where Element == DualLanes)
    @_specialize(where Element == Traced)
    @_specialize(where Element == Lanes)
  #endif
  @inlinable public static func affine(
    _ m: Matrix, _ x: [Element], _ n: Matrix, _ z: [Element], _ b: [Element],
    into y: inout [Element]
  ) {
    precondition(
      m.rows == n.rows && b.count == m.rows,
      "M x + N z + b: M is \(m.rows)×\(m.cols), N \(n.rows)×\(n.cols), b has \(b.count) entries")
    m.times(x, into: &y)
    n.add(z, plus: b, to: &y)
  }

  /// Hands `store` each row's `Σ_j M_ij x_j` (row `i`, its sum), summed j = 0, 1, …: the
  /// kernel of `M x`.
  @inlinable func rowSums(_ x: [Element], _ store: (_ i: Int, _ sum: Element) -> Void) {
    precondition(x.count == cols, "M x: M is \(rows)×\(cols), x has \(x.count) entries")
    if let columns = columnMajorEntries {
      // M's columns are the rows of Mᵀ, and (Mᵀ)ᵀ x = M x runs along them (`addTransposeTimes`,
      // vectorised), entry i summed j = 0, 1, … as below. The sums wait on the stack.
      let mT = Matrix(rows: cols, cols: rows, storage: columns)
      withUnsafeTemporaryAllocation(of: Element.self, capacity: rows) { sums in
        sums.initialize(repeating: 0)
        defer { sums.deinitialize() }
        mT.addTransposeTimes(x, into: sums)
        for i in 0..<rows { store(i, sums[i]) }
      }
      return
    }
    if let numbers = numbersReadOnLanes {
      return numbers.withUnsafeBufferPointer { rowSums(ConstantEntries(numbers: $0), x, store) }
    }
    storage.withUnsafeBufferPointer { rowSums($0, x, store) }
  }

  /// `rowSums` reading the entries from `a`: the storage, or on `Lanes` the numbers they are
  /// constants of (`ConstantEntries`).
  @inlinable @inline(__always) func rowSums<A: Entries<Element>>(
    _ a: A, _ x: [Element], _ store: (_ i: Int, _ sum: Element) -> Void
  ) {
    let n = cols
    x.withUnsafeBufferPointer { x in
      // y_i = Σ_j M_ij x_j, summed j = 0, 1, … for every row. Eight rows at a time: eight
      // independent sums keep both adders busy where one would wait on its own last
      // result (an addition takes four cycles, two can start per cycle); each row's sum is
      // the same additions in the same order (same rounding).
      // Indices use `&+`, `&*` (no overflow check, a branch per entry that stops the
      // compiler vectorising): they stay inside the storage, whose size was checked.
      var i = 0
      while i + 8 <= rows {
        var (s0, s1, s2, s3): (Element, Element, Element, Element) = (0, 0, 0, 0)
        var (s4, s5, s6, s7): (Element, Element, Element, Element) = (0, 0, 0, 0)
        let r0 = i &* n
        let (r1, r2, r3, r4) = (r0 &+ n, r0 &+ 2 &* n, r0 &+ 3 &* n, r0 &+ 4 &* n)
        let (r5, r6, r7) = (r0 &+ 5 &* n, r0 &+ 6 &* n, r0 &+ 7 &* n)
        for j in 0..<n {
          let xj = x[j]
          s0 += a[r0 &+ j] * xj
          s1 += a[r1 &+ j] * xj
          s2 += a[r2 &+ j] * xj
          s3 += a[r3 &+ j] * xj
          s4 += a[r4 &+ j] * xj
          s5 += a[r5 &+ j] * xj
          s6 += a[r6 &+ j] * xj
          s7 += a[r7 &+ j] * xj
        }
        store(i, s0)
        store(i &+ 1, s1)
        store(i &+ 2, s2)
        store(i &+ 3, s3)
        store(i &+ 4, s4)
        store(i &+ 5, s5)
        store(i &+ 6, s6)
        store(i &+ 7, s7)
        i += 8
      }
      for i in i..<rows {
        var s: Element = 0
        for j in 0..<n { s += a[i &* n &+ j] * x[j] }
        store(i, s)
      }
    }
  }

  /// Transpose–vector product `Mᵀ y`: how a backward pass sends a gradient to the input.
  @inlinable public func transposeTimes(_ y: [Element]) -> [Element] {
    transposeTimes(y, columns: 0..<cols)
  }

  /// Entries `columns` of `Mᵀ y`, each the same sum as in the whole product (a concatenated
  /// weight's blocks).
  #if DEBUG
    @_specialize(where Element == Double)
    @_specialize(where Element == Dual)
    @_specialize(where Element == DualLanes)
    @_specialize(where Element == Traced)
    @_specialize(where Element == Lanes)
  #endif
  @inlinable public func transposeTimes(_ y: [Element], columns: Range<Int>) -> [Element] {
    var x = filled(0 as Element, count: columns.count)
    x.withUnsafeMutableBufferPointer { addTransposeTimes(y, into: $0, columns: columns) }
    return x
  }

  /// `x += Mᵀ y` for the entries `columns` (all by default), into `columns.count` entries:
  /// each `x_j` gets `M_ij y_i` added i = 0, 1, …: the kernel of `Mᵀ y`.
  @inlinable func addTransposeTimes(
    _ y: [Element], into x: UnsafeMutableBufferPointer<Element>, columns: Range<Int>? = nil
  ) {
    let columns = columns ?? 0..<cols
    precondition(y.count == rows, "Mᵀ y: M is \(rows)×\(cols), y has \(y.count) entries")
    precondition(x.count == columns.count, "Mᵀ y: \(columns.count) entries, x has \(x.count)")
    precondition(columns.upperBound <= cols, "Mᵀ y: M has \(cols) columns, not \(columns)")
    if let numbers = numbersReadOnLanes {
      return numbers.withUnsafeBufferPointer {
        addTransposeTimes(ConstantEntries(numbers: $0), y, into: x, columns: columns)
      }
    }
    storage.withUnsafeBufferPointer { addTransposeTimes($0, y, into: x, columns: columns) }
  }

  /// `addTransposeTimes` reading the entries from `a` (`rowSums(_:_:_:)`).
  @inlinable @inline(__always) func addTransposeTimes<A: Entries<Element>>(
    _ a: A, _ y: [Element], into x: UnsafeMutableBufferPointer<Element>, columns: Range<Int>
  ) {
    // x_j = Σ_i M_ij y_i, row by row: the inner loop runs along a row, each x_j on its own
    // (vectorised: `&+`, no overflow check, as in `M x`). Four rows per pass over x: x_j
    // gets the same four additions in the same order, loaded and stored once instead of
    // four times. Each row is read from its entry `columns.lowerBound` on.
    let (n, first) = (columns.count, columns.lowerBound)
    var i = 0
    while i + 4 <= rows {
      let (y0, y1, y2, y3) = (y[i], y[i + 1], y[i + 2], y[i + 3])
      let r0 = i &* cols &+ first
      let (r1, r2, r3) = (r0 &+ cols, r0 &+ 2 &* cols, r0 &+ 3 &* cols)
      for j in 0..<n {
        x[j] = x[j] + a[r0 &+ j] * y0 + a[r1 &+ j] * y1 + a[r2 &+ j] * y2 + a[r3 &+ j] * y3
      }
      i += 4
    }
    for i in i..<rows {
      let yi = y[i]
      let base = i &* cols &+ first
      for j in 0..<n { x[j] += a[base &+ j] * yi }
    }
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

  /// The outer product `a bᵀ` (`a ⊗ b`): entry `(i, j)` is `a[i] · b[j]`.
  @inlinable public static func outer(_ a: [Element], _ b: [Element]) -> Matrix {
    var m = zeros(a.count, b.count)
    for i in a.indices { for j in b.indices { m[i, j] += a[i] * b[j] } }
    return m
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

extension Matrix<Double> {
  /// `m += Σ_t a_t b_tᵀ`, t = 0, 1, … in order, on the row-major entries of a matrix.
  ///
  /// A weight's outer-product shares (`OuterShares`: `a_t` row t of `a`, `b_t` row t of `b`),
  /// entry by entry the same additions as
  ///
  /// ```swift
  /// for t in 0..<count { for i in 0..<rows { for j in 0..<cols { m[i, j] += a[t, i] * b[t, j] } } }
  /// ```
  ///
  /// What runs takes a block of 4 × 8 entries at a time and runs t innermost: the block's
  /// thirty-two running sums stay in registers for all the steps (four `SIMD8` rows, one load
  /// of `b_t`'s eight entries per step), where the loop above reads and writes every entry of
  /// `m` at every step. Each entry still gets `a[t, i] · b[t, j]` added in the order
  /// t = 0, 1, … (same rounding); rows and columns past the last whole block run the loop
  /// above.
  @inlinable static func addOuters(
    _ a: [Double], _ b: [Double], count: Int, into m: inout [Double]
  ) {
    guard count > 0 else { return }
    let (rows, cols) = (a.count / count, b.count / count)
    precondition(
      a.count == rows * count && b.count == cols * count && m.count == rows * cols,
      "M += Σ a_t b_tᵀ: shapes differ")
    m.withUnsafeMutableBufferPointer { m in
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          guard let mBase = m.baseAddress, let bBase = b.baseAddress else { return }
          let (blockRows, blockCols) = (rows / 4 * 4, cols / 8 * 8)
          // Indices use `&+`, `&*` (no overflow check): they stay inside the storage, whose
          // size was checked above.
          for i in stride(from: 0, to: blockRows, by: 4) {
            for j in stride(from: 0, to: blockCols, by: 8) {
              func row(_ r: Int) -> UnsafeMutableRawPointer {
                UnsafeMutableRawPointer(mBase + ((i &+ r) &* cols &+ j))
              }
              var s0 = row(0).loadUnaligned(as: SIMD8<Double>.self)
              var s1 = row(1).loadUnaligned(as: SIMD8<Double>.self)
              var s2 = row(2).loadUnaligned(as: SIMD8<Double>.self)
              var s3 = row(3).loadUnaligned(as: SIMD8<Double>.self)
              for t in 0..<count {
                // b_t[j ..< j+8], and a_t[i], …, a_t[i+3]: one product per entry of the block.
                let bt = UnsafeRawPointer(bBase + (t &* cols &+ j))
                  .loadUnaligned(as: SIMD8<Double>.self)
                let at = t &* rows &+ i
                s0 += a[at] * bt
                s1 += a[at &+ 1] * bt
                s2 += a[at &+ 2] * bt
                s3 += a[at &+ 3] * bt
              }
              row(0).storeBytes(of: s0, as: SIMD8<Double>.self)
              row(1).storeBytes(of: s1, as: SIMD8<Double>.self)
              row(2).storeBytes(of: s2, as: SIMD8<Double>.self)
              row(3).storeBytes(of: s3, as: SIMD8<Double>.self)
            }
          }
          // The entries outside the whole blocks: the last rows % 4 rows, the last cols % 8
          // columns.
          for i in 0..<rows {
            for j in (i < blockRows ? blockCols : 0)..<cols {
              var s = m[i &* cols &+ j]
              for t in 0..<count { s += a[t &* rows &+ i] * b[t &* cols &+ j] }
              m[i &* cols &+ j] = s
            }
          }
        }
      }
    }
  }
}

extension Matrix<Lanes> {
  /// `m += Σ_t a_t b_tᵀ`, t = 0, 1, … in order, on rows side by side: `Matrix<Double>`'s
  /// `addOuters` for the echo training's weights (`EchoStep`), lane by lane the same additions,
  /// the shares' factors read from the arrays the steps made (not copied into one).
  ///
  /// An entry is three vectors of eight lanes. What runs takes a block of 2 × 2 entries at a
  /// time and runs t innermost: the block's twelve vectors stay in registers for all the steps,
  /// and each step loads `a_t[i]`, `a_t[i+1]`, `b_t[j]`, `b_t[j+1]` once for four products,
  /// where adding each step's share in place loaded and stored every entry of `m` at every step.
  /// Each entry still gets `a_t[i] · b_t[j]` added in the order t = 0, 1, … (same rounding); a
  /// last odd row or column runs one entry at a time.
  @inlinable static func addOuters(_ shares: [(a: [Lanes], b: [Lanes])], into m: inout [Lanes]) {
    guard let first = shares.first else { return }
    let (rows, cols) = (first.a.count, first.b.count)
    precondition(
      m.count == rows * cols && shares.allSatisfy { ($0.a.count, $0.b.count) == (rows, cols) },
      "M += Σ a_t b_tᵀ: shapes differ")
    m.withUnsafeMutableBufferPointer { m in
      // Indices into `m` use `&+`, `&*` (no overflow check): they stay inside its `rows · cols`
      // entries, checked above.
      /// Entry `(i, j)` alone, t = 0, 1, ….
      func one(_ i: Int, _ j: Int) {
        var s = m[i &* cols &+ j]
        for share in shares { s = s + share.a[i] * share.b[j] }
        m[i &* cols &+ j] = s
      }
      let (blockRows, blockCols) = (rows / 2 * 2, cols / 2 * 2)
      for i in stride(from: 0, to: blockRows, by: 2) {
        for j in stride(from: 0, to: blockCols, by: 2) {
          let (r0, r1) = (i &* cols &+ j, (i &+ 1) &* cols &+ j)
          var (s00, s01, s10, s11) = (m[r0], m[r0 &+ 1], m[r1], m[r1 &+ 1])
          for (a, b) in shares {
            s00 = s00 + a[i] * b[j]
            s01 = s01 + a[i] * b[j &+ 1]
            s10 = s10 + a[i &+ 1] * b[j]
            s11 = s11 + a[i &+ 1] * b[j &+ 1]
          }
          (m[r0], m[r0 &+ 1], m[r1], m[r1 &+ 1]) = (s00, s01, s10, s11)
        }
        if blockCols < cols {  // the last column
          one(i, cols &- 1)
          one(i &+ 1, cols &- 1)
        }
      }
      if blockRows < rows {  // the last row
        for j in 0..<cols { one(rows &- 1, j) }
      }
    }
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
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable @inline(__always) public func .+ <T: Scalar>(a: consuming [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a .+ b: \(a.count) vs \(b.count) entries")
  return entrywise(a, b, +)
}

/// Entry-wise difference of two vectors of the same length.
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable @inline(__always) public func .- <T: Scalar>(a: consuming [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a .- b: \(a.count) vs \(b.count) entries")
  return entrywise(a, b, -)
}

/// Entry-wise (Hadamard) product `a ⊙ b`.
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable @inline(__always) public func .* <T: Scalar>(a: consuming [T], b: [T]) -> [T] {
  precondition(a.count == b.count, "a ⊙ b: \(a.count) vs \(b.count) entries")
  return entrywise(a, b, *)
}

/// `[op(a[0], b[0]), op(a[1], b[1]), …]` for two vectors of the same length, written over
/// `a` (no closure per entry, no index checks: the loop vectorises).
///
/// Where `a` is a value no one else holds (the result of the operation before, as in
/// `a .* b .+ c .* d`), its array is reused and nothing is allocated; where the caller still
/// holds it, it is copied first, as a new array would be.
///
/// Always inlined, and the three operators with it, so that `op` is inlined too: on `Lanes` the
/// compiler otherwise left some uses calling the operator through a pointer for every entry
/// (notes/Performance.md, fifteenth round).
@inlinable @inline(__always) func entrywise<T: Scalar>(
  _ a: consuming [T], _ b: [T], _ op: (T, T) -> T
) -> [T] {
  var out = a
  out.withUnsafeMutableBufferPointer { out in
    b.withUnsafeBufferPointer { b in for i in 0..<out.count { out[i] = op(out[i], b[i]) } }
  }
  return out
}

/// A new array of `count` copies of `value`: how this file makes the arrays it sizes up front.
///
/// `Array(repeating:count:)` and `Array(unsafeUninitializedCapacity:)` reach the standard
/// library through a generic entry point that looks up the array's type at run time on every
/// call, about 60 ns (measured; notes/Performance.md), more than a small step's arithmetic.
/// The same array made from `repeatElement` is put together in this module, specialised,
/// with the type found once.
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable func filled<T>(_ value: T, count: Int) -> [T] {
  Array(repeatElement(value, count: count))
}

/// `y` ready to be written over entry by entry: `count` entries, as it was where it had them
/// (a walk's array from the step before), or a new array of zeros where it had another count.
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable func resize<T: Scalar>(_ y: inout [T], to count: Int) {
  if y.count != count { y = filled(0, count: count) }
}

/// `source`'s entries written over `target`'s, in its array where it has as many and no one
/// else holds it: a kept room filled with new values.
@inlinable func overwrite<T>(_ target: inout [T], with source: [T]) {
  guard target.count == source.count else { return target = source }
  for i in source.indices { target[i] = source[i] }
}

/// `values = f(values)`, with `f` handed the array itself (moved out of `values` and back), so
/// that a function that works on an array no one else holds (`T.tanh(each:)`) works in place.
@inlinable @inline(__always) func update<T>(
  _ values: inout [T], _ f: (consuming [T]) -> [T]
) {
  var moved: [T] = []
  swap(&moved, &values)
  values = f(consume moved)
}

/// The dot product `a · b`.
@inlinable public func dot<T: Scalar>(_ a: [T], _ b: [T]) -> T {
  precondition(a.count == b.count, "a · b: \(a.count) vs \(b.count) entries")
  var s: T = 0
  for i in 0..<a.count { s += a[i] * b[i] }
  return s
}

/// The largest magnitude `max_i |v_i|`, 0 for no entries: `v.reduce(0) { max($0, abs($1)) }`,
/// which passes over a NaN (`max` keeps the running value when a comparison is false).
///
/// What runs keeps eight running largests side by side (one `SIMD8`), each taking `|v_i|`
/// (the sign bit cleared, as `abs` does) where it is at least as large (a NaN never is), then
/// the largest of the eight, then of the rest: the same value, since of numbers that are not
/// NaN (nor `−0`: the signs are cleared) the largest is one number whatever the order. Fewer
/// than sixteen entries (a tiny model's vectors) run the reduce.
@inlinable public func largestMagnitude(_ v: [Double]) -> Double {
  v.withUnsafeBufferPointer(largestMagnitude)
}

/// `largestMagnitude` of the entries `v` points to.
@inlinable func largestMagnitude(_ v: UnsafeBufferPointer<Double>) -> Double {
  guard let base = v.baseAddress, v.count >= 16 else {
    return v.reduce(0) { max($0, abs($1)) }  // fewer than sixteen: the reduce itself
  }
  let signless = SIMD8<UInt64>(repeating: ~(1 << 63))
  var lanes = SIMD8<Double>(repeating: 0)
  var i = 0
  while i &+ 8 <= v.count {  // `&+`: i stays below the count
    let x = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<UInt64>.self)
    let m = unsafeBitCast(x & signless, to: SIMD8<Double>.self)  // |v_i|: the sign bit cleared
    // Lane by lane as the reduce's `max` (a NaN passed over). Written so, the compiler makes it
    // one vector compare and a masked move; `replace(with:where:)` it took apart lane by lane,
    // at twice the time.
    for k in 0..<8 { lanes[k] = m[k] >= lanes[k] ? m[k] : lanes[k] }
    i &+= 8
  }
  let largest = (0..<8).reduce(0) { max($0, lanes[$1]) }
  return v[i...].reduce(largest) { max($0, abs($1)) }
}

/// `largestMagnitude` of the plain values (`primal`) of any `Scalar`'s entries.
@inlinable func largestMagnitude<T: Scalar>(_ v: [T]) -> Double {
  // On `Double` the vector loop above (the check is settled when the code is specialised).
  if T.self == Double.self { return largestMagnitude(unsafeBitCast(v, to: [Double].self)) }
  return v.reduce(0) { max($0, abs($1.primal)) }
}

/// Lifts `Double` constants to any `Scalar`.
@inlinable public func lift<T: Scalar>(_ v: [Double]) -> [T] {
  // On `Double` the same array: no copy (the check is settled when the code is specialised).
  if T.self == Double.self { return unsafeBitCast(v, to: [T].self) }
  return v.map(T.init)
}

/// The same written into `y` (`resize`): on `Double` the same array, no copy.
#if DEBUG
  @_specialize(where T == Double)
  @_specialize(where T == Dual)
  @_specialize(where T == DualLanes)
  @_specialize(where T == Traced)
  @_specialize(where T == Lanes)
#endif
@inlinable func lift<T: Scalar>(_ v: [Double], into y: inout [T]) {
  if T.self == Double.self { return y = unsafeBitCast(v, to: [T].self) }
  resize(&y, to: v.count)
  for i in v.indices { y[i] = T(v[i]) }
}
