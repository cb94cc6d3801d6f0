import Foundation
import PQ
import Synchronization

/// An `Encoder` that writes JSON bytes as values arrive: snake_case keys (Foundation's
/// conversion, remembered per name), keys in the order the type encodes them, RFC 3339 UTC
/// dates, slashes unescaped. It does what `JSONEncoder` with those settings does for every type
/// this server answers with, without building a tree of boxed values and a coding path per key
/// first, which was most of the CPU of a list request.
///
/// A container stays open until its encoder's value is done; a nested container or a value
/// encoded next closes the one before it, so the output is written in one pass.
enum JSONWriter {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let output = Output()
        output.bytes.reserveCapacity(1024)
        try output.write(value)
        return output.bytes
    }

    /// Keys that are written as they are, not converted to snake_case (JSON passed through).
    protocol VerbatimKey: CodingKey {}

    protocol StringKeyedDictionary {
        func writeJSON(to output: Output) throws
    }

    final class Output {
        // One writer per response, used by one task: no dynamic exclusivity checks on every byte.
        @exclusivity(unchecked) var bytes: [UInt8] = []

        func write<T: Encodable>(_ value: T) throws {
            if T.self == Date.self { return string(PQTimestamp.format(value as! Date)) }
            if T.self == String.self { return string(value as! String) }
            // Lower case, as PostgreSQL writes them and the API promises (JSONEncoder writes upper case).
            if T.self == UUID.self { return string((value as! UUID).lowercasedString) }
            if T.self == URL.self { return string((value as! URL).absoluteString) }
            if T.self == Data.self { return string((value as! Data).base64EncodedString()) }
            // As JSONEncoder: the keys of a dictionary are data, not property names; not converted.
            if Self.isStringKeyedDictionary(T.self), let dictionary = value as? any StringKeyedDictionary {
                return try dictionary.writeJSON(to: self)
            }
            let encoder = ValueEncoder(output: self)
            try value.encode(to: encoder)
            encoder.close()
        }

        func string(_ text: String) {
            bytes.append(UInt8(ascii: "\""))
            // Most strings need no escaping: copied in one go.
            var text = text
            let plain = text.withUTF8 { utf8 -> Bool in
                guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
                bytes.append(contentsOf: utf8)
                return true
            }
            if !plain { escaped(text) }
            bytes.append(UInt8(ascii: "\""))
        }

        private func escaped(_ text: String) {
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(hex[Int(byte >> 4)]); bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }

        func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

        /// Whether a type is a `[String: some Encodable]`, remembered per type: asking the
        /// runtime for every value cost more than writing it.
        private static let dictionaryTypes = Mutex<[ObjectIdentifier: Bool]>([:])
        static func isStringKeyedDictionary(_ type: Any.Type) -> Bool {
            let id = ObjectIdentifier(type)
            if let known = dictionaryTypes.withLock({ $0[id] }) { return known }
            let answer = type is any StringKeyedDictionary.Type
            dictionaryTypes.withLock { $0[id] = answer }
            return answer
        }

        func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, _ path: @autoclosure () -> [any CodingKey]) throws {
            guard value.isFinite else {
                throw EncodingError.invalidValue(value, .init(codingPath: path(), debugDescription: "\(value) is not valid in JSON"))
            }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            raw(text)
        }

        func key(_ key: some CodingKey) {
            if key is any VerbatimKey { string(key.stringValue) } else { bytes.append(contentsOf: SnakeCaseKeys.quoted(key.stringValue)) }
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// The encoder of one value: which container it opened, how many members it wrote, and
    /// the nested encoder still open inside it.
    final class ValueEncoder: Encoder {
        enum State { case empty, object, array, single }
        let output: Output
        var state = State.empty
        var members = 0
        var child: ValueEncoder?
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(output: Output) { self.output = output }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if state == .empty { state = .object; output.bytes.append(UInt8(ascii: "{")) }
            return KeyedEncodingContainer(Keyed<Key>(encoder: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if state == .empty { state = .array; output.bytes.append(UInt8(ascii: "[")) }
            return Unkeyed(encoder: self)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(encoder: self)
        }

        /// Closes the nested container left open, then separates the next member.
        func nextMember() {
            closeChild()
            if members > 0 { output.bytes.append(UInt8(ascii: ",")) }
            members += 1
        }

        func closeChild() {
            child?.close()
            child = nil
        }

        func nested() -> ValueEncoder {
            let encoder = ValueEncoder(output: output)
            child = encoder
            return encoder
        }

        func close() {
            closeChild()
            switch state {
            case .object: output.bytes.append(UInt8(ascii: "}"))
            case .array: output.bytes.append(UInt8(ascii: "]"))
            case .empty: output.raw("{}") // as JSONEncoder: a value that encoded nothing is an empty object
            case .single: break
            }
        }

        /// A single value: written once, in place.
        func single() -> Output {
            closeChild()
            state = .single
            return output
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }

        private func member(_ key: Key) -> Output {
            encoder.nextMember()
            encoder.output.key(key)
            return encoder.output
        }

        mutating func encodeNil(forKey key: Key) throws { member(key).raw("null") }
        mutating func encode(_ value: Bool, forKey key: Key) throws { member(key).raw(value ? "true" : "false") }
        mutating func encode(_ value: String, forKey key: Key) throws { member(key).string(value) }
        mutating func encode(_ value: Double, forKey key: Key) throws { try member(key).number(value, [key]) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try member(key).number(value, [key]) }
        mutating func encode(_ value: Int, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key).raw(String(value)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try member(key).write(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            _ = member(key)
            return encoder.nested().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            _ = member(key)
            return encoder.nested().unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            encoder.nextMember()
            encoder.output.string("super") // JSONEncoder's key for it, whatever Key can spell
            encoder.output.bytes.append(UInt8(ascii: ":"))
            return encoder.nested()
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            _ = member(key)
            return encoder.nested()
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }
        var count: Int { encoder.members }

        private func element() -> Output {
            encoder.nextMember()
            return encoder.output
        }

        mutating func encodeNil() throws { element().raw("null") }
        mutating func encode(_ value: Bool) throws { element().raw(value ? "true" : "false") }
        mutating func encode(_ value: String) throws { element().string(value) }
        mutating func encode(_ value: Double) throws { try element().number(value, []) }
        mutating func encode(_ value: Float) throws { try element().number(value, []) }
        mutating func encode(_ value: Int) throws { element().raw(String(value)) }
        mutating func encode(_ value: Int64) throws { element().raw(String(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { try element().write(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            _ = element()
            return encoder.nested().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            _ = element()
            return encoder.nested().unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            _ = element()
            return encoder.nested()
        }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil() throws { encoder.single().raw("null") }
        mutating func encode(_ value: Bool) throws { encoder.single().raw(value ? "true" : "false") }
        mutating func encode(_ value: String) throws { encoder.single().string(value) }
        mutating func encode(_ value: Double) throws { try encoder.single().number(value, []) }
        mutating func encode(_ value: Float) throws { try encoder.single().number(value, []) }
        mutating func encode(_ value: Int) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: Int8) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: Int16) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: Int32) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: Int64) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: UInt) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: UInt8) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: UInt16) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: UInt32) throws { encoder.single().raw(String(value)) }
        mutating func encode(_ value: UInt64) throws { encoder.single().raw(String(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.single().write(value) }
    }
}

extension Dictionary: JSONWriter.StringKeyedDictionary where Key == String, Value: Encodable {
    /// Keys in order, so that the same dictionary is always the same bytes.
    func writeJSON(to output: JSONWriter.Output) throws {
        output.bytes.append(UInt8(ascii: "{"))
        for (index, key) in keys.sorted().enumerated() {
            if index > 0 { output.bytes.append(UInt8(ascii: ",")) }
            output.string(key)
            output.bytes.append(UInt8(ascii: ":"))
            try output.write(self[key]!)
        }
        output.bytes.append(UInt8(ascii: "}"))
    }
}
