import Foundation

/// Binary data for a `bytea` column, in the text format's hex form (`\x0a1b...`).
public struct PQBytea: PQEncodable, PQDecodable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    private static let digits = Array("0123456789abcdef".utf8)

    public var pqText: String? {
        var text = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        text[0] = UInt8(ascii: "\\")
        text[1] = UInt8(ascii: "x")
        for (offset, byte) in bytes.enumerated() {
            text[2 + offset * 2] = Self.digits[Int(byte >> 4)]
            text[3 + offset * 2] = Self.digits[Int(byte & 0x0f)]
        }
        return String(decoding: text, as: UTF8.self)
    }
    public static var pqOID: PQOID { 17 }

    public static func pqDecode(_ bytes: UnsafeRawBufferPointer?) throws -> PQBytea {
        guard let bytes else { throw PQDecodingFailure.unexpectedNull }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw PQDecodingFailure.invalid("bytea (hex output expected)")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw PQDecodingFailure.invalid("bytea")
            }
        }
        var out = [UInt8](repeating: 0, count: (bytes.count - 2) / 2)
        var index = 2
        for offset in out.indices {
            out[offset] = try nibble(bytes[index]) << 4 | nibble(bytes[index + 1])
            index += 2
        }
        return PQBytea(out)
    }
}
