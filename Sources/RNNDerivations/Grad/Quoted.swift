/// User text as an error message echoes it: quoted, on one line, visible and short.
///
/// Every error that repeats what the user typed or supplied (a command, an option or its value,
/// a derivation id, a file path, a JSON string or key) goes through here, so an `Error:` line
/// stays one line whatever the input holds:
///
/// - control and invisible format characters, line and paragraph separators, are escaped:
///   `\n`, `\t`, `\r`, others as `\u{1b}`; a backslash is doubled, so every escape is unambiguous;
/// - text longer than `limit` Unicode scalars is cut there, marked with `…` inside the quotes,
///   and followed by its full length: `'aaaa…' (20000000 characters)`.
///
/// `mark` is the quote: `'` for words of the command line, `"` for JSON strings.
public func quoted(_ text: String, mark: Character = "'", limit: Int = 40) -> String {
  var shown = ""
  var count = 0
  for scalar in text.unicodeScalars {
    count += 1
    if count <= limit { shown += escaped(scalar) }
  }
  let cut = count > limit ? "…" : ""
  let length = count > limit ? " (\(count) characters)" : ""
  return "\(mark)\(shown)\(cut)\(mark)\(length)"
}

/// One scalar as `quoted` shows it: itself, or an escape if it would not show as itself.
private func escaped(_ scalar: Unicode.Scalar) -> String {
  switch scalar {
  case "\n": return "\\n"
  case "\t": return "\\t"
  case "\r": return "\\r"
  case "\\": return "\\\\"
  default:
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator:
      return "\\u{\(String(scalar.value, radix: 16))}"
    default:
      return String(scalar)
    }
  }
}
