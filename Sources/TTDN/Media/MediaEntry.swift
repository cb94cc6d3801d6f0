import Foundation
import PQ
import TTDNKit

public enum MediaOrigin: String, CaseIterable, Codable, Sendable { case domestic, foreign }
public enum Sentiment: String, CaseIterable, Codable, Sendable { case positive, neutral, negative }
public enum ResponseStatus: String, CaseIterable, Codable, Sendable {
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
public struct MediaEntry: Codable, Sendable {
    public var id: String
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
    public var relatedUnitId: String?
    public var recordedBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(unescaped: """
        m.id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
        m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
        m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
        extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
        m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version
        """)

    init(row: PQRow) throws {
        id = try row.decode("id", as: UUID.self).lowercased
        title = try row.decode("title")
        url = try row.decode("url")
        urlNormalized = try row.decode("url_normalized")
        outlet = try row.decode("outlet")
        origin = MediaOrigin(rawValue: try row.decode("origin"))!
        country = try row.decode("country")
        language = try row.decode("language")
        publishedAt = try row.decode("published_at")
        capturedAt = try row.decode("captured_at")
        summary = try row.decode("summary")
        summaryVi = try row.decode("summary_vi")
        topics = try row.decode("topics")
        sentiment = Sentiment(rawValue: try row.decode("sentiment"))!
        misinformation = try row.decode("misinformation")
        responseStatus = ResponseStatus(rawValue: try row.decode("response_status"))!
        responseNote = try row.decode("response_note")
        responseUrl = try row.decode("response_url")
        respondedAt = try row.decode("responded_at")
        responseTimeSeconds = try row.decode("response_time_seconds")
        relatedUnitId = try row.decode("related_unit_id", as: UUID?.self)?.lowercased
        recordedBy = try row.decode("recorded_by", as: UUID?.self)?.lowercased
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    static let csvHeader = ["id", "published_at", "title", "url", "outlet", "origin", "country", "language", "sentiment",
                            "misinformation", "response_status", "topics", "related_unit_id", "captured_at", "responded_at"]
    var csvRow: [String?] {
        [id, PQTimestamp.format(publishedAt), title, url, outlet, origin.rawValue, country, language, sentiment.rawValue,
         String(misinformation), responseStatus.rawValue, topics.joined(separator: ";"), relatedUnitId,
         PQTimestamp.format(capturedAt), respondedAt.map(PQTimestamp.format)]
    }
}

/// URLs compared for duplicates: scheme and host lower-cased, default port, fragment,
/// trailing slash and tracking parameters (utm_*, fbclid, gclid ...) removed, parameters sorted.

struct MediaFields {
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

    init(reading reader: inout InputReader) {
        title = reader.string("title", maxLength: 500)
        url = reader.url("url")
        outlet = reader.string("outlet", maxLength: 200)
        origin = reader.enumeration("origin", MediaOrigin.self)
        country = reader.string("country", maxLength: 2)
        if let value = country.value {
            if value.range(of: "^[A-Za-z]{2}$", options: .regularExpression) == nil {
                reader.fail("country", "must be an ISO 3166-1 alpha-2 code such as VN, LA, KH")
            } else {
                country = .value(value.uppercased())
            }
        }
        language = reader.string("language", maxLength: 35)
        if let value = language.value {
            let lower = value.split(separator: "-").enumerated().map { $0.offset == 0 ? $0.element.lowercased() : String($0.element) }.joined(separator: "-")
            if lower.range(of: "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", options: .regularExpression) == nil {
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
        for (key, isNull) in [("title", title.isNull), ("url", url.isNull), ("outlet", outlet.isNull), ("origin", origin.isNull),
                              ("published_at", publishedAt.isNull), ("captured_at", capturedAt.isNull), ("sentiment", sentiment.isNull),
                              ("misinformation", misinformation.isNull), ("response_status", responseStatus.isNull),
                              ("topics", topics.isNull)] where isNull {
            reader.fail(key, "must not be null")
        }
    }
}
