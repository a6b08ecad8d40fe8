import Foundation

/// A system call on a stream or a file failed, with this `errno`.
struct SystemError: Error {
  var number: Int32

  /// The system's words for it: `No space left on device`.
  var reason: String { String(cString: strerror(number)) }
}

/// Whole reads and writes with `read(2)` and `write(2)`.
///
/// Foundation's `FileHandle.write` and `readDataToEndOfFile` trap on a closed, full or
/// unreadable stream; these throw the `errno` instead, so that it can be reported.
enum SystemIO {
  /// Writes all of `text` to `descriptor`, continuing after a partial write and retrying an
  /// interrupted one.
  static func writeAll(_ text: String, to descriptor: Int32) throws(SystemError) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
      if written < 0 {
        let number = errno
        if number == EINTR { continue }
        throw SystemError(number: number)
      }
      // A write that takes nothing would never finish.
      guard written > 0 else { throw SystemError(number: EIO) }
      offset += written
    }
  }

  /// Everything `descriptor` holds, read to its end, retrying an interrupted read.
  static func readAll(_ descriptor: Int32) throws(SystemError) -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        let number = errno
        if number == EINTR { continue }
        throw SystemError(number: number)
      }
      if count == 0 { return bytes }
      bytes += buffer[..<count]
    }
  }
}

/// One line of progress on standard error, rewritten in place: only when standard error is a
/// terminal, never on a pipe or a file, and gone once the work is done.
struct Progress {
  let enabled = isatty(STDERR_FILENO) == 1

  /// Replaces the line with `text`.
  func report(_ text: String) {
    guard enabled else { return }
    try? SystemIO.writeAll("\r\u{1B}[K" + text, to: STDERR_FILENO)
  }

  /// Writes `text` as a line of its own: the periodic progress of a run whose standard error
  /// is not a terminal (a log file, CI).
  func line(_ text: String) {
    try? SystemIO.writeAll(text + "\n", to: STDERR_FILENO)
  }

  /// Clears the line.
  func finish() { report("") }
}

extension Output {
  /// Writes `stdout`, then `stderr`, and returns the exit status: `code`, or 74 if either
  /// stream cannot be written.
  ///
  /// A stream with nothing to say is never touched, so a closed one goes unnoticed. Standard
  /// output whose reader went away (EPIPE: SIGPIPE is ignored) ends the run without a message;
  /// any other failure to write it is reported on standard error, if that still works.
  func deliver() -> Int32 {
    do {
      try SystemIO.writeAll(stdout, to: STDOUT_FILENO)
    } catch {
      if error.number != EPIPE {
        try? SystemIO.writeAll(
          "Error: cannot write standard output (\(error.reason))\n", to: STDERR_FILENO)
      }
      return ExitCode.ioError
    }
    do {
      try SystemIO.writeAll(stderr, to: STDERR_FILENO)
    } catch {
      return ExitCode.ioError
    }
    return code
  }
}
