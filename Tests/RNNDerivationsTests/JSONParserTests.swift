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

/// Numbers and the double each must read as, bit for bit.
///
/// The bit patterns were written with Python's `float` (David Gay's correctly rounded
/// conversion, not this parser): `struct.unpack('<Q', struct.pack('<d', float(s)))`.
private let numbersAndBits: [(String, UInt64)] = [
  ("0.1", 0x3FB9_9999_9999_999A),
  ("0.3", 0x3FD3_3333_3333_3333),
  ("-0", 0x8000_0000_0000_0000),
  ("-0.0e5", 0x8000_0000_0000_0000),
  ("0.043812217488192806", 0x3FA6_6E8E_128D_D688),
  ("-1.623106890531867", 0xBFF9_F83E_EE4B_F229),
  ("0.000001", 0x3EB0_C6F7_A0B5_ED8D),
  ("-123.456e-7", 0xBEE9_E3FE_580F_5494),
  ("8.589973e9", 0x4200_0004_B040_0000),
  ("1e23", 0x44B5_2D02_C7E1_4AF6),
  // Ties, rounded to the even neighbour; just above a tie, up.
  ("9007199254740993", 0x4340_0000_0000_0000),
  ("9007199254740994", 0x4340_0000_0000_0001),
  ("9007199254740995", 0x4340_0000_0000_0002),
  ("90071992547409930e-1", 0x4340_0000_0000_0000),
  ("4503599627370497.5", 0x4330_0000_0000_0002),
  ("4503599627370496.5", 0x4330_0000_0000_0000),
  ("4503599627370496.50000000001", 0x4330_0000_0000_0001),
  // The edges of the integer shortcut (19 digits, 10^±27) and past them.
  ("1e-27", 0x3A53_CE9A_36F2_3C10),
  ("1e-28", 0x3A1F_B0F6_BE50_6019),
  ("123456789012345678e-27", 0x3DE0_F7BF_E5E2_538B),
  ("9999999999999999999e27", 0x497C_06A5_EC54_33C6),
  ("1.00000000000000011102230246251565404236316680908203125", 0x3FF0_0000_0000_0000),
  ("1.00000000000000011102230246251565404236316680908203126", 0x3FF0_0000_0000_0001),
  // Subnormals, the smallest normal, the largest finite, and past the ends.
  ("5e-324", 0x0000_0000_0000_0001),
  ("2.4703282292062327e-324", 0x0000_0000_0000_0000),
  ("2.4703282292062328e-324", 0x0000_0000_0000_0001),
  ("2.5e-310", 0x0000_2E05_5C9A_3F6C),
  ("2.2250738585072014e-308", 0x0010_0000_0000_0000),
  ("1.7976931348623157e308", 0x7FEF_FFFF_FFFF_FFFF),
  ("1e400", 0x7FF0_0000_0000_0000),
  ("-1e400", 0xFFF0_0000_0000_0000),
  ("1e-400", 0x0000_0000_0000_0000),
]

/// The parser's numbers (`ExactDecimal`, or `Double(String)` where it declines) and the
/// serializer's, against values worked out elsewhere.
@Suite struct JSONNumberTests {
  @Test(arguments: numbersAndBits)
  func readsTheNearestDouble(text: String, bits: UInt64) throws {
    guard case .array(let items) = try JSONParser.parse("[\(text)]"),
      case .number(let x) = items.first
    else {
      Issue.record("not an array of a number")
      return
    }
    #expect(x.bitPattern == bits, "\(text)")
  }

  /// Random decimals of 1 to 25 digits, a point anywhere or none, exponents from −340 to 340:
  /// each reads as the very double `Double(String)` gives (what the parser used for every
  /// number before the shortcut).
  @Test func readsNumbersAsDoubleStringDoes() throws {
    var rng = SplitMix64(seed: 12)
    var texts: [String] = []
    for _ in 0..<200_000 {
      let count = 1 + rng.index(below: 25)
      var digits = String(1 + rng.index(below: 9))
      for _ in 1..<count { digits += String(rng.index(below: 10)) }
      if rng.index(below: 3) == 0 {
        let point = 1 + rng.index(below: count)
        digits.insert(".", at: digits.index(digits.startIndex, offsetBy: point))
        if point == count { digits += "0" }
      }
      let sign = rng.index(below: 2) == 0 ? "-" : ""
      let exponent =
        switch rng.index(below: 4) {
        case 0: ""
        case 1: "e\(rng.index(below: 60) - 30)"
        case 2: "E+\(rng.index(below: 30))"
        default: "e\(rng.index(below: 681) - 340)"
        }
      texts.append(sign + digits + exponent)
    }
    guard case .array(let items) = try JSONParser.parse("[" + texts.joined(separator: ",") + "]")
    else {
      Issue.record("not an array")
      return
    }
    var mismatches: [String] = []
    for (text, item) in zip(texts, items) {
      guard case .number(let x) = item, let expected = Double(text),
        x.bitPattern == expected.bitPattern
      else {
        mismatches.append(text)
        continue
      }
    }
    #expect(items.count == texts.count)
    #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
  }

  /// The shortest round-trip digits of random doubles (every bit pattern, and the ranges
  /// weights live in) read back as the same double.
  @Test func readsShortestDigitsBack() throws {
    var rng = SplitMix64(seed: 13)
    var xs: [Double] = []
    while xs.count < 200_000 {
      let x =
        switch xs.count % 3 {
        case 0: Double(bitPattern: rng.next())
        case 1: rng.uniform(3)
        default: rng.uniform(1e-20)
        }
      if x.isFinite { xs.append(x) }
    }
    let text = "[" + xs.map(\.description).joined(separator: ",") + "]"
    guard case .array(let items) = try JSONParser.parse(text) else {
      Issue.record("not an array")
      return
    }
    let back = items.compactMap { if case .number(let x) = $0 { x } else { nil } }
    let wrong = zip(xs, back).first { $0.bitPattern != $1.bitPattern }
    #expect(back.count == xs.count)
    #expect(wrong == nil, "\(wrong.map { "\($0.0) read as \($0.1)" } ?? "")")
  }

  /// Integers below 10¹⁵ without a fraction, Swift's shortest digits otherwise, `null` for
  /// what JSON cannot hold: each expected text written out by hand.
  @Test func serializesTrickyNumbers() {
    let cases: [(Double, String)] = [
      (0, "0"), (-0.0, "0"), (100, "100"), (-2.5, "-2.5"), (0.1, "0.1"),
      (1.0 / 3, "0.3333333333333333"), (999_999_999_999_999, "999999999999999"),
      // From 10¹⁵ on, `description`: positional below 2⁵³, exponential from there.
      (1e15, "1000000000000000.0"), (1_234_567_890_123_456, "1234567890123456.0"),
      (1e16, "1e+16"), (0x1p60, "1.152921504606847e+18"), (1e-300, "1e-300"), (5e-324, "5e-324"),
      (2.2250738585072014e-308, "2.2250738585072014e-308"), (0.0001, "0.0001"),
      (0.00001, "1e-05"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
      (.nan, "null"), (.infinity, "null"), (-.infinity, "null"),
    ]
    for (x, text) in cases {
      #expect(JSON.numbers([x]).serialized(indent: nil) == "[\(text)]", "\(x)")
    }
  }

  /// A long row and a matrix of them, against text built from integers (no double formatted).
  @Test func serializesLargeArrays() {
    let row = (0..<100_000).map { Double($0) + 0.25 }
    let digits = (0..<100_000).map { "\($0).25" }
    #expect(JSON.numbers(row).serialized(indent: nil) == "[" + digits.joined(separator: ",") + "]")
    #expect(JSON.numbers(row).serialized() == "[" + digits.joined(separator: ", ") + "]")
    let matrix = JSON.array([.numbers([1.5, -2]), .numbers([3, 0.75])])
    #expect(matrix.serialized() == "[\n  [1.5, -2],\n  [3, 0.75]\n]")
    let object = JSON.object([("a", matrix), ("b", .array([]))])
    #expect(
      object.serialized() == "{\n  \"a\": [\n    [1.5, -2],\n    [3, 0.75]\n  ],\n  \"b\": []\n}")
    // A matrix of 64 rows of 100, inside an object: one row a line, indented.
    let large = JSON.array(
      (0..<64).map { r in .numbers((0..<100).map { Double(r * 1000 + $0) + 0.25 }) })
    let lines = (0..<64).map { r in
      "    [" + (0..<100).map { "\(r * 1000 + $0).25" }.joined(separator: ", ") + "]"
    }
    #expect(
      JSON.object([("m", large)]).serialized()
        == "{\n  \"m\": [\n" + lines.joined(separator: ",\n") + "\n  ]\n}")
  }

  /// What `JSON.write` appends with `Double.write(to:)` is `description`, for random doubles:
  /// every bit pattern and the ranges weights and gradients live in.
  @Test func serializesNumbersAsDescriptionDoes() {
    var rng = SplitMix64(seed: 14)
    var xs: [Double] = []
    for k in 0..<300_000 {
      xs.append(
        k % 3 == 0
          ? Double(bitPattern: rng.next()) : rng.uniform(k % 3 == 1 ? 2 : 1e-9))
    }
    let expected = xs.map { x in
      !x.isFinite ? "null" : x == x.rounded() && abs(x) < 1e15 ? "\(Int64(x))" : x.description
    }
    #expect(JSON.numbers(xs).serialized(indent: nil) == "[" + expected.joined(separator: ",") + "]")
  }
}
