import Foundation
import Logging
import Synchronization

/// `LOG_FORMAT=json`: one JSON object per line, for a log collector: `timestamp` (RFC 3339 UTC
/// with milliseconds), `level`, `logger`, `message`, and the metadata as members (strings; a
/// nested value as its description).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    /// Lines go to standard error, one `write` each, so lines of concurrent requests never interleave.
    public init(label: String) {
        self.init(label: label) { line in
            // One write(2) per line: atomic for lines this short on a pipe or a file.
            line.withUnsafeBytes { _ = Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    package init(label: String, write: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    public func log(event: LogEvent) {
        var object: [String: JSONValueOutput] = [:]
        for (key, value) in metadata { object[key] = Self.value(value) }
        for (key, value) in event.metadata ?? [:] { object[key] = Self.value(value) }
        object["timestamp"] = .string(Date().formatted(Self.format))
        object["level"] = .string(event.level.rawValue)
        object["logger"] = .string(label)
        object["message"] = .string(event.message.description)
        guard var line = try? JSONWriter.encode(object) else { return }
        line.append(UInt8(ascii: "\n"))
        write(line)
    }

    static func value(_ value: Logger.Metadata.Value) -> JSONValueOutput {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let items): return .array(items.map(Self.value))
        case .dictionary(let members): return .object(members.mapValues(Self.value))
        }
    }
}
