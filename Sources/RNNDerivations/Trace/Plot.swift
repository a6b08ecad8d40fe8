import Foundation

/// The eight block characters of a sparkline, lowest first.
let sparkBlocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

/// The decades `10^lo … 10^hi` (`lo < hi`) that contain every positive finite value of
/// `series`: the shared log scale of a sparkline or a plot.
public func decades(_ series: [[Double]]) -> (lo: Int, hi: Int) {
  let positive = series.joined().filter { $0 > 0 && $0.isFinite }
  guard let smallest = positive.min(), let largest = positive.max() else { return (0, 1) }
  let lo = Int(Foundation.floor(Foundation.log10(smallest)))
  let hi = Int(Foundation.ceil(Foundation.log10(largest)))
  return (lo, max(hi, lo + 1))
}

/// One character per value on a log scale over `decades`: `▁` at `10^lo`, `█` at `10^hi`, a
/// space for a value that is zero, negative or not finite (no logarithm).
public func sparkline(_ values: [Double], decades: (lo: Int, hi: Int)) -> String {
  let span = Double(decades.hi - decades.lo)
  return blocks(
    values.map { v in
      v > 0 && v.isFinite ? (Foundation.log10(v) - Double(decades.lo)) / span : nil
    })
}

/// One character per value on a linear scale: `▁` at `lo`, `█` at `hi` (`lo < hi`), a space
/// for a value that is not finite.
public func sparkline(_ values: [Double], from lo: Double, to hi: Double) -> String {
  blocks(values.map { v in v.isFinite ? (v - lo) / (hi - lo) : nil })
}

/// A block per position in 0 … 1 (clamped), a space for none.
private func blocks(_ positions: [Double?]) -> String {
  String(
    positions.map { position in
      guard let position else { return " " }
      let level = Int((position * Double(sparkBlocks.count - 1)).rounded())
      return sparkBlocks[min(max(level, 0), sparkBlocks.count - 1)]
    })
}

/// A line plot as plain SVG text.
///
/// A y axis on a log scale labelled at each decade (or a linear one labelled at round values),
/// the x axis `1…n`, a title, axis labels and a legend. The same input gives the same bytes.
public struct LinePlot: Sendable {
  /// One line: a name for the legend, one value per x, and whether it is drawn dashed.
  public struct Series: Sendable {
    /// The name in the legend.
    public var name: String
    /// One value per x.
    public var values: [Double]
    /// Drawn dashed, in grey: a bound rather than a measurement.
    public var dashed: Bool
    /// A series; solid unless `dashed`.
    public init(_ name: String, _ values: [Double], dashed: Bool = false) {
      (self.name, self.values, self.dashed) = (name, values, dashed)
    }
  }

  /// The title above the plot.
  public var title: String
  /// The x axis's label.
  public var xLabel: String
  /// The y axis's label.
  public var yLabel: String
  /// The x of each value: `1…n`.
  public var x: [Int]
  /// The lines, in legend order.
  public var series: [Series]
  /// How values map to heights: by decade (norms over many orders of magnitude) or evenly (a
  /// loss curve).
  public enum Scale: Sendable { case log, linear }
  /// Log (the default) or linear.
  public var yScale: Scale

  /// A plot; the y axis is a log scale unless `yScale` says linear.
  public init(
    title: String, xLabel: String, yLabel: String, x: [Int], series: [Series],
    yScale: Scale = .log
  ) {
    (self.title, self.xLabel, self.yLabel, self.x, self.series, self.yScale) = (
      title, xLabel, yLabel, x, series, yScale
    )
  }

  /// Where a value sits on the y axis, 0 at the bottom to 1 at the top, and the labelled
  /// grid lines: each decade (thinned to the multiples of `every`, so 1 is always labelled
  /// when in range, at most 11), or round values 1, 2 or 5 × 10^m apart (at most 11).
  func yAxis() -> (position: (Double) -> Double?, ticks: [(value: Double, label: String)]) {
    switch yScale {
    case .log:
      let (lo, hi) = decades(series.map(\.values))
      let every = max(1, (hi - lo + 9) / 10)
      return (
        { v in
          v > 0 && v.isFinite ? (Foundation.log10(v) - Double(lo)) / Double(hi - lo) : nil
        },
        (lo...hi).filter { $0 % every == 0 }.map { e in
          (Foundation.pow(10, Double(e)), e == 0 ? "1" : "1e\(e)")
        }
      )
    case .linear:
      let finite = series.flatMap(\.values).filter(\.isFinite)
      let (smallest, largest) = (finite.min() ?? 0, finite.max() ?? 1)
      let magnitude = Foundation.pow(
        10, Foundation.floor(Foundation.log10(max(largest - smallest, 1e-300))) - 1)
      let step =
        [1.0, 2, 5, 10, 20, 50].map { $0 * magnitude }.first { (largest - smallest) / $0 <= 10 }
        ?? 100 * magnitude
      let lo = Foundation.floor(smallest / step) * step
      let hi = max(Foundation.ceil(largest / step) * step, lo + step)
      let decimals = max(0, Int(-Foundation.floor(Foundation.log10(step))))
      let count = Int(((hi - lo) / step).rounded())
      return (
        { v in v.isFinite ? (v - lo) / (hi - lo) : nil },
        (0...count).map { k in
          let v = lo + Double(k) * step
          return (v, String(format: "%.\(decimals)f", v))
        }
      )
    }
  }

  // The canvas and the plot area inside it, in SVG user units (pixels).
  static let (width, height) = (720.0, 440.0)
  static let (left, right, top, bottom) = (80.0, 700.0, 50.0, 380.0)
  /// Solid series take these colours in turn; dashed ones (a bound) are grey.
  static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

  /// The plot as an SVG document, 720×440: the same bytes for the same input.
  public func svg() -> String {
    let (position, ticks) = yAxis()
    let (first, last) = (Double(x.first ?? 1), Double(max(x.last ?? 1, (x.first ?? 1) + 1)))
    func px(_ v: Double) -> Double {
      Self.left + (v - first) / (last - first) * (Self.right - Self.left)
    }
    func py(_ position: Double) -> Double { Self.bottom - position * (Self.bottom - Self.top) }
    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(n(Self.width))" height="\(n(Self.height))" \
      viewBox="0 0 \(n(Self.width)) \(n(Self.height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(n(Self.width / 2))" y="28" text-anchor="middle" font-size="16">\(escaped(title))</text>

      """
    // The y axis's grid lines and labels.
    for (value, label) in ticks {
      let y = py(position(value) ?? 0)
      out += "<line x1=\"\(n(Self.left))\" y1=\"\(n(y))\" x2=\"\(n(Self.right))\" y2=\"\(n(y))\" "
      out += "stroke=\"#dddddd\"/>\n"
      out += "<text x=\"\(n(Self.left - 8))\" y=\"\(n(y + 4))\" text-anchor=\"end\">"
      out += "\(label)</text>\n"
    }
    // x ticks: 1, then multiples of a step of 1, 2 or 5 × 10^m giving at most 10 of them.
    let range = Int(last - first)
    let step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].first { range / $0 < 10 } ?? 1000
    for tick in [Int(first)]
      + stride(from: step, through: Int(last), by: step).filter({
        $0 > Int(first)
      })
    {
      let xp = px(Double(tick))
      out += "<line x1=\"\(n(xp))\" y1=\"\(n(Self.bottom))\" x2=\"\(n(xp))\" "
      out += "y2=\"\(n(Self.bottom + 5))\" stroke=\"black\"/>\n"
      out +=
        "<text x=\"\(n(xp))\" y=\"\(n(Self.bottom + 20))\" text-anchor=\"middle\">\(tick)</text>\n"
    }
    // Axes and their labels.
    out += "<path d=\"M \(n(Self.left)) \(n(Self.top)) V \(n(Self.bottom)) H \(n(Self.right))\" "
    out += "fill=\"none\" stroke=\"black\"/>\n"
    out += "<text x=\"\(n((Self.left + Self.right) / 2))\" y=\"\(n(Self.bottom + 45))\" "
    out += "text-anchor=\"middle\">\(escaped(xLabel))</text>\n"
    let middle = (Self.top + Self.bottom) / 2
    out += "<text x=\"20\" y=\"\(n(middle))\" text-anchor=\"middle\" "
    out += "transform=\"rotate(-90 20 \(n(middle)))\">\(escaped(yLabel))</text>\n"
    // The lines: a polyline per run of plottable values (on a log scale, a zero has no
    // logarithm).
    var solid = 0
    var styles: [String] = []
    for s in series {
      let style: String
      if s.dashed {
        style = "stroke=\"#555555\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\""
      } else {
        style = "stroke=\"\(Self.colours[solid % Self.colours.count])\" stroke-width=\"2\""
        solid += 1
      }
      styles.append(style)
      var runs: [[String]] = [[]]
      for (xv, v) in zip(x, s.values) {
        if let p = position(v) {
          runs[runs.count - 1].append("\(n(px(Double(xv)))),\(n(py(p)))")
        } else if !(runs.last?.isEmpty ?? true) {
          runs.append([])
        }
      }
      for run in runs where !run.isEmpty {
        out += "<polyline fill=\"none\" \(style) points=\"\(run.joined(separator: " "))\"/>\n"
      }
    }
    // The legend, top right inside the plot area.
    let legendWidth = 300.0
    let (lx, ly) = (Self.right - legendWidth - 10, Self.top + 10)
    out += "<rect x=\"\(n(lx))\" y=\"\(n(ly))\" width=\"\(n(legendWidth))\" "
    out += "height=\"\(n(Double(series.count) * 20 + 10))\" fill=\"white\" stroke=\"#999999\"/>\n"
    for (k, (s, style)) in zip(series, styles).enumerated() {
      let y = ly + 18 + Double(k) * 20
      out +=
        "<line x1=\"\(n(lx + 10))\" y1=\"\(n(y - 4))\" x2=\"\(n(lx + 40))\" y2=\"\(n(y - 4))\" "
      out += "\(style)/>\n"
      out += "<text x=\"\(n(lx + 48))\" y=\"\(n(y))\">\(escaped(s.name))</text>\n"
    }
    return out + "</svg>\n"
  }

  /// A coordinate with two decimals: fixed, so the bytes never depend on the platform.
  private func n(_ v: Double) -> String { String(format: "%.2f", v) }

  /// Text with XML's special characters escaped.
  private func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
