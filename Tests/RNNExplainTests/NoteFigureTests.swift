import Foundation
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The diagrams of `notes/figures/`, drawn by hand as SVG text.
///
/// These tests keep them plain SVG that GitHub renders: well-formed XML, an `<svg>` root with
/// a `<title>`, no scripts, nothing loaded from elsewhere, a white background. Every figure a
/// note embeds exists, and every figure is embedded.
@Suite struct NoteFigureTests {
  static let notes = NoteBlockTests.notes
  static let figures = notes.appendingPathComponent("figures")

  /// What the parser saw: the elements in document order, the root's title text, and whether
  /// the document parsed.
  final class Reader: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var depth = 0
    var titleDepth: Int?
    var title = ""

    func parser(
      _ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
      qualifiedName: String?, attributes: [String: String] = [:]
    ) {
      elements.append((name, attributes))
      depth += 1
      if name == "title", depth == 2 { titleDepth = depth }
    }

    func parser(
      _ parser: XMLParser, didEndElement name: String, namespaceURI: String?,
      qualifiedName: String?
    ) {
      if titleDepth == depth { titleDepth = nil }
      depth -= 1
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
      if titleDepth != nil { title += string }
    }
  }

  /// Parses `data`.
  ///
  /// On Linux (FoundationXML), `parse()` returns true for a document that ends
  /// before its root is closed or has content after it, and reports the error only in
  /// `parserError`, so both are read.
  static func read(_ data: Data) -> (parsed: Bool, reader: Reader) {
    let parser = XMLParser(data: data)
    let reader = Reader()
    parser.delegate = reader
    let parsed = parser.parse()
    return (parsed && parser.parserError == nil, reader)
  }

  static func svgFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: figures, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "svg" }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
  }

  @Test func everyFigureIsPlainSVGWithATitle() throws {
    let files = try Self.svgFiles()
    #expect(files.count >= 4, "notes/figures holds \(files.count) figures")
    for file in files {
      let name = "notes/figures/" + file.lastPathComponent
      let (parsed, reader) = Self.read(try Data(contentsOf: file))
      #expect(parsed, "\(name) is not well-formed XML")
      #expect(reader.elements.first?.name == "svg", "\(name): the root is not <svg>")
      #expect(
        !reader.title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
        "\(name): no <title> directly under <svg>")
      for (element, attributes) in reader.elements {
        #expect(
          !["script", "foreignObject", "image", "style"].contains(element), "\(name): <\(element)>")
        for (key, value) in attributes {
          #expect(!key.lowercased().hasPrefix("on"), "\(name): event handler \(key)")
          #expect(
            !(key.hasSuffix("href") && !value.hasPrefix("#")),
            "\(name): \(key)=\(value) loads a file")
          #expect(!value.contains("url(http"), "\(name): \(key) loads from the network")
        }
      }
      // The first drawn element paints the whole canvas white, for dark backgrounds too.
      let background = reader.elements.first { $0.name == "rect" }?.attributes
      #expect(
        background?["fill"] == "#ffffff", "\(name): the first <rect> is not a white background")
      #expect(
        background?["width"] == reader.elements.first?.attributes["width"]
          && background?["height"] == reader.elements.first?.attributes["height"],
        "\(name): the background does not cover the canvas")
    }
  }

  @Test func aMalformedFigureIsTold() {
    #expect(Self.read(Data("<svg><title>t</title>".utf8)).parsed == false)
    #expect(Self.read(Data("<svg></svg><svg></svg>".utf8)).parsed == false)
    #expect(Self.read(Data("<svg><title>t</g></svg>".utf8)).parsed == false)
    #expect(Self.read(Data("<svg></svg>".utf8)).parsed == true)
    #expect(Self.read(Data("<svg><title>t</title></svg>".utf8)).reader.title == "t")
    #expect(Self.read(Data("<svg><g><title>t</title></g></svg>".utf8)).reader.title == "")
  }

  @Test func everyEmbeddedFigureExistsAndEveryFigureIsEmbedded() throws {
    var embedded: Set<String> = []
    for file in try NoteBlockTests.noteFiles() {
      let text = try String(contentsOf: file, encoding: .utf8)
      for part in text.components(separatedBy: "](figures/").dropFirst() {
        guard let end = part.firstIndex(of: ")") else { continue }
        let figure = String(part[..<end])
        embedded.insert(figure)
        #expect(
          FileManager.default.fileExists(atPath: Self.figures.appendingPathComponent(figure).path),
          "notes/\(file.lastPathComponent) embeds figures/\(figure), which does not exist")
      }
    }
    let files = Set(try Self.svgFiles().map(\.lastPathComponent))
    #expect(
      files.subtracting(embedded).isEmpty, "figures no note embeds: \(files.subtracting(embedded))")
    for figure in [
      "unrolled-rnn.svg", "lstm-cell.svg", "gru-reset-before.svg", "gru-reset-after.svg",
    ] {
      #expect(embedded.contains(figure), "no note embeds figures/\(figure)")
    }
  }
}
