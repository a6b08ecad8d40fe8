/// Bad input data: `rnn-explain` prints `Error: message` and exits with `code`.
public struct InputError: Error, Equatable, Sendable {
  /// What is wrong and where, naming the field: printed after `Error: `.
  public var message: String
  /// 65 for bad data, 66 for a missing or unreadable input file, 74 for an unreadable standard
  /// input (sysexits).
  public var code: Int32
  /// An error; bad data (65) unless `code` says otherwise.
  public init(_ message: String, code: Int32 = 65) {
    self.message = message
    self.code = code
  }
}

/// A small strict JSON parser with line and column in its errors.
///
/// Keys are compared as JSON compares them, code point by code point: `"\u00e9"` and `"é"` are
/// the same key, `"é"` and `"e\u0301"` (canonically equivalent, as Swift's `==` sees them) are
/// two. The duplicate check takes one hash-set lookup per key.
///
/// It also reads the tokens `NaN`, `Infinity` and `-Infinity` that Python's `json.dumps`
/// writes, so the validator can say which field holds a non-finite number instead of
/// calling the whole document malformed.
public struct JSONParser {
  /// The text's UTF-8 bytes, read in place (valid only during `parse`).
  private let bytes: UnsafeBufferPointer<UInt8>
  private var i = 0
  private static let maxDepth = 64

  /// One JSON value from `text`; nothing but white space may follow it.
  ///
  /// The bytes are read where the string keeps them, not copied first (an 18 MB input at the
  /// caps); a string without contiguous UTF-8 is copied, and read the same way.
  public static func parse(_ text: String) throws(InputError) -> JSON {
    let result =
      text.utf8.withContiguousStorageIfAvailable(parse)
      ?? Array(text.utf8).withUnsafeBufferPointer(parse)
    return try result.get()
  }

  /// One JSON value from `bytes`, as a result: the closures above cannot throw a typed error.
  private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<JSON, InputError> {
    var parser = JSONParser(bytes: bytes)
    parser.skipSpace()
    do throws(InputError) {
      let value = try parser.value(depth: 0)
      parser.skipSpace()
      guard parser.i == parser.bytes.count else {
        throw parser.error("unexpected text after the JSON value")
      }
      return .success(value)
    } catch {
      return .failure(error)
    }
  }

  private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  private func error(_ what: String) -> InputError {
    var line = 1
    var column = 1
    for b in bytes[..<min(i, bytes.count)] {
      if b == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if b & 0xC0 != 0x80 {
        column += 1
      }
    }
    return InputError("malformed JSON at line \(line), column \(column): \(what)")
  }

  private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

  private mutating func skipSpace() {
    while let b = peek, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 }
  }

  /// Whether `word` comes next (consumed if so).
  ///
  /// Compared byte by byte in place: it is asked at every negative number (`-Infinity`?).
  private mutating func expect(_ word: StaticString) -> Bool {
    let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    guard bytes[i...].starts(with: w) else { return false }
    i += w.count
    return true
  }

  private mutating func value(depth: Int) throws(InputError) -> JSON {
    guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
    guard let b = peek else { throw error("unexpected end of input") }
    switch b {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(String(decoding: try stringBytes(), as: UTF8.self))
    case UInt8(ascii: "t") where expect("true"): return .bool(true)
    case UInt8(ascii: "f") where expect("false"): return .bool(false)
    case UInt8(ascii: "n") where expect("null"): return .null
    case UInt8(ascii: "N") where expect("NaN"): return .number(.nan)
    case UInt8(ascii: "I") where expect("Infinity"): return .number(.infinity)
    case UInt8(ascii: "-") where expect("-Infinity"): return .number(-.infinity)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw error("unexpected character \(quoted(character(at: i)))")
    }
  }

  /// The character whose UTF-8 encoding starts at byte `index`, for an error message.
  private func character(at index: Int) -> String {
    guard index < bytes.count else { return "" }
    let lead = bytes[index]
    let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    return String(decoding: bytes[index..<min(index + length, bytes.count)], as: UTF8.self)
  }

  private mutating func object(depth: Int) throws(InputError) -> JSON {
    i += 1
    var pairs: [(String, JSON)] = []
    var keys: Set<[UInt8]> = []
    skipSpace()
    if peek == UInt8(ascii: "}") {
      i += 1
      return .object(pairs)
    }
    while true {
      skipSpace()
      guard peek == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let keyStart = i
      let keyBytes = try stringBytes()
      let key = String(decoding: keyBytes, as: UTF8.self)
      guard keys.insert(keyBytes).inserted else {
        i = keyStart
        throw error("duplicate key \(quoted(key, mark: "\""))")
      }
      skipSpace()
      guard peek == UInt8(ascii: ":") else {
        throw error("expected ':' after key \(quoted(key, mark: "\""))")
      }
      i += 1
      skipSpace()
      pairs.append((key, try value(depth: depth + 1)))
      skipSpace()
      switch peek {
      case UInt8(ascii: ","): i += 1
      case UInt8(ascii: "}"):
        i += 1
        return .object(pairs)
      default: throw error("expected ',' or '}'")
      }
    }
  }

  private mutating func array(depth: Int) throws(InputError) -> JSON {
    i += 1
    var items: [JSON] = []
    skipSpace()
    if peek == UInt8(ascii: "]") {
      i += 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try value(depth: depth + 1))
      skipSpace()
      switch peek {
      case UInt8(ascii: ","): i += 1
      case UInt8(ascii: "]"):
        i += 1
        return .array(items)
      default: throw error("expected ',' or ']'")
      }
    }
  }

  /// The UTF-8 bytes of the string that starts at `i`, escapes decoded.
  private mutating func stringBytes() throws(InputError) -> [UInt8] {
    i += 1
    var out: [UInt8] = []
    while let b = peek {
      i += 1
      switch b {
      case UInt8(ascii: "\""): return out
      case UInt8(ascii: "\\"):
        guard let e = peek else { break }
        i += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code), expect("\\u") {  // a surrogate pair
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
          out += Array(String(Character(scalar)).utf8)
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        default:
          throw error("bad escape: \(quoted(character(at: i - 1))) after a backslash")
        }
      case 0..<0x20: throw error("control character in a string")
      default: out.append(b)
      }
    }
    throw error("unterminated string")
  }

  /// Four hex digits of a `\u` escape.
  private mutating func hex4() throws(InputError) -> UInt32 {
    var code: UInt32 = 0
    for _ in 0..<4 {
      guard let b = peek, let digit = Character(Unicode.Scalar(b)).hexDigitValue else {
        throw error("expected four hex digits after \\u")
      }
      code = code * 16 + UInt32(digit)
      i += 1
    }
    return code
  }

  /// A number, checked against JSON's grammar as it is read.
  ///
  /// Its digits are collected on the way (`ExactDecimal`), and only a number that shortcut
  /// cannot convert becomes a `String` for `Double(String)`. Either way the double is the one
  /// nearest the decimal.
  private mutating func number() throws(InputError) -> JSON {
    let start = i
    var decimal = ExactDecimal()
    func digits(afterPoint: Bool) -> Int {
      let s = i
      while let b = peek, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
        decimal.append(digit: b - UInt8(ascii: "0"), afterPoint: afterPoint)
        i += 1
      }
      return i - s
    }
    let negative = peek == UInt8(ascii: "-")
    if negative { i += 1 }
    let first = peek
    let count = digits(afterPoint: false)
    guard count > 0 else { throw error("expected a digit") }
    guard first != UInt8(ascii: "0") || count == 1 else { throw error("leading zero in a number") }
    if peek == UInt8(ascii: ".") {
      i += 1
      guard digits(afterPoint: true) > 0 else { throw error("expected a digit after '.'") }
    }
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      i += 1
      let sign = peek == UInt8(ascii: "-") ? -1 : 1
      if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
      let s = i
      var power = 0
      while let b = peek, b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
        // Capped: any power beyond ±27 leaves the shortcut to `Double(String)` anyway.
        power = min(power * 10 + Int(b - UInt8(ascii: "0")), 100_000)
        i += 1
      }
      guard i > s else { throw error("expected a digit in the exponent") }
      decimal.exponent += sign * power
    }
    if let x = decimal.double(negative: negative) { return .number(x) }
    guard let x = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
      throw error("unreadable number")
    }
    return .number(x)
  }
}
