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
package enum JSONWriter {
    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let output = Output()
        output.bytes.reserveCapacity(1024)
        try output.write(value)
        return output.bytes
    }

    /// A value that writes its own JSON instead of going through `Encoder`'s containers: a
    /// string-keyed dictionary (its keys are data, not property names), or a small value that an
    /// answer lists many times over (a generic container call per member cost more than the
    /// bytes). Its `Encodable` conformance must say the same (tests hold the two together).
    package protocol WritesItsOwnJSON {
        func writeJSON(to output: Output) throws
    }

    package final class Output {
        // One writer per response, used by one task: no dynamic exclusivity checks on every byte.
        @exclusivity(unchecked) package var bytes: [UInt8] = []

        package init() {}

        package func write<T: Encodable>(_ value: T) throws {
            // Dates and UUIDs hold nothing to escape: their text goes straight into the output.
            if T.self == Date.self { return quoted { PQTimestamp.append(value as! Date, to: &$0) } }
            if T.self == String.self { return string(value as! String) }
            // Lower case, as PostgreSQL writes them and the API promises (JSONEncoder writes upper case).
            if T.self == UUID.self { return quoted { (value as! UUID).appendLowercased(to: &$0) } }
            if T.self == URL.self { return string((value as! URL).absoluteString) }
            if T.self == Data.self { return string((value as! Data).base64EncodedString()) }
            if writesItsOwnJSON(T.self), let value = value as? any WritesItsOwnJSON {
                return try value.writeJSON(to: self)
            }
            let encoder = makeEncoder()
            try value.encode(to: encoder)
            encoder.close()
            recycle(encoder)
        }

        /// Encoders whose value is written, kept for the next value: a list of 50 entries opened
        /// some 300 of them (one per object, enum and array), each an allocation and a free.
        @exclusivity(unchecked) private var spareEncoders: [ValueEncoder] = []

        package func makeEncoder() -> ValueEncoder {
            guard let encoder = spareEncoders.popLast() else { return ValueEncoder(output: self) }
            return encoder
        }

        /// Takes back an encoder that is closed; nothing writes through it again.
        package func recycle(_ encoder: ValueEncoder) {
            encoder.state = .empty
            encoder.members = 0
            encoder.child = nil
            spareEncoders.append(encoder)
        }

        private func quoted(_ write: (inout [UInt8]) -> Void) {
            bytes.append(UInt8(ascii: "\""))
            write(&bytes)
            bytes.append(UInt8(ascii: "\""))
        }

        package func string(_ text: String) {
            var text = text
            text.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
        }

        /// A string from UTF-8 bytes (a column as libpq holds it), escaped as `string` does.
        package func string(utf8: UnsafeRawBufferPointer) {
            bytes.append(UInt8(ascii: "\""))
            // Most strings need no escaping: copied in one go.
            if Self.needsEscaping(utf8) {
                escaped(utf8)
            } else {
                bytes.append(contentsOf: utf8)
            }
            bytes.append(UInt8(ascii: "\""))
        }

        /// Whether any byte is a control character, `"` or `\`: eight bytes at a time (this
        /// scan runs over every string of every answer), the rest one by one. A word has such a
        /// byte when `w - 0x20…` borrows into a byte whose top bit `w` did not have (a byte below
        /// 0x20), or when `w ^ 0x22…` or `w ^ 0x5C…` has a zero byte.
        package static func needsEscaping(_ utf8: UnsafeRawBufferPointer) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highBits: UInt64 = 0x8080_8080_8080_8080
            func hasByteBelow(_ word: UInt64, _ limit: UInt64) -> Bool { (word &- ones &* limit) & ~word & highBits != 0 }
            var offset = 0
            while offset + 8 <= utf8.count {
                let word = utf8.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if hasByteBelow(word, 0x20) || hasByteBelow(word ^ (ones &* 0x22), 1) || hasByteBelow(word ^ (ones &* 0x5C), 1) {
                    return true
                }
                offset += 8
            }
            while offset < utf8.count {
                let byte = utf8[offset]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
                offset += 1
            }
            return false
        }

        private func escaped(_ utf8: UnsafeRawBufferPointer) {
            for byte in utf8 {
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

        package func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

        /// Whether a type writes its own JSON, remembered per type for the response: asking the
        /// runtime for every value cost more than writing it, and a cache shared by every
        /// response was a lock taken some 300 times per list page.
        @exclusivity(unchecked) private var selfWritingTypes: [ObjectIdentifier: Bool] = [:]
        package func writesItsOwnJSON(_ type: Any.Type) -> Bool {
            let id = ObjectIdentifier(type)
            if let known = selfWritingTypes[id] { return known }
            let answer = type is any WritesItsOwnJSON.Type
            selfWritingTypes[id] = answer
            return answer
        }

        package func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, _ path: @autoclosure () -> [any CodingKey]) throws {
            guard value.isFinite else {
                throw EncodingError.invalidValue(value, .init(codingPath: path(), debugDescription: "\(value) is not valid in JSON"))
            }
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            raw(text)
        }

        package func key(_ key: some CodingKey) {
            // A metatype comparison: a protocol check here was a conformance lookup per member.
            if type(of: key) == TTDNKit.VerbatimKey.self {
                string(key.stringValue)
            } else {
                SnakeCaseKeys.appendQuoted(key.stringValue, to: &bytes)
            }
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// The encoder of one value: which container it opened, how many members it wrote, and
    /// the nested encoder still open inside it.
    package final class ValueEncoder: Encoder {
        package enum State { case empty, object, array, single }
        /// Not retained: the output keeps its spare encoders, and an encoder lives only while
        /// the output's `write` that made it runs (a retained one would make a cycle).
        package unowned(unsafe) let output: Output
        // One encoder per value, used by one task; `package` visibility made the compiler check
        // exclusivity at run time on every member, which showed in the profiles.
        @exclusivity(unchecked) package var state = State.empty
        @exclusivity(unchecked) package var members = 0
        @exclusivity(unchecked) package var child: ValueEncoder?
        package var codingPath: [any CodingKey] { [] }
        package var userInfo: [CodingUserInfoKey: Any] { [:] }

        package init(output: Output) { self.output = output }

        package func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if state == .empty { state = .object; output.bytes.append(UInt8(ascii: "{")) }
            return KeyedEncodingContainer(Keyed<Key>(encoder: self))
        }

        package func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if state == .empty { state = .array; output.bytes.append(UInt8(ascii: "[")) }
            return Unkeyed(encoder: self)
        }

        package func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(encoder: self)
        }

        /// Closes the nested container left open, then separates the next member.
        package func nextMember() {
            closeChild()
            if members > 0 { output.bytes.append(UInt8(ascii: ",")) }
            members += 1
        }

        package func closeChild() {
            guard let closing = child else { return }
            child = nil
            closing.close()
            output.recycle(closing)
        }

        package func nested() -> ValueEncoder {
            let encoder = output.makeEncoder()
            child = encoder
            return encoder
        }

        package func close() {
            closeChild()
            switch state {
            case .object: output.bytes.append(UInt8(ascii: "}"))
            case .array: output.bytes.append(UInt8(ascii: "]"))
            case .empty: output.raw("{}")  // as JSONEncoder: a value that encoded nothing is an empty object
            case .single: break
            }
        }

        /// A single value: written once, in place.
        package func single() -> Output {
            closeChild()
            state = .single
            return output
        }
    }

    package struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        package let encoder: ValueEncoder
        package var codingPath: [any CodingKey] { [] }

        private func member(_ key: Key) -> Output {
            encoder.nextMember()
            encoder.output.key(key)
            return encoder.output
        }

        package mutating func encodeNil(forKey key: Key) throws { member(key).raw("null") }
        package mutating func encode(_ value: Bool, forKey key: Key) throws { member(key).raw(value ? "true" : "false") }
        package mutating func encode(_ value: String, forKey key: Key) throws { member(key).string(value) }
        package mutating func encode(_ value: Double, forKey key: Key) throws { try member(key).number(value, [key]) }
        package mutating func encode(_ value: Float, forKey key: Key) throws { try member(key).number(value, [key]) }
        package mutating func encode(_ value: Int, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: Int8, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: Int16, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: Int32, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: Int64, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: UInt, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key).raw(String(value)) }
        package mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try member(key).write(value) }

        package mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            _ = member(key)
            return encoder.nested().container(keyedBy: keyType)
        }
        package mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            _ = member(key)
            return encoder.nested().unkeyedContainer()
        }
        package mutating func superEncoder() -> any Encoder {
            encoder.nextMember()
            encoder.output.string("super")  // JSONEncoder's key for it, whatever Key can spell
            encoder.output.bytes.append(UInt8(ascii: ":"))
            return encoder.nested()
        }
        package mutating func superEncoder(forKey key: Key) -> any Encoder {
            _ = member(key)
            return encoder.nested()
        }
    }

    package struct Unkeyed: UnkeyedEncodingContainer {
        package let encoder: ValueEncoder
        package var codingPath: [any CodingKey] { [] }
        package var count: Int { encoder.members }

        private func element() -> Output {
            encoder.nextMember()
            return encoder.output
        }

        package mutating func encodeNil() throws { element().raw("null") }
        package mutating func encode(_ value: Bool) throws { element().raw(value ? "true" : "false") }
        package mutating func encode(_ value: String) throws { element().string(value) }
        package mutating func encode(_ value: Double) throws { try element().number(value, []) }
        package mutating func encode(_ value: Float) throws { try element().number(value, []) }
        package mutating func encode(_ value: Int) throws { element().raw(String(value)) }
        package mutating func encode(_ value: Int64) throws { element().raw(String(value)) }
        package mutating func encode<T: Encodable>(_ value: T) throws { try element().write(value) }

        package mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            _ = element()
            return encoder.nested().container(keyedBy: keyType)
        }
        package mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            _ = element()
            return encoder.nested().unkeyedContainer()
        }
        package mutating func superEncoder() -> any Encoder {
            _ = element()
            return encoder.nested()
        }
    }

    package struct Single: SingleValueEncodingContainer {
        package let encoder: ValueEncoder
        package var codingPath: [any CodingKey] { [] }

        package mutating func encodeNil() throws { encoder.single().raw("null") }
        package mutating func encode(_ value: Bool) throws { encoder.single().raw(value ? "true" : "false") }
        package mutating func encode(_ value: String) throws { encoder.single().string(value) }
        package mutating func encode(_ value: Double) throws { try encoder.single().number(value, []) }
        package mutating func encode(_ value: Float) throws { try encoder.single().number(value, []) }
        package mutating func encode(_ value: Int) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: Int8) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: Int16) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: Int32) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: Int64) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: UInt) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: UInt8) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: UInt16) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: UInt32) throws { encoder.single().raw(String(value)) }
        package mutating func encode(_ value: UInt64) throws { encoder.single().raw(String(value)) }
        package mutating func encode<T: Encodable>(_ value: T) throws { try encoder.single().write(value) }
    }
}

extension Dictionary: JSONWriter.WritesItsOwnJSON where Key == String, Value: Encodable {
    /// As JSONEncoder: the keys are data, not property names, and not converted. In order, so
    /// that the same dictionary is always the same bytes.
    package func writeJSON(to output: JSONWriter.Output) throws {
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

extension Array: JSONWriter.WritesItsOwnJSON where Element: JSONWriter.WritesItsOwnJSON {
    /// The elements' own JSON, called directly: the runtime's check that a value writes itself is
    /// then made once for the list, not once per element.
    package func writeJSON(to output: JSONWriter.Output) throws {
        output.bytes.append(UInt8(ascii: "["))
        for (index, element) in enumerated() {
            if index > 0 { output.bytes.append(UInt8(ascii: ",")) }
            try element.writeJSON(to: output)
        }
        output.bytes.append(UInt8(ascii: "]"))
    }
}
