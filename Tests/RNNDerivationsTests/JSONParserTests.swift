import Foundation
import RNNDerivations
import Testing

/// Malformed texts and a fragment their error must contain.
private let malformed: [(String, String)] = [
  ("{\"a\": 1,}", "line 1, column 9"),
  ("[1, 2", "expected ',' or ']'"),
  ("01", "leading zero"),
  ("-", "expected a digit"),
  ("1.", "after '.'"),
  ("\"\\u+041\"", "four hex digits"),
  ("\"\\ud83d\"", "unpaired surrogate"),
  ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\""),
  ("[1] 2", "unexpected text after"),
  ("\"abc", "unterminated string"),
  (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nested deeper"),
  ("{\n  \"a\" 1}", "line 2, column 7"),
  ("{\"a\": \u{1B}[2J}", "unexpected character '\\u{1b}'"),
  ("[\u{202E}]", "unexpected character '\\u{202e}'"),
  ("[é]", "unexpected character 'é'"),
  ("\"\\\u{1B}\"", "bad escape: '\\u{1b}' after a backslash"),
  ("{\"a\\nb\": 1, \"a\\nb\": 2}", "duplicate key \"a\\nb\""),
  ("{\"\\u00e9\": 1, \"é\": 2}", "duplicate key \"é\""),
]

@Suite struct JSONParserTests {
  @Test func parsesNestedValuesInOrder() throws {
    let json = try JSONParser.parse(#" {"b": [1, -2.5e-3, true, null], "a": {"s": "x\ty\u00e9"}} "#)
    #expect(json["b"] == .array([.number(1), .number(-0.0025), .bool(true), .null]))
    #expect(json["a"]?["s"] == .string("x\tyé"))
    guard case .object(let pairs) = json else { Issue.record("not an object"); return }
    #expect(pairs.map(\.0) == ["b", "a"], "keys keep their order")
  }

  /// U+1F600 is the surrogate pair D83D DE00 in JSON's \u escapes.
  @Test func decodesSurrogatePairs() throws {
    #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
  }

  /// Python's json.dumps writes these for non-finite floats; the validator names the field.
  @Test func readsPythonNonFiniteTokens() throws {
    #expect(
      try JSONParser.parse("[NaN, Infinity, -Infinity]").serialized(indent: nil)
        == "[null,null,null]")
  }

  @Test(arguments: malformed)
  func rejectsMalformed(text: String, mentions: String) {
    #expect {
      _ = try JSONParser.parse(text)
    } throws: { error in
      guard let error = error as? InputError else { return false }
      return error.code == 65 && error.message.hasPrefix("malformed JSON at line")
        && error.message.contains(mentions)
    }
  }

  /// JSON keys are sequences of code points: `é` written precomposed and as `e` + U+0301 are
  /// two keys, though Swift's `==` calls the strings equal.
  @Test func keysAreComparedByCodePoint() throws {
    let json = try JSONParser.parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}")
    guard case .object(let pairs) = json else { Issue.record("not an object"); return }
    #expect(pairs.map { Array($0.0.unicodeScalars) } == [["\u{E9}"], ["e", "\u{301}"]])
  }

  /// One hash-set lookup per key: 80,000 keys took minutes when each key was compared with
  /// every key before it.
  @Test func manyKeysParseInLinearTime() throws {
    let text = "{" + (0..<80_000).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + "}"
    let start = ContinuousClock.now
    let json = try JSONParser.parse(text)
    let elapsed = ContinuousClock.now - start
    guard case .object(let pairs) = json else { Issue.record("not an object"); return }
    #expect(pairs.count == 80_000)
    #expect(elapsed < .seconds(10), "\(elapsed)")
  }

  /// Echoed text is escaped and cut, so that an error stays one short, visible line.
  @Test func quotedEscapesAndCuts() {
    #expect(quoted("abc") == "'abc'")
    #expect(quoted("a\nb\tc\r\u{1B}[0m\u{7F}\\", mark: "\"") == #""a\nb\tc\r\u{1b}[0m\u{7f}\\""#)
    #expect(quoted("\u{202E}\u{200B}\u{2028}\u{85}") == #"'\u{202e}\u{200b}\u{2028}\u{85}'"#)
    #expect(quoted("é😀e\u{301}") == "'é😀e\u{301}'", "printable text as it is")
    #expect(
      quoted(String(repeating: "a", count: 40)) == "'" + String(repeating: "a", count: 40) + "'")
    let cut = "'" + String(repeating: "a", count: 40) + "…' (20000000 characters)"
    #expect(quoted(String(repeating: "a", count: 20_000_000)) == cut)
    #expect(quoted(String(repeating: "\n", count: 50), limit: 2) == #"'\n\n…' (50 characters)"#)
  }

  /// Output: shortest round-trip numbers, integers without a fraction, escaped strings.
  @Test func serializesStably() {
    let json = JSON.object([
      ("x", .numbers([0.1, 2, -1e-20])), ("s", .string("a\"b\n")), ("e", .array([])),
    ])
    #expect(json.serialized(indent: nil) == #"{"x":[0.1,2,-1e-20],"s":"a\"b\n","e":[]}"#)
  }
}
