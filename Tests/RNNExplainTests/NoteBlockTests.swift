import Foundation
import Testing

@testable import rnn_explain

/// The generated blocks of `notes/*.md`, checked against the commands that print them.
///
/// Every number a note shows from `rnn-explain` sits between two markers, the first holding
/// the exact command that prints it:
///
///     <!-- BEGIN rnn-explain show softmax --seed 0 --dims 3,5,4 --format markdown -->
///
///     …the command's standard output…
///
///     <!-- END -->
///
/// Markdown output (`--format markdown`) stands as it is; any other output is put in a
/// ```` ``` ```` fence. Paths in a command are relative to the repository's root. Each command
/// runs in-process, and a block that differs from its command's output fails, naming the note
/// and the command. A note that quotes a few lines of a long output marks them
/// `<!-- EXCERPT rnn-explain … -->` … `<!-- END -->` instead: every line of the excerpt's
/// fence must be a line of the output, in the same order (a line `...` marks lines left out).
///
/// `RNN_EXPLAIN_REWRITE_NOTES=1 swift test --filter NoteBlockTests` rewrites every block from
/// its command instead (and then fails, so that a rewrite is never mistaken for a comparison);
/// review `git diff notes`. notes/Generated.md explains the blocks.
@Suite struct NoteBlockTests {
  static let notes = repositoryRoot.appendingPathComponent("notes")

  static let begin = "<!-- BEGIN rnn-explain "
  static let excerpt = "<!-- EXCERPT rnn-explain "
  static let end = "<!-- END -->"

  /// One generated block or excerpt: the command in its marker and where the markers are.
  struct Block {
    var command: String
    var isExcerpt: Bool
    /// Line indices of the BEGIN and END markers.
    var beginLine: Int
    var endLine: Int
  }

  enum MarkerError: Error, CustomStringConvertible {
    case unclosed(note: String, line: Int)
    case stray(note: String, line: Int, marker: String)
    var description: String {
      switch self {
      case .unclosed(let note, let line): "\(note):\(line): BEGIN without an END"
      case .stray(let note, let line, let marker): "\(note):\(line): \(marker) out of place"
      }
    }
  }

  /// The blocks of one note, in order; markers must pair up and never nest.
  static func blocks(_ lines: [Substring], note: String) throws -> [Block] {
    var found: [Block] = []
    var open: (command: String, isExcerpt: Bool, line: Int)?
    for (n, line) in lines.enumerated() {
      if let marker = [begin, excerpt].first(where: { line.hasPrefix($0.dropLast()) }) {
        guard open == nil, line.hasPrefix(marker), line.hasSuffix(" -->") else {
          throw MarkerError.stray(note: note, line: n + 1, marker: String(line))
        }
        let command = String(line.dropFirst(marker.count).dropLast(" -->".count))
        open = (command, marker == excerpt, n)
      } else if line == end {
        guard let begun = open else {
          throw MarkerError.stray(note: note, line: n + 1, marker: end)
        }
        found.append(
          Block(
            command: begun.command, isExcerpt: begun.isExcerpt, beginLine: begun.line, endLine: n))
        open = nil
      }
    }
    if let begun = open { throw MarkerError.unclosed(note: note, line: begun.line + 1) }
    return found
  }

  /// The words of a marker's command; a word naming a file of the repository becomes its path,
  /// so that the block does not depend on the directory the tests run in.
  static func arguments(_ command: String) -> [String] {
    command.split(separator: " ").map { word in
      let path = repositoryRoot.appendingPathComponent(String(word)).path
      return word.contains("/") && FileManager.default.fileExists(atPath: path)
        ? path : String(word)
    }
  }

  static func run(_ command: String) -> Output { CLI(color: false).run(arguments(command)) }

  /// The first of `quoted` that is not a line of `output` after the lines before it.
  static func missing(_ quoted: [String], from output: String) -> String? {
    var rest = output.split(separator: "\n", omittingEmptySubsequences: false)[...]
    for line in quoted {
      guard let at = rest.firstIndex(where: { $0 == line }) else { return line }
      rest = rest[(at + 1)...]
    }
    return nil
  }

  /// What belongs between a command's markers: a blank line, the output (fenced unless it is
  /// Markdown), a blank line.
  static func generated(_ command: String) -> (text: String, code: Int32, stderr: String) {
    let words = arguments(command)
    let output = run(command)
    let markdown = zip(words, words.dropFirst()).contains { $0 == "--format" && $1 == "markdown" }
    let body = markdown ? output.stdout : "```\n" + output.stdout + "```\n"
    return ("\n" + body + "\n", output.code, output.stderr)
  }

  /// The notes, then the README (whose first screen shows a trace).
  static func noteFiles() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: notes, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "md" }
      .sorted { $0.lastPathComponent < $1.lastPathComponent }
      + [repositoryRoot.appendingPathComponent("README.md")]
  }

  @Test func everyGeneratedBlockIsCurrent() throws {
    let rewriting = ProcessInfo.processInfo.environment["RNN_EXPLAIN_REWRITE_NOTES"] == "1"
    var compared = 0
    var rewritten = 0
    for file in try Self.noteFiles() {
      let note = String(file.path.dropFirst(repositoryRoot.path.count + 1))
      let text = try String(contentsOf: file, encoding: .utf8)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      let blocks = try Self.blocks(lines, note: note)
      var out: [String] = []
      var next = 0
      for block in blocks {
        out += lines[next...block.beginLine].map(String.init)
        next = block.endLine
        if block.isExcerpt {
          out += lines[(block.beginLine + 1)..<block.endLine].map(String.init)
          let quoted = lines[(block.beginLine + 1)..<block.endLine]
            .filter {
              !$0.isEmpty && !$0.hasPrefix("```")
                && $0.trimmingCharacters(in: .whitespaces) != "..."
            }
            .map(String.init)
          if let missing = Self.missing(quoted, from: Self.run(block.command).stdout) {
            Issue.record(
              """
              \(note): the excerpt of `rnn-explain \(block.command)` (line \(block.beginLine + 1)) \
              is stale: its output has no line, in that order,
                \(missing)
              """)
          }
          compared += 1
          continue
        }
        let (expected, code, stderr) = Self.generated(block.command)
        #expect(
          code == 0 && stderr.isEmpty,
          "\(note): rnn-explain \(block.command): exit \(code) \(stderr)")
        let actual = lines[(block.beginLine + 1)..<block.endLine].map { $0 + "\n" }.joined()
        if rewriting {
          out.append(String(expected.dropLast()))
          rewritten += 1
        } else {
          if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let k = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
            Issue.record(
              """
              \(note): the block of `rnn-explain \(block.command)` (line \(block.beginLine + 1)) \
              is stale at its line \(k):
                note: \(k < a.count ? String(a[k]) : "<end>")
                now:  \(k < e.count ? String(e[k]) : "<end>")
              Rewrite with RNN_EXPLAIN_REWRITE_NOTES=1 swift test --filter NoteBlockTests
              """)
          }
          compared += 1
        }
      }
      if rewriting && !blocks.isEmpty {
        out += lines[next...].map(String.init)
        try Data(out.joined(separator: "\n").utf8).write(to: file)
      }
    }
    #expect(!rewriting, "rewrote \(rewritten) blocks; unset RNN_EXPLAIN_REWRITE_NOTES")
    #expect(rewriting || compared > 0, "no generated blocks found in notes/")
  }

  @Test func markersPairUpAndFlagStrays() throws {
    let good: [Substring] = [
      "text", "<!-- BEGIN rnn-explain show softmax -->", "", "x", "", "<!-- END -->", "after",
    ]
    let found = try Self.blocks(good, note: "n")
    #expect(found.count == 1)
    #expect(found.first?.command == "show softmax")
    #expect(found.first?.beginLine == 1 && found.first?.endLine == 5)
    #expect(throws: MarkerError.self) {
      try Self.blocks(["<!-- BEGIN rnn-explain show softmax -->", "x"], note: "n")
    }
    #expect(throws: MarkerError.self) { try Self.blocks(["x", "<!-- END -->"], note: "n") }
    #expect(throws: MarkerError.self) {
      try Self.blocks(
        ["<!-- BEGIN rnn-explain a -->", "<!-- BEGIN rnn-explain b -->", "<!-- END -->"], note: "n")
    }
    let excerpt = try Self.blocks(
      ["<!-- EXCERPT rnn-explain show x -->", "<!-- END -->"], note: "n")
    #expect(excerpt.first?.isExcerpt == true && excerpt.first?.command == "show x")
  }

  @Test func anExcerptIsInOrder() {
    let output = "a\nb\nc\n"
    #expect(Self.missing(["a", "c"], from: output) == nil)
    #expect(Self.missing(["c", "a"], from: output) == "a")
    #expect(Self.missing(["b", "d"], from: output) == "d")
  }

  @Test func textIsFencedAndMarkdownIsNot() {
    // The text output of a command, fenced, differs from its Markdown output.
    let text = Self.generated("show softmax --seed 0 --dims 3,5,4").text
    let markdown = Self.generated("show softmax --seed 0 --dims 3,5,4 --format markdown").text
    #expect(text.hasPrefix("\n```\nsoftmax — Softmax and its Jacobian\n"))
    #expect(markdown.hasPrefix("\n# softmax — Softmax and its Jacobian\n"))
    #expect(text != markdown)
  }
}
