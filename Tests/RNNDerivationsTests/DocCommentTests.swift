import Foundation
import Testing

/// Issue 11: the public API carries `///` doc comments.
///
/// A `public` declaration (func, init, var, let, subscript, struct, enum, class, protocol,
/// typealias) needs a `///` line directly above it, or above the attribute lines (`@inlinable`,
/// `@_specialize(…)`, and the `#if`/`#endif` lines of attributes kept to one build) that sit on
/// top of it (a plain `//` comment may sit on top of the attributes). The cases of a public enum
/// are not required.
@Suite struct DocCommentTests {
  /// The declarations of `source` that need a doc comment and have none, as
  /// "line: declaration" (1-based line numbers, the declaration trimmed).
  static func undocumented(in source: String) -> [String] {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }
    var missing: [String] = []
    for (index, line) in lines.enumerated() where isPublicDeclaration(line) {
      var above = index - 1
      // Attribute lines between the comment and the declaration do not break the pair, nor a
      // plain `//` comment on top of them (why a function is prespecialized).
      while above >= 0, isAttributeLine(lines[above]) {
        above -= 1
        while above >= 0, isPlainComment(lines[above]) { above -= 1 }
      }
      if above < 0 || !lines[above].hasPrefix("///") {
        missing.append("\(index + 1): \(line)")
      }
    }
    return missing
  }

  /// Whether a trimmed line declares a public func, init, var, let, subscript or type.
  ///
  /// Leading attributes and modifiers (`static`, `mutating`, `private(set)` …) are skipped,
  /// then the keyword decides. `public extension` and enum cases do not count.
  static func isPublicDeclaration(_ line: String) -> Bool {
    let keywords: Set = [
      "func", "init", "var", "let", "subscript", "struct", "enum", "class", "protocol",
      "typealias", "actor",
    ]
    let modifiers: Set = [
      "static", "final", "mutating", "nonmutating", "override", "convenience", "required",
      "indirect", "nonisolated", "lazy", "prefix", "postfix", "infix", "private(set)",
      "internal(set)", "fileprivate(set)",
    ]
    var words = droppingAttributes(line).split(separator: " ").map(String.init)[...]
    guard words.first == "public" else { return false }
    words = words.dropFirst()
    while let first = words.first, modifiers.contains(first) { words = words.dropFirst() }
    guard let keyword = words.first else { return false }
    // `init?(…)`, `init<T>(…)`, `init(…)`, `subscript(…)` carry their punctuation with them.
    let bare = String(keyword.prefix { $0.isLetter })
    return keywords.contains(bare)
  }

  /// A line of attributes alone, or a compile condition around them (`#if DEBUG`, `#endif`).
  static func isAttributeLine(_ line: String) -> Bool {
    let condition = ["#if", "#elseif", "#else", "#endif"].contains {
      line == $0 || line.hasPrefix($0 + " ")
    }
    return condition || (line.hasPrefix("@") && droppingAttributes(line).isEmpty)
  }

  /// A `//` comment that is not a `///` doc comment.
  static func isPlainComment(_ line: String) -> Bool {
    line.hasPrefix("//") && !line.hasPrefix("///")
  }

  /// `line` without its leading attributes (`@inlinable`, `@_specialize(where T == Double)`),
  /// trimmed: empty for a line of attributes alone.
  static func droppingAttributes(_ line: String) -> Substring {
    var rest = Substring(line)
    while rest.first == "@" {
      rest = rest.dropFirst().drop { $0.isLetter || $0.isNumber || $0 == "_" }
      if rest.first == "(" {
        var depth = 0
        rest = rest.drop {
          depth += $0 == "(" ? 1 : $0 == ")" ? -1 : 0
          return depth > 0
        }.dropFirst()  // the closing parenthesis
      }
      rest = rest.drop { $0 == " " }
    }
    return rest
  }

  /// The scanner finds what it should: an undocumented `public func`, an `@inlinable public init`
  /// under a documented one (its attribute does not hide it), a public var under an attribute
  /// line, a `public func` under a plain `//` comment, a `public static prefix func`, a `private(set)` var, a `public func` under a debug
  /// build's attributes; it passes documented ones, ones whose comment sits above their
  /// attributes (kept to one build or not), enum cases, extensions, internal declarations.
  @Test func scannerFindsUndocumentedDeclarations() {
    let source = """
      /// Documented.
      public struct A {
        public func f() {}
        /// Documented.
        @inlinable public init() {}
        @inlinable public init(y: Int) {}
        /// Documented.
        // Why it is prespecialized.
        @_specialize(where T == Double)
        public func g<T>(_ t: T) {}
        // A plain comment is no doc comment.
        public func h() {}
        /// Documented.
        @inlinable
        public init(x: Int) {}
        @inlinable
        public var v: Int { 1 }
        /// Documented.
        @inlinable public static prefix func - (a: A) -> A { a }
        public static prefix func + (a: A) -> A { a }
        public private(set) var w = 0
        func internalOne() {}
        // Why it is prespecialized in a debug build.
        /// Documented.
        #if DEBUG
          @_specialize(where T == Double)
        #endif
        @inlinable public func k<T>(_ t: T) {}
        #if DEBUG
          @_specialize(where T == Double)
        #endif
        public func m<T>(_ t: T) {}
      }
      public extension A {}
      public enum E { case a, b }
      """
    #expect(
      Self.undocumented(in: source) == [
        "3: public func f() {}",
        "6: @inlinable public init(y: Int) {}",
        "12: public func h() {}",
        "17: public var v: Int { 1 }",
        "20: public static prefix func + (a: A) -> A { a }",
        "21: public private(set) var w = 0",
        "32: public func m<T>(_ t: T) {}",
        "35: public enum E { case a, b }",
      ])
  }

  /// Every public declaration in Sources/RNNDerivations has its `///` summary.
  @Test func everyPublicDeclarationIsDocumented() throws {
    let sources = repositoryRoot.appendingPathComponent("Sources/RNNDerivations")
    let files = try #require(FileManager.default.enumerator(atPath: sources.path))
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    #expect(files.count > 50, "found only \(files.count) source files under \(sources.path)")
    var missing: [String] = []
    for file in files {
      let text = try String(
        contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      missing += Self.undocumented(in: text).map { "\(file):\($0)" }
    }
    if !missing.isEmpty {
      Issue.record("undocumented public declarations:\n\(missing.joined(separator: "\n"))")
    }
  }
}
