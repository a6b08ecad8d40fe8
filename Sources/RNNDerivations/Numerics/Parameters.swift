/// The shape of a variable: a vector of `rows` entries, or a `rows × cols` matrix.
public struct Shape: Sendable, Equatable, CustomStringConvertible {
  /// The number of rows (a vector's entry count).
  public var rows: Int
  /// The number of columns: 1 for a vector.
  public var cols: Int
  /// A vector rather than a matrix (an `n`-vector and an `n × 1` matrix print differently).
  public var isVector: Bool

  /// A vector of `n` entries.
  public static func vector(_ n: Int) -> Shape { Shape(rows: n, cols: 1, isVector: true) }
  /// A `rows × cols` matrix.
  public static func matrix(_ rows: Int, _ cols: Int) -> Shape {
    Shape(rows: rows, cols: cols, isVector: false)
  }

  /// The number of entries, `rows · cols`.
  public var count: Int { rows * cols }
  /// `5` for a vector, `5×3` for a matrix.
  public var description: String { isVector ? "\(rows)" : "\(rows)×\(cols)" }

  /// The readable index of flat entry `k`: `[i]` or `[i, j]`.
  public func index(_ k: Int) -> String { isVector ? "[\(k)]" : "[\(k / cols), \(k % cols)]" }
}

/// Names and shapes in one order: the variables of a forward function.
///
/// The order is declared once, where the names are (a cell's parameter list, a derivation's
/// point); code that computes with the values reads them by name.
public struct Layout: Sendable {
  /// The variables' names, in order.
  public var names: [String] { known.names }
  /// The variables' shapes, in the same order.
  public let shapes: [Shape]
  /// The names and what finds one fast.
  @usableFromInline let known: Names

  /// Names and shapes, one shape per name; the names must differ.
  public init(names: [String], shapes: [Shape]) {
    precondition(Set(names).count == names.count, "names must differ: \(names)")
    self.init(Names(distinct: names), shapes: shapes)
  }

  /// Names already checked to differ, with their fingerprints, and one shape per name: a
  /// layout made at every step (`StackedCell` hands each layer its own), where hashing every
  /// name again would cost more than the step's arithmetic.
  init(_ names: Names, shapes: [Shape]) {
    precondition(names.names.count == shapes.count, "one shape per name")
    known = names
    self.shapes = shapes
  }

  /// The index of `name` in this order; a name the layout lacks is a programming error.
  ///
  /// A scan, not a hash table: a layout holds a few dozen names at most. The scan compares
  /// fingerprints, one integer per name, and a string only where they agree: comparing two
  /// different strings is a call into the standard library (Unicode-aware), and every
  /// parameter read of every step makes a dozen of them.
  @inlinable public func index(of name: String) -> Int {
    let key = Names.fingerprint(name)
    for k in known.fingerprints.indices where known.fingerprints[k] == key {
      if known.names[k] == name { return k }
    }
    // Equal as Swift compares strings (canonical equivalence) with other bytes: rare.
    guard let k = known.names.firstIndex(of: name) else {
      preconditionFailure("no variable '\(name)' in \(names)")
    }
    return k
  }

  /// The index of `name`, looked for first at `guess`, then by `index(of:)`.
  ///
  /// The guess is where the caller expects it: a gate's `U` right after its `W`, a step's
  /// shares in the order of the parameters. Two names that are the same string compare equal
  /// at once; a wrong guess costs one comparison.
  @inlinable public func index(of name: String, guess: Int) -> Int {
    known.names.indices.contains(guess) && known.names[guess] == name ? guess : index(of: name)
  }

  /// The index of `name`, looked for first right after `k`, or at the first name after the last
  /// (a walk's sums: a step's shares come in the parameters' order, and the next step's start
  /// again from the first).
  @inlinable public func index(of name: String, after k: Int) -> Int {
    index(of: name, guess: k + 1 < known.names.count ? k + 1 : 0)
  }

  /// Names known to differ, each with a fingerprint of its UTF-8 bytes.
  @usableFromInline struct Names: Sendable {
    /// The names, in order.
    @usableFromInline let names: [String]
    /// `fingerprint(names[k])` for every `k`.
    @usableFromInline let fingerprints: [UInt64]

    /// Names the caller has checked to differ.
    init(distinct names: [String]) {
      self.names = names
      fingerprints = names.map(Self.fingerprint)
    }

    /// FNV-1a of the bytes: equal bytes give equal fingerprints; equal fingerprints are
    /// confirmed by comparing the strings.
    @inlinable static func fingerprint(_ name: String) -> UInt64 {
      func fnv(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
      }
      // The bytes in place (a short name's from its inline storage), else one by one.
      return name.utf8.withContiguousStorageIfAvailable(fnv) ?? fnv(name.utf8)
    }
  }
}

/// Named values over any `Scalar`, flat (row-major) and in the order of their `Layout`.
///
/// What every forward function is evaluated at, and what a model's parameters and gradients
/// are: the oracles perturb `values`, the math reads `p.matrix("W")` and `p["b"]`.
public struct Parameters<T: Scalar>: Sendable {
  /// The names and shapes of `values`, in order.
  public let layout: Layout
  /// One flat array (row-major) per variable, in layout order.
  public internal(set) var values: [[T]] {
    didSet { kept = nil }  // copies of the old values would be stale
  }
  /// A second form of the values, when this value keeps one (`Matrix.Kept`); nil otherwise.
  @usableFromInline var kept: Kept?
  /// What values keep beside themselves: at most one form, one reference.
  @usableFromInline enum Kept: Sendable {
    /// Per variable, a matrix's values column after column (`keepingColumns`), nil for a
    /// vector.
    case columns([[T]?])
    /// Per variable, the numbers its values are constants of (`init(constants:)`).
    case constants([[Double]])
  }
  /// Per value, the largest magnitude of any one contribution `add` summed into it: the
  /// scale of the sum's rounding, which can exceed the sum's own when its terms cancel.
  ///
  /// Zeros until something is added.
  public var largestAddend: [Double] { addends.isEmpty ? values.map { _ in 0 } : addends }
  /// `largestAddend` once something was added; empty before, so that values never summed into
  /// (a point, a stack's layer's parameters at every pass) make no array for it.
  private var addends: [Double] = []

  /// The values, one array per name, each with its shape's count of entries.
  public init(_ layout: Layout, values: [[T]]) {
    precondition(
      zip(layout.shapes, values).allSatisfy { $0.count == $1.count }
        && values.count
          == layout.names.count,
      "values do not match the layout \(layout.names)")
    self.layout = layout
    self.values = values
  }

  /// `values` written over with `new`'s arrays, as many, in place: the list reused where no
  /// one else holds it.
  mutating func replaceValues(with new: ArraySlice<[T]>) {
    precondition(new.count == values.count, "one array per value")
    for (k, value) in zip(values.indices, new) { values[k] = value }
  }

  /// Zeros in every entry: where gradients accumulate.
  public static func zeros(_ layout: Layout) -> Parameters {
    Parameters(layout, values: layout.shapes.map { [T](repeating: 0, count: $0.count) })
  }

  /// The values of `name`, flat: a vector as it is, a matrix row after row.
  @inlinable public subscript(name: String) -> [T] { values[layout.index(of: name)] }

  /// The values of `name` as a matrix of its declared shape.
  @inlinable public func matrix(_ name: String) -> Matrix<T> { matrix(at: layout.index(of: name)) }

  /// The values of variable `k` as a matrix of its declared shape.
  @inlinable func matrix(at k: Int) -> Matrix<T> {
    let second: Matrix<T>.Kept? =
      switch kept {
      case .columns(let columns)?: columns[k].map { .columns($0) }
      case .constants(let numbers)?: .constants(numbers[k])
      case nil: nil
      }
    return Matrix(
      rows: layout.shapes[k].rows, cols: layout.shapes[k].cols, storage: values[k], kept: second)
  }

  /// The same values, each matrix also kept column after column.
  ///
  /// A walk reads every weight at every step, and `M x` runs along the columns in vector loads
  /// (`Matrix.*`), the same sums in the same order: one copy of the weights per walk (or per
  /// batch of walks: values that keep them already are returned as they are).
  public func keepingColumns() -> Parameters {
    if case .columns = kept { return self }
    var p = self
    p.kept = .columns(
      zip(layout.shapes, values).map { shape, v in
        shape.isVector ? nil : Matrix.columnMajor(v, rows: shape.rows, cols: shape.cols)
      })
    return p
  }

  /// `+=` into `name`, entry by entry: a gradient summed over time steps.
  public mutating func add(_ name: String, _ g: [T]) { add(at: layout.index(of: name), g) }

  /// `+=` into variable `k`, entry by entry.
  mutating func add(at k: Int, _ g: [T]) {
    precondition(
      values[k].count == g.count,
      "∂/∂\(layout.names[k]): \(g.count) entries, expected \(values[k].count)")
    values[k].withUnsafeMutableBufferPointer { v in
      g.withUnsafeBufferPointer { g in
        for i in v.indices { v[i] += g[i] }
      }
    }
    // Apart from the sum, so that the sum's loop runs in vectors.
    noteAddend(largestMagnitude(g), at: k)
  }

  /// Variable `k`'s largest addend so far.
  func addend(at k: Int) -> Double { addends.isEmpty ? 0 : addends[k] }

  /// `magnitude` added into variable `k`: its largest addend the larger of the two.
  mutating func noteAddend(_ magnitude: Double, at k: Int) {
    setAddend(max(addend(at: k), magnitude), at: k)
  }

  /// Variable `k`'s largest addend set to `magnitude` (the others zeros, if none was yet).
  mutating func setAddend(_ magnitude: Double, at k: Int) {
    if addends.isEmpty { addends = values.map { _ in 0 } }
    addends[k] = magnitude
  }
}

extension Parameters<Double> {
  /// `+=` one step's share into `name`: a vector entry by entry, an outer product `a ⊗ b`
  /// without forming it (`Matrix.addOuters`), each entry getting the same `a[i] · b[j]`.
  public mutating func add(_ name: String, _ g: StepGradient) { add(at: layout.index(of: name), g) }

  /// `+=` one step's share into variable `k`.
  mutating func add(at k: Int, _ g: StepGradient) {
    guard case .outer(let a, let b) = g else { return add(at: k, g.values) }
    var share = OuterShares()
    share.append(a, b)
    add(at: k, share)
  }

  /// `+=` the outer products `Σ_t a_t ⊗ b_t` into `name`, t = 0, 1, … in the order they came:
  /// the same additions as adding them one at a time.
  public mutating func add(_ name: String, _ shares: OuterShares) {
    add(at: layout.index(of: name), shares)
  }

  /// Variable `k` alone, with the largest addend so far.
  func variable(at k: Int) -> Parameters<Double> {
    var one = Parameters(
      Layout(names: [layout.names[k]], shapes: [layout.shapes[k]]), values: [values[k]])
    one.setAddend(addend(at: k), at: 0)
    return one
  }

  /// Variable `k`'s values and largest addend from `one`, a single variable's (`variable(at:)`).
  mutating func replace(at k: Int, with one: Parameters<Double>) {
    values[k] = one.values[0]
    setAddend(one.addend(at: 0), at: k)
  }

  /// `+=` the outer products into variable `k`.
  mutating func add(at k: Int, _ shares: OuterShares) {
    precondition(
      values[k].count == shares.rows * shares.cols,
      "∂/∂\(layout.names[k]): \(shares.rows)×\(shares.cols) entries, expected \(values[k].count)")
    Matrix.addOuters(shares.a, shares.b, count: shares.count, into: &values[k])
    noteAddend(shares.largest, at: k)
  }
}

/// A weight's outer-product shares `a_t ⊗ b_t` as their factors, stacked in the order they
/// came (`a_t` row t of `a`, `b_t` row t of `b`): H + H numbers a step instead of H·H.
public struct OuterShares: Sendable {
  /// The `a_t`, one after another (`count × rows`).
  public private(set) var a: [Double] = []
  /// The `b_t`, one after another (`count × cols`).
  public private(set) var b: [Double] = []
  /// How many shares.
  public private(set) var count = 0
  /// The largest `|a_t[i] · b_t[j]|` of any share: max|a_t| · max|b_t| (rounding is monotone,
  /// so the largest rounded product is the rounded product of the largest factors), the
  /// largest of them t = 0, 1, ….
  ///
  /// Worked out when read, where the shares are added (on every core: `GradientSums.total`),
  /// not at every step of the walk.
  public var largest: Double {
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        (0..<count).reduce(0) { largest, t in
          let a_t = UnsafeBufferPointer(rebasing: a[t * rows..<(t + 1) * rows])
          let b_t = UnsafeBufferPointer(rebasing: b[t * cols..<(t + 1) * cols])
          return max(largest, largestMagnitude(a_t) * largestMagnitude(b_t))
        }
      }
    }
  }
  /// The length of each `a_t` and each `b_t`: the weight is `rows × cols`.
  public private(set) var rows = 0, cols = 0

  /// How many shares to make room for when the first arrives (a walk's steps).
  private var expected = 1

  /// No shares yet; room for `expected` when the first arrives.
  public init(expected: Int = 1) { self.expected = max(1, expected) }

  /// Adds `a ⊗ b` as the last share.
  public mutating func append(_ a: [Double], _ b: [Double]) {
    precondition(count == 0 || (a.count, b.count) == (rows, cols), "a ⊗ b: shapes differ")
    if count == 0 {
      // One allocation per factor for the whole walk, not one per doubling.
      self.a.reserveCapacity(expected * a.count)
      self.b.reserveCapacity(expected * b.count)
    }
    (rows, cols) = (a.count, b.count)
    // Through their buffers: `+=` takes its operand owned, a retain and a release per factor.
    a.withUnsafeBufferPointer { self.a.append(contentsOf: $0) }
    b.withUnsafeBufferPointer { self.b.append(contentsOf: $0) }
    count += 1
  }
}

/// A walk's gradient sums, `+=` over the steps.
///
/// Each step's shares join as they come, except a weight's outer products (`da ⊗ h_{t−1}`):
/// those wait as their factors and are added at the end in one pass (`Matrix.addOuters`), the
/// same additions in the same order, with each entry's running sum held in a register across
/// the steps where adding in place would read and write the whole H×H matrix at every step.
struct GradientSums: ShareSink {
  /// What has joined so far (the waiting shares not yet).
  private var sums: Parameters<Double>
  /// Per variable, its outer-product shares still waiting.
  private var waiting: [OuterShares]
  /// A replacement for `+=` (a catalogued mistake, `SequenceModel.accumulate`); nil: `+=`.
  private let accumulate: Accumulation?
  /// The variable the last share joined.
  private var last = -1

  /// Zeros in the shape of `layout`, summed with `+=` or with `accumulate`, over `steps`
  /// steps (the room the waiting shares take).
  init(_ layout: Layout, accumulate: Accumulation?, steps: Int) {
    (sums, waiting, self.accumulate) = (
      .zeros(layout), layout.names.map { _ in OuterShares(expected: steps) }, accumulate
    )
  }

  /// One step's share `a ⊗ b` of `name`'s gradient waits, as its factors, to join the sum.
  mutating func join(_ name: String, outer a: [Double], _ b: [Double]) {
    if let accumulate { return accumulate(&sums, name, .outer(a, b)) }
    waiting[variable(name)].append(a, b)
  }

  /// One step's share `v` of `name`'s gradient joins the sum.
  mutating func join(_ name: String, vector v: [Double]) {
    if let accumulate { return accumulate(&sums, name, .vector(v)) }
    let k = variable(name)
    flush(k)  // the shares before this one first: the order of the additions is kept
    sums.add(at: k, v)
  }

  /// Where `name` is, looked for first after the last share's variable.
  private mutating func variable(_ name: String) -> Int {
    last = sums.layout.index(of: name, after: last)
    return last
  }

  /// The waiting shares of variable `k` added.
  private mutating func flush(_ k: Int) {
    guard waiting[k].count > 0 else { return }
    sums.add(at: k, waiting[k])
    waiting[k] = OuterShares(expected: waiting[k].count)
  }

  /// Every share added: the gradients.
  ///
  /// Each weight's waiting shares are a sum of its own, so where they are many multiply–adds
  /// (a long walk, large weights) the weights are summed on every core, each into its own
  /// copy, then put in place: every entry gets the same additions in the same order.
  mutating func total() -> Parameters<Double> {
    let work = waiting.reduce(0) { $0 + $1.count * $1.rows * $1.cols }
    guard work >= Self.worthEveryCore else {
      for k in waiting.indices { flush(k) }
      return sums
    }
    let (sums, waiting) = (self.sums, self.waiting)
    let pending = waiting.indices.filter { waiting[$0].count > 0 }
    let summed = pending.concurrentMap { k in
      var one = sums.variable(at: k)
      one.add(at: 0, waiting[k])
      return one
    }
    for (k, one) in zip(pending, summed) { self.sums.replace(at: k, with: one) }
    self.waiting = waiting.map { OuterShares(expected: $0.count) }
    return self.sums
  }

  /// Multiply–adds below which the weights are summed one after another.
  ///
  /// Where waking another core costs more than it saves, measured (notes/Performance.md,
  /// fourteenth round): an RNN at T = 100, H = 64 (0.68 million) is summed on one core 4%
  /// faster; a GRU there (1.9 million) is as fast either way; an LSTM at the caps needs every
  /// core.
  static let worthEveryCore = 1 << 20
}

extension Parameters {
  /// The same names with `name`'s values replaced.
  public mutating func replace(_ name: String, with v: [T]) {
    let k = layout.index(of: name)
    precondition(
      values[k].count == v.count, "\(name): \(v.count) entries, expected \(values[k].count)")
    values[k] = v
  }
}

extension Parameters<Double> {
  /// The variables of a point, with their values.
  public init(_ point: [Variable]) {
    self.init(
      Layout(names: point.map(\.name), shapes: point.map(\.shape)), values: point.map(\.values))
  }

  /// As `Variable`s, in layout order.
  public var variables: [Variable] {
    zip(layout.names, zip(layout.shapes, values)).map { Variable($0, shape: $1.0, $1.1) }
  }
}

extension Parameters {
  /// The values of `p` as constants of `T` (`T(value)`): no tangent on a dual number, on no
  /// tape, every lane the same on `Lanes`.
  public init(constants p: Parameters<Double>) {
    self.init(p.layout, values: p.values.map(lift))
    kept = .constants(p.values)  // shared, not copied
  }
}
