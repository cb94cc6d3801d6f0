import Logging

/// `LOG_FORMAT=text` (the default): swift-log's `StreamLogHandler` lines on standard error, with
/// its metadata formatted when a line is written rather than each time it changes. A request
/// changes its logger's metadata (its id) and usually writes no line, so a handler that formats
/// on change costs every request that work for nothing.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let makeHandler: @Sendable (String) -> StreamLogHandler

    public init(label: String) {
        self.init(label: label) { StreamLogHandler.standardError(label: $0, metadataProvider: nil) }
    }

    /// `makeHandler` makes the `StreamLogHandler` that writes a line (tests give it their stream).
    package init(label: String, makeHandler: @escaping @Sendable (String) -> StreamLogHandler) {
        self.label = label
        self.makeHandler = makeHandler
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var stream = makeHandler(label)
        stream.logLevel = logLevel
        stream.metadata = metadata
        stream.log(event: event)
    }
}
