/// The sizes of a run, in the letters defined once: `D` input, `H` hidden, `K` classes.
public struct Dims: Sendable, Equatable, CustomStringConvertible {
  /// The input size: `x_t` has D entries.
  public var D: Int
  /// The hidden size: `h_t` has H entries.
  public var H: Int
  /// The number of classes: `ŷ_t` has K entries.
  public var K: Int
  /// The three sizes.
  public init(D: Int, H: Int, K: Int) {
    self.D = D
    self.H = H
    self.K = K
  }
  /// `D=3, H=5, K=4`.
  public var description: String { "D=\(D), H=\(H), K=\(K)" }
}

/// A size in those letters.
public enum Size: Sendable {
  case D, H, K, DPlusH

  /// The size at `d`: `DPlusH` is `D + H`.
  public func value(_ d: Dims) -> Int {
    switch self {
    case .D: d.D
    case .H: d.H
    case .K: d.K
    case .DPlusH: d.D + d.H
    }
  }

  /// The size as the notes write it: `D`, `H`, `K`, `D+H`.
  public var letters: String {
    switch self {
    case .D: "D"
    case .H: "H"
    case .K: "K"
    case .DPlusH: "D+H"
    }
  }
}

/// One parameter, declared once: its name as the notes write it, its shape in letters (a
/// `rows × cols` matrix, or a vector if `cols` is nil), and how a random one is drawn.
///
/// A cell's list of these is the only place its parameters' order is stated: the flat
/// vector the oracles perturb, `grad`'s JSON names and shapes, the checks' labels and the
/// tests all follow it.
public struct ParameterSpec: Sendable {
  /// The parameter's name as the notes write it: `W`, `U_h`, `b_y`.
  public var name: String
  /// The number of rows, in letters.
  public var rows: Size
  /// The number of columns, in letters; nil for a vector.
  public var cols: Size?
  /// Random values are uniform in `[−scale, scale)`: small enough that gradients neither
  /// vanish nor explode over a few steps.
  public var scale: Double

  /// A parameter `rows × cols` (a vector if `cols` is nil), drawn uniform in `[−scale, scale)`.
  public init(_ name: String, _ rows: Size, _ cols: Size? = nil, scale: Double) {
    (self.name, self.rows, self.cols, self.scale) = (name, rows, cols, scale)
  }

  /// The shape at sizes `d`.
  public func shape(_ d: Dims) -> Shape {
    cols.map { .matrix(rows.value(d), $0.value(d)) } ?? .vector(rows.value(d))
  }
  /// The shape in letters: `H×D`, `H`.
  public var letters: String { cols.map { "\(rows.letters)×\($0.letters)" } ?? rows.letters }
}

/// The names of gate `g`'s three parameters — `W_g` (`H×H`) on `h_{t−1}`, `U_g` (`H×D`) on
/// `x_t`, bias `b_g` (`H`) — made once and used for the spec, the reads and the gradients.
public struct GateNames: Sendable {
  /// The names `W_g`, `U_g`, `b_g`.
  public let W, U, b: String
  /// Gate `g`'s names: `W_g`, `U_g`, `b_g`.
  public init(_ g: String) { (W, U, b) = ("W_" + g, "U_" + g, "b_" + g) }
  /// Names that do not follow the `W_g` pattern (the vanilla step's `W`, `U`, `b`).
  public init(W: String, U: String, b: String) { (self.W, self.U, self.b) = (W, U, b) }

  /// The gate's specs: `W` (H×H, scale 0.5), `U` (H×D, scale 0.6), `b` (H, scale 0.2).
  public var specs: [ParameterSpec] {
    [
      ParameterSpec(W, .H, .H, scale: 0.5), ParameterSpec(U, .H, .D, scale: 0.6),
      ParameterSpec(b, .H, scale: 0.2),
    ]
  }
}

extension Layout {
  /// The layout of `specs` at sizes `dims`.
  public init(_ specs: [ParameterSpec], _ dims: Dims) {
    self.init(names: specs.map(\.name), shapes: specs.map { $0.shape(dims) })
  }
}

extension Parameters<Double> {
  /// Random parameters drawn in the order of `specs`, each at its own scale times `scale`.
  public static func random(
    _ specs: [ParameterSpec], _ dims: Dims, _ rng: inout SplitMix64, scale: Double = 1
  ) -> Parameters {
    Parameters(
      Layout(specs, dims),
      values: specs.map { rng.vector($0.shape(dims).count, scale: $0.scale * scale) })
  }
}
