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
  ///
  /// The bytes are written from where the string keeps them (`withUTF8` copies only a string
  /// without contiguous UTF-8): `grad`'s output at the caps is 13 MB.
  static func writeAll(_ text: String, to descriptor: Int32) throws(SystemError) {
    var text = text
    let failure: Int32? = text.withUTF8 { bytes in
      guard let start = bytes.baseAddress else { return nil }  // nothing to write
      var offset = 0
      while offset < bytes.count {
        let written = write(descriptor, start + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return errno
        }
        // A write that takes nothing would never finish.
        guard written > 0 else { return EIO }
        offset += written
      }
      return nil
    }
    if let failure { throw SystemError(number: failure) }
  }

  /// Everything `descriptor` holds, read to its end, retrying an interrupted read.
  ///
  /// A regular file's size is known beforehand: room for it is made once, instead of the
  /// array growing (and copying) a dozen times on the way to an 18 MB input.
  static func readAll(_ descriptor: Int32) throws(SystemError) -> [UInt8] {
    var bytes: [UInt8] = []
    var info = stat()
    if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
      bytes.reserveCapacity(Int(info.st_size))
    }
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
