import Foundation

/// The repository's root, from this file's place in the source tree: where the tests find the
/// README, the notes, their plots and the fixtures they hand the binary.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()
