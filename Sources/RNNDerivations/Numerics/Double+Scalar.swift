import Foundation

extension Double: Scalar {
  /// The value itself.
  @inlinable public var primal: Double { self }
  /// `eˣ`: `expLanes`, in a vector of eight.
  @inlinable public static func exp(_ x: Double) -> Double { expLanes(Double8(repeating: x))[0] }
  /// `Foundation.log`.
  @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
  /// `tanh x`: `tanhLanes`, in a vector of eight.
  @inlinable public static func tanh(_ x: Double) -> Double { tanhLanes(Double8(repeating: x))[0] }
  /// `σ(x)`, stable on both tails (`sigmoidLanes`), in a vector of eight.
  @inlinable public static func sigmoid(_ x: Double) -> Double {
    sigmoidLanes(Double8(repeating: x))[0]
  }
  /// `exp` of every entry, eight at a time in place: the same bits as one by one.
  @inlinable public static func exp(each values: consuming [Double]) -> [Double] {
    elementwise(values, expLanes)
  }
  /// `tanh` of every entry, eight at a time in place: the same bits as one by one.
  @inlinable public static func tanh(each values: consuming [Double]) -> [Double] {
    elementwise(values, tanhLanes)
  }
  /// `σ` of every entry, eight at a time in place: the same bits as one by one.
  @inlinable public static func sigmoid(each values: consuming [Double]) -> [Double] {
    elementwise(values, sigmoidLanes)
  }
}
