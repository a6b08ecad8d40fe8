import Foundation

// A reader that goes away then fails the write with EPIPE, which `deliver` handles, instead of
// killing the process with SIGPIPE.
signal(SIGPIPE, SIG_IGN)
SystemIO.keepFreedMemory()
let environment = ProcessInfo.processInfo.environment
let color = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil
let output = CLI(color: color).run(Array(CommandLine.arguments.dropFirst()))
exit(output.deliver())
