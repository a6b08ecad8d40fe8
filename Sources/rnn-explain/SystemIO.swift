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
  /// Tells glibc's `malloc` to keep freed memory for the next walk instead of handing it back.
  ///
  /// A walk makes and frees its arrays by the thousand. By default glibc gives the free memory
  /// at the top of the heap back to the system once it passes 128 KiB, and whether a walk's
  /// last frees leave that much there depends on their order: when they do, the next walk
  /// faults every page back in (175,000 page faults for 1,000 LSTM passes at T = 100, a
  /// quarter of the time; notes/Performance.md). This keeps up to 64 MiB, and takes arrays up
  /// to 32 MiB from the heap, not each from a mapping of its own (the ceiling glibc itself
  /// raises that threshold to). `mallopt` is looked up by name: Swift's Glibc module leaves
  /// out `malloc.h`; the two settings' numbers are that header's. Elsewhere it does nothing.
  static func keepFreedMemory() {
    #if canImport(Glibc)
      typealias Mallopt = @convention(c) (_ parameter: Int32, _ value: Int32) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_…, M_MMAP_…
      _ = mallopt(trimThreshold, 64 << 20)
      _ = mallopt(mmapThreshold, 32 << 20)
    #endif
  }

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
