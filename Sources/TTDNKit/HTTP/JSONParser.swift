import Foundation

/// A strict RFC 8259 parser for request bodies, where Foundation's decoder does two things an
/// API must not: it keeps the first of two equal keys silently (`{"role":"viewer","role":"admin"}`
/// is a viewer to us and an admin to most other parsers), and it turns every number into a
/// Double (`123456789012.3456789` loses its last digits). Here a repeated key is an error that
/// names it, and a number that is not an Int64 keeps its literal text.
package struct JSONParser {
    package enum Failure: Error, Equatable {
        case syntax(offset: Int, expected: String)
        case duplicateKey(path: String)
        case tooDeep
        case numberOutOfRange(offset: Int)
    }

    package static let maxDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0, path: "")
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .syntax(offset: parser.index, expected: "the end of the document") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard current == byte else { throw .syntax(offset: index, expected: what) }
        index += 1
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(Failure) -> JSONValue {
        for byte in word.utf8 { try expect(byte, word) }
        return value
    }

    private mutating func value(depth: Int, path: String) throws(Failure) -> JSONValue {
        guard depth < Self.maxDepth else { throw .tooDeep }
        guard let byte = current else { throw .syntax(offset: index, expected: "a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth, path: path)
        case UInt8(ascii: "["): return try array(depth: depth, path: path)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw .syntax(offset: index, expected: "a value")
        }
    }

    private mutating func object(depth: Int, path: String) throws(Failure) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw .syntax(offset: index, expected: "a member name") }
            let key = try string()
            let memberPath = path.isEmpty ? key : path + "." + key
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            let member = try value(depth: depth + 1, path: memberPath)
            // Keys are compared as Swift strings, so an NFC and an NFD spelling are the same key,
            // as they are once the text is normalised.
            guard members.updateValue(member, forKey: key) == nil else { throw .duplicateKey(path: memberPath) }
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    private mutating func array(depth: Int, path: String) throws(Failure) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1, path: "\(path)[\(items.count)]"))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // Most strings have no escapes: one copy of the bytes (already checked as UTF-8).
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw .syntax(offset: index, expected: "no control character in a string") }
            index += 1
        }
        guard current != nil else { throw .syntax(offset: index, expected: "'\"'") }
        var utf8 = Array(bytes[start..<index])
        while let byte = current, byte != UInt8(ascii: "\"") {
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard let escape = current else { throw .syntax(offset: index, expected: "an escape") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard current == UInt8(ascii: "\\") else { throw .syntax(offset: index, expected: "a low surrogate") }
                        index += 1
                        try expect(UInt8(ascii: "u"), "a low surrogate")
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw .syntax(offset: index, expected: "a low surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw .syntax(offset: index, expected: "a Unicode scalar") }
                    utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw .syntax(offset: index - 1, expected: "a valid escape")
                }
            } else {
                guard byte >= 0x20 else { throw .syntax(offset: index, expected: "no control character in a string") }
                utf8.append(byte)
                index += 1
            }
        }
        guard current == UInt8(ascii: "\"") else { throw .syntax(offset: index, expected: "'\"'") }
        index += 1
        return String(decoding: utf8, as: UTF8.self)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw .syntax(offset: index, expected: "four hex digits") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .syntax(offset: index, expected: "four hex digits")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw .syntax(offset: index, expected: "a digit")
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            index += 1
            integral = false
            guard digits() > 0 else { throw .syntax(offset: index, expected: "a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            integral = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw .syntax(offset: index, expected: "a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let int = Int64(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else { throw .numberOutOfRange(offset: start) }
        return .number(text)
    }
}
