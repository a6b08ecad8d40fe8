// The two limits notes/Performance.md ("Against the machine's limits") measures the walk
// against: how many multiply–adds one core does a second, and how fast it reads a buffer that
// sits in each level of its cache. Not part of the build:
//
//     swiftc -O -target-cpu native notes/machine-limits.swift -o /tmp/machine-limits
//     taskset -c 1 /tmp/machine-limits
//
// The multiply–adds are the library's: a multiply and an add, each rounded (no fused
// multiply–add), eight doubles at a time, as `M x` and the weights' sums run them.

import Foundation

/// The monotonic clock, in seconds.
func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The smallest of five runs of `body`, in seconds.
func fastest(_ body: () -> Double) -> Double {
  var best = Double.infinity
  for _ in 0..<5 {
    let start = now()
    blackHole(body())
    best = min(best, now() - start)
  }
  return best
}

/// Keeps a result alive, so that the work making it is not optimised away.
@inline(never) func blackHole(_ x: Double) { if x == .pi { print(x) } }

/// `n` rounds of `v ← v · m + c` on sixteen independent eight-double vectors: sixteen chains,
/// enough to keep the multiplier and the adder busy while each waits on its own last result.
@inline(never) func multiplyAdds(_ n: Int) -> Double {
  let m = SIMD8<Double>(repeating: 0.999_999)
  let c = SIMD8<Double>(repeating: 1e-7)
  var v = (0..<16).map { SIMD8<Double>(repeating: Double($0)) }
  var (a0, a1, a2, a3, a4, a5, a6, a7) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
  var (b0, b1, b2, b3, b4, b5, b6, b7) = (v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15])
  for _ in 0..<n {
    (a0, a1, a2, a3) = (a0 * m + c, a1 * m + c, a2 * m + c, a3 * m + c)
    (a4, a5, a6, a7) = (a4 * m + c, a5 * m + c, a6 * m + c, a7 * m + c)
    (b0, b1, b2, b3) = (b0 * m + c, b1 * m + c, b2 * m + c, b3 * m + c)
    (b4, b5, b6, b7) = (b4 * m + c, b5 * m + c, b6 * m + c, b7 * m + c)
  }
  v = [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7]
  return v.reduce(0) { $0 + $1.sum() }
}

/// The sum of `buffer`, `repeats` times over, in eight independent sums.
@inline(never) func read(_ buffer: UnsafeBufferPointer<SIMD8<Double>>, repeats: Int) -> Double {
  var (s0, s1, s2, s3) = (
    SIMD8<Double>.zero, SIMD8<Double>.zero, SIMD8<Double>.zero, SIMD8<Double>.zero
  )
  var (s4, s5, s6, s7) = (s0, s1, s2, s3)
  for _ in 0..<repeats {
    var i = 0
    while i + 8 <= buffer.count {
      s0 += buffer[i]
      s1 += buffer[i &+ 1]
      s2 += buffer[i &+ 2]
      s3 += buffer[i &+ 3]
      s4 += buffer[i &+ 4]
      s5 += buffer[i &+ 5]
      s6 += buffer[i &+ 6]
      s7 += buffer[i &+ 7]
      i &+= 8
    }
  }
  return [s0, s1, s2, s3, s4, s5, s6, s7].reduce(0) { $0 + $1.sum() }
}

let rounds = 20_000_000
let seconds = fastest { multiplyAdds(rounds) }
print(
  String(
    format: "multiply–adds, a multiply and an add on 8 doubles: %.1f × 10⁹ a second",
    Double(rounds * 16 * 8) / seconds / 1e9))

// 16 kB sits in the first-level cache (32 kB here), 192 and 320 kB (an LSTM's weights at
// H = 64, D = 32: what a step reads forward, and forward and back) in the second (1 MB), 4 MB
// in the third, 64 MB in none.
for kilobytes in [16, 192, 320, 4096, 65536] {
  let count = kilobytes * 1024 / MemoryLayout<SIMD8<Double>>.stride
  let buffer = UnsafeMutableBufferPointer<SIMD8<Double>>.allocate(capacity: count)
  buffer.initialize(repeating: SIMD8(repeating: 1))
  let repeats = max(1, 2_000_000_000 / (kilobytes * 1024))
  let seconds = fastest { read(UnsafeBufferPointer(buffer), repeats: repeats) }
  print(
    String(
      format: "reading a %5d kB buffer: %5.1f GB a second", kilobytes,
      Double(kilobytes * 1024 * repeats) / seconds / 1e9))
  buffer.deallocate()
}
