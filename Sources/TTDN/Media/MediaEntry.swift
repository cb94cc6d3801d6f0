import Foundation
import PQ
import TTDNKit

public enum MediaOrigin: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case domestic, foreign }
public enum Sentiment: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case positive, neutral, negative }
public enum ResponseStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case none, monitoring, verifying, responseDrafted = "response_drafted", responded, closed

    /// Where an item may go next. Reopening a closed item must be asked for (`reopen: true`).
    var next: Set<ResponseStatus> {
        switch self {
        case .none: return [.monitoring, .verifying, .closed]
        case .monitoring: return [.verifying, .closed]
        case .verifying: return [.monitoring, .responseDrafted, .closed]
        case .responseDrafted: return [.verifying, .responded]
        case .responded: return [.closed]
        case .closed: return []
        }
    }
}

/// A press item about the city or its education sector.
public struct MediaEntry: Codable, Sendable, StoredResource {
    public var id: UUID
    public var title: String
    public var url: String
    public var urlNormalized: String
    public var outlet: String
    public var origin: MediaOrigin
    public var country: String?
    public var language: String?
    public var publishedAt: Date
    public var capturedAt: Date
    public var summary: String?
    public var summaryVi: String?
    public var topics: [String]
    public var sentiment: Sentiment
    public var misinformation: Bool
    public var responseStatus: ResponseStatus
    public var responseNote: String?
    public var responseUrl: String?
    public var respondedAt: Date?
    /// From capture to response, in seconds.
    public var responseTimeSeconds: Int?
    public var relatedUnitId: UUID?
    public var recordedBy: UUID?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "media_entries"
    package static let collectionPath = "/v1/media-entries"
    public var etag: String { Conditional.etag(version: version) }

    /// The columns of an entry, once: the SELECT list (`m.` is the table alias), in the order of
    /// the JSON fields, named as them: a list page is written from the rows (`RowJSON`).
    /// Computed ones are the expression they are read from; enums and the domain array are
    /// read as `text` and `text[]`, types RowJSON writes.
    static let columnNames = [
        "id", "title", "url", "url_normalized", "outlet", "origin", "country", "language", "published_at",
        "captured_at", "summary", "summary_vi", "topics", "sentiment", "misinformation",
        "response_status", "response_note", "response_url", "responded_at", "response_time_seconds",
        "related_unit_id", "recorded_by", "created_at", "updated_at", "version",
    ]
    static let computedColumns = [
        "response_time_seconds": "extract(epoch FROM m.responded_at - m.captured_at)::int8",
        "origin": "m.origin::text", "sentiment": "m.sentiment::text", "response_status": "m.response_status::text",
        "topics": "m.topics::text[]",
    ]
    static let columns = PQQuery(
        unescaped: columnNames.map { name in
            computedColumns[name].map { "\($0) AS \(name)" } ?? "m.\(name)"
        }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        title = try row.decode("title")
        url = try row.decode("url")
        urlNormalized = try row.decode("url_normalized")
        outlet = try row.decode("outlet")
        origin = try row.decode("origin")
        country = try row.decode("country")
        language = try row.decode("language")
        publishedAt = try row.decode("published_at")
        capturedAt = try row.decode("captured_at")
        summary = try row.decode("summary")
        summaryVi = try row.decode("summary_vi")
        topics = try row.decode("topics")
        sentiment = try row.decode("sentiment")
        misinformation = try row.decode("misinformation")
        responseStatus = try row.decode("response_status")
        responseNote = try row.decode("response_note")
        responseUrl = try row.decode("response_url")
        respondedAt = try row.decode("responded_at")
        responseTimeSeconds = try row.decode("response_time_seconds")
        relatedUnitId = try row.decode("related_unit_id")
        recordedBy = try row.decode("recorded_by")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    /// The CSV of a list: its own column order, not the JSON fields in alphabetical order.
    static let csvHeader = [
        "id", "published_at", "title", "url", "outlet", "origin", "country", "language", "sentiment",
        "misinformation", "response_status", "topics", "related_unit_id", "captured_at", "responded_at",
    ]
    /// In the order of `csvHeader`.
    var csvRow: [String?] {
        [
            id.text, PQTimestamp.format(publishedAt), title, url, outlet, origin.rawValue, country, language, sentiment.rawValue,
            String(misinformation), responseStatus.rawValue, topics.joined(separator: ";"), relatedUnitId?.text,
            PQTimestamp.format(capturedAt), respondedAt.map(PQTimestamp.format),
        ]
    }
    static var csvColumns: CSVColumns<MediaEntry> { CSVColumns(header: csvHeader, row: \.csvRow) }
}

/// The writable fields of a media entry, as read from a create body, a merge patch or an import row.
struct MediaFields: Sendable, ResourceInput {
    var title: Field<String> = .absent
    var url: Field<String> = .absent
    var outlet: Field<String> = .absent
    var origin: Field<MediaOrigin> = .absent
    var country: Field<String> = .absent
    var language: Field<String> = .absent
    var publishedAt: Field<Date> = .absent
    var capturedAt: Field<Date> = .absent
    var summary: Field<String> = .absent
    var summaryVi: Field<String> = .absent
    var topics: Field<[String]> = .absent
    var sentiment: Field<Sentiment> = .absent
    var misinformation: Field<Bool> = .absent
    var responseStatus: Field<ResponseStatus> = .absent
    var responseNote: Field<String> = .absent
    var responseURL: Field<String> = .absent
    var respondedAt: Field<Date> = .absent
    var relatedUnitID: Field<UUID> = .absent
    var reopen = false

    /// Fields the API answers with but no write may set: the same for create, update and import.
    static let readOnly: Set<String> = [
        "id", "created_at", "updated_at", "version", "url_normalized", "recorded_by",
        "response_time_seconds",
    ]
    /// Fields a new entry (created or imported) must have.
    static let requiredOnCreate = ["title", "url", "outlet", "origin", "published_at"]

    /// `^[A-Za-z]{2}$`, by bytes: `range(of:options: .regularExpression)` compiles its pattern
    /// on every call.
    package static func isCountryCode(_ text: String) -> Bool {
        text.utf8.count == 2 && text.utf8.allSatisfy(isASCIILetter)
    }

    /// `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`, by bytes.
    package static func isLanguageTag(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard let language = parts.first, (2...3).contains(language.count),
            language.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) })
        else { return false }
        return parts.dropFirst().allSatisfy { part in
            (2...8).contains(part.count) && part.allSatisfy { isASCIILetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    init(reading reader: inout InputReader) {
        title = reader.string("title", maxLength: 500)
        url = reader.url("url")
        outlet = reader.string("outlet", maxLength: 200)
        origin = reader.enumeration("origin", MediaOrigin.self)
        country = reader.string("country", maxLength: 2)
        if let value = country.value {
            if !Self.isCountryCode(value) {
                reader.fail("country", "must be an ISO 3166-1 alpha-2 code such as VN, LA, KH")
            } else {
                country = .value(value.uppercased())
            }
        }
        language = reader.string("language", maxLength: 35)
        if let value = language.value {
            let lower = value.split(separator: "-").enumerated().map { $0.offset == 0 ? $0.element.lowercased() : String($0.element) }.joined(
                separator: "-")
            if !Self.isLanguageTag(lower) {
                reader.fail("language", "must be a BCP 47 language tag such as vi, en, lo, km, zh-Hans")
            } else {
                language = .value(lower)
            }
        }
        publishedAt = reader.timestamp("published_at")
        capturedAt = reader.timestamp("captured_at")
        summary = reader.string("summary", maxLength: 10_000)
        summaryVi = reader.string("summary_vi", maxLength: 10_000)
        topics = reader.stringArray("topics", maxCount: 30, maxLength: 100)
        if let values = topics.value { topics = .value(Array(Set(values.map { $0.lowercased() })).sorted()) }
        sentiment = reader.enumeration("sentiment", Sentiment.self)
        misinformation = reader.bool("misinformation")
        responseStatus = reader.enumeration("response_status", ResponseStatus.self)
        responseNote = reader.string("response_note", maxLength: 10_000)
        responseURL = reader.url("response_url")
        respondedAt = reader.timestamp("responded_at")
        relatedUnitID = reader.uuid("related_unit_id")
        reopen = reader.bool("reopen").value ?? false
        for (key, isNull) in [
            ("title", title.isNull), ("url", url.isNull), ("outlet", outlet.isNull), ("origin", origin.isNull),
            ("published_at", publishedAt.isNull), ("captured_at", capturedAt.isNull), ("sentiment", sentiment.isNull),
            ("misinformation", misinformation.isNull), ("response_status", responseStatus.isNull),
            ("topics", topics.isNull),
        ] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}

/// Where an entry's response stands: its status and when it was answered.
struct MediaResponse: Sendable {
    var status: ResponseStatus
    var respondedAt: Date?

    static let answered: Set<ResponseStatus> = [.responded, .closed]
}

extension MediaFields {
    /// The URL as duplicates are compared (`CanonicalURL`); a new entry must have one.
    func normalizedURL() throws -> String {
        guard let url = url.value, let normalized = CanonicalURL.normalize(url) else { throw Self.notAnURL }
        return normalized
    }

    /// The URL of a changed entry as duplicates are compared: `current` unless the URL changes.
    func normalizedURL(else current: String) throws -> String {
        guard let url = url.value else { return current }
        guard let normalized = CanonicalURL.normalize(url) else { throw Self.notAnURL }
        return normalized
    }

    private static var notAnURL: Problem {
        Problem.validation([FieldError("url", "must be an absolute http or https URL")])
    }

    /// The response of a new entry: `none` unless given; a responded item without `responded_at`
    /// was answered now.
    func newResponse() throws -> MediaResponse {
        let status = responseStatus.value ?? .none
        let respondedAt: Date? =
            MediaResponse.answered.contains(status)
            ? (self.respondedAt.value ?? (status == .responded ? Date() : nil)) : nil
        if self.respondedAt.value != nil, !MediaResponse.answered.contains(status) {
            throw Problem.validation([FieldError("responded_at", "is only for responded or closed items")])
        }
        return MediaResponse(status: status, respondedAt: respondedAt)
    }

    /// The response after this patch of `current`: the lifecycle moves one step at a time
    /// (409 otherwise); reopening a closed item is explicit; a response needs a note or a URL.
    func response(changing current: MediaEntry) throws -> MediaResponse {
        var status = current.responseStatus
        var respondedAt = self.respondedAt.merged(into: current.respondedAt)
        if let next = responseStatus.value, next != current.responseStatus {
            let reopening = current.responseStatus == .closed && reopen && next == .monitoring
            guard current.responseStatus.next.contains(next) || reopening else {
                throw Problem.conflict(
                    "the response cannot go from \(current.responseStatus.rawValue) to \(next.rawValue)"
                        + (current.responseStatus == .closed ? " (send \"reopen\": true to reopen to monitoring)" : ""),
                    slug: "invalid-transition", errors: [FieldError("response_status", "invalid transition")])
            }
            status = next
            if next == .responded { respondedAt = self.respondedAt.value ?? Date() }
            if reopening || !MediaResponse.answered.contains(next) { respondedAt = nil }
        }
        if status == .responded, (responseNote.merged(into: current.responseNote) ?? responseURL.merged(into: current.responseUrl)) == nil {
            throw Problem.validation([FieldError("response_note", "a response needs a note or a response_url")])
        }
        if respondedAt != nil, !MediaResponse.answered.contains(status) {
            throw Problem.validation([FieldError("responded_at", "is only for responded or closed items")])
        }
        return MediaResponse(status: status, respondedAt: respondedAt)
    }
}

/// What `GET /v1/aggregates/media` may group by. Time, sentiment, origin, country and response
/// status come from the daily and monthly rollups; outlet and topic are counted from the entries.
enum MediaDimension: String, CaseIterable, Sendable {
    case day, week, month, sentiment, origin, country, outlet, topic, responseStatus = "response_status"
}
