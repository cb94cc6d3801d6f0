import Crypto
import Foundation

/// The bearer token format: `ttdn_<public id>_<secret>`. The public id finds the row; only
/// SHA-256 of the secret is stored, compared in constant time.
public enum BearerToken {
    package static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    package static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }

    package static func hash(_ secret: some StringProtocol) -> [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    package static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// (public id, secret) of a well-formed token, nil otherwise.
    package static func parse(_ token: String) -> (publicID: String, secret: Substring)? {
        // `ttdn_` + 12 + `_` + 40, checked by byte: the parts' alphabet has no `_`, so this is
        // exactly "three parts split at `_`, named and sized so".
        let bytes = token.utf8
        guard bytes.count == 58, bytes.starts(with: "ttdn_".utf8) else { return nil }
        let publicStart = bytes.index(bytes.startIndex, offsetBy: 5)
        let separator = bytes.index(publicStart, offsetBy: 12)
        let secretStart = bytes.index(after: separator)
        guard bytes[separator] == UInt8(ascii: "_"), bytes[publicStart..<separator].allSatisfy(isAlphanumeric),
            bytes[secretStart...].allSatisfy(isAlphanumeric)
        else { return nil }
        return (String(token[publicStart..<separator]), token[secretStart...])
    }

    /// The alphabet of token parts, by byte: a `Character` search per character showed in profiles.
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    package static func format(publicID: String, secret: String) -> String { "ttdn_\(publicID)_\(secret)" }

    package static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            func value(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
            bytes.append(value(high) << 4 | value(low))
        }
        return bytes
    }
}

/// Why a bearer token does not name a caller.
public enum AuthenticationFailure: Error { case malformed, unknown, expired, revoked }
