import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/media-entries`.
struct MediaFilter: Sendable {
    var origin: MediaOrigin?
    var country: String?
    var language: String?
    var sentiment: Sentiment?
    var misinformation: Bool?
    var responseStatus: ResponseStatus?
    var topic: String?
    var outlet: String?
    var relatedUnitID: UUID?
    var from: CalendarDate?
    var to: CalendarDate?
    var q: String?
}

/// All the SQL of media entries (the aggregates are in `MediaRepository+Aggregates.swift`).
enum MediaRepository: DeletableRepository {
    static let noun = "the media entry"

    /// The URL names an article an entry already records: `existingID` is that entry, when known.
    struct DuplicateURL: Error {
        let existingID: UUID?
    }

    /// Whether the entry exists, and the unit it is about, for the rules of its attachments.
    static func relatedUnit(of id: UUID, on connection: PQConnection) async throws -> UUID?? {
        guard let row = try await connection.query("SELECT related_unit_id FROM media_entries WHERE id = \(id)").first else { return nil }
        return .some(try row.decode("related_unit_id", as: UUID?.self))
    }

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> MediaEntry? {
        try await row(id, forUpdate: forUpdate, on: connection).first.map(MediaEntry.init(row:))
    }

    /// The entry's row (none when there is no such entry), which `GET` writes as its JSON.
    static func row(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> PQRows {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(MediaEntry.columns) FROM media_entries m WHERE m.id = \(id)\(lock)")
    }

    /// Newest first; `to` is exclusive. The rows as PostgreSQL returned them: a JSON page is
    /// written from them directly (`RowJSON`), a CSV from the entries decoded from them.
    static func list(
        _ f: MediaFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> RowPage {
        var conditions: [PQQuery] = ["true"]
        if let v = f.origin { conditions.append("m.origin = \(v)::media_origin") }
        if let v = f.country { conditions.append("m.country = \(v)") }
        if let v = f.language { conditions.append("m.language = \(v)") }
        if let v = f.sentiment { conditions.append("m.sentiment = \(v)::media_sentiment") }
        if let v = f.misinformation { conditions.append(v ? "m.misinformation" : "NOT m.misinformation") }
        if let v = f.responseStatus { conditions.append("m.response_status = \(v)::media_response_status") }
        if let v = f.topic { conditions.append("m.topics @> ARRAY[\(v)]::nfc_text[]") }
        if let v = f.outlet { conditions.append("ttdn_fold(m.outlet) = ttdn_fold(\(v))") }
        if let v = f.relatedUnitID { conditions.append("m.related_unit_id = \(v)") }
        if let v = f.from { conditions.append("m.published_at >= (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = f.to { conditions.append("m.published_at < (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = f.q { conditions.append("m.search @@ ttdn_search_query(\(v))") }
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(m.published_at, m.id) < (\(at), \(id))")
        }
        let rows = try await connection.query(
            """
            SELECT \(MediaEntry.columns) FROM media_entries m WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY m.published_at DESC, m.id DESC LIMIT \(limit + 1)
            """)
        return try RowPage(rows, limit: limit) { row in
            [PQTimestamp.format(try row.decode("published_at", as: Date.self)), try row.decode("id", as: UUID.self).text]
        }
    }

    /// Inserts one entry and returns its row (which a `POST` answers with); a URL already
    /// recorded (also by a concurrent insert) throws `DuplicateURL`.
    static func insertRow(
        _ f: MediaFields, normalizedURL: String, response: MediaResponse, relatedUnitID: UUID?,
        recordedBy: UUID?, on connection: PQConnection
    ) async throws -> PQRows {
        let rows = try await connection.query(
            """
            INSERT INTO media_entries AS m (title, url, url_normalized, outlet, origin, country, language, published_at, captured_at,
                summary, summary_vi, topics, sentiment, misinformation, response_status, response_note, response_url, responded_at,
                related_unit_id, recorded_by)
            VALUES (\(f.title.value), \(f.url.value), \(normalizedURL), \(f.outlet.value), \(f.origin.value)::media_origin,
                \(f.country.value), \(f.language.value), \(f.publishedAt.value), coalesce(\(f.capturedAt.value), now()),
                \(f.summary.value), \(f.summaryVi.value), \(f.topics.value ?? []), \(f.sentiment.value ?? .neutral)::media_sentiment,
                \(f.misinformation.value ?? false), \(response.status)::media_response_status, \(f.responseNote.value),
                \(f.responseURL.value), \(response.respondedAt), \(relatedUnitID), \(recordedBy))
            ON CONFLICT (url_normalized) DO NOTHING
            RETURNING \(MediaEntry.columns)
            """)
        guard !rows.isEmpty else {
            let existing = try await connection.query("SELECT id FROM media_entries WHERE url_normalized = \(normalizedURL)")
            throw DuplicateURL(existingID: try existing.first?.decode("id", as: UUID.self))
        }
        return rows
    }

    /// Applies a merge patch to `c`; absent fields stay, null clears. A URL another entry
    /// records throws `DuplicateURL` (without naming it).
    static func update(
        _ c: MediaEntry, with f: MediaFields, normalizedURL: String, response: MediaResponse,
        on connection: PQConnection
    ) async throws -> MediaEntry {
        do {
            let rows = try await connection.query(
                """
                UPDATE media_entries m SET
                    title = \(f.title.merged(into: c.title)), url = \(f.url.merged(into: c.url)), url_normalized = \(normalizedURL),
                    outlet = \(f.outlet.merged(into: c.outlet)), origin = \(f.origin.merged(into: c.origin))::media_origin,
                    country = \(f.country.merged(into: c.country)), language = \(f.language.merged(into: c.language)),
                    published_at = \(f.publishedAt.merged(into: c.publishedAt)), captured_at = \(f.capturedAt.merged(into: c.capturedAt)),
                    summary = \(f.summary.merged(into: c.summary)), summary_vi = \(f.summaryVi.merged(into: c.summaryVi)),
                    topics = \(f.topics.merged(into: c.topics) ?? []),
                    sentiment = \(f.sentiment.merged(into: c.sentiment))::media_sentiment,
                    misinformation = \(f.misinformation.merged(into: c.misinformation)),
                    response_status = \(response.status)::media_response_status,
                    response_note = \(f.responseNote.merged(into: c.responseNote)), response_url = \(f.responseURL.merged(into: c.responseUrl)),
                    responded_at = \(response.respondedAt),
                    related_unit_id = \(f.relatedUnitID.merged(into: c.relatedUnitId)),
                    updated_at = now(), version = m.version + 1
                WHERE m.id = \(c.id) RETURNING \(MediaEntry.columns)
                """)
            return try MediaEntry(row: rows[0])
        } catch let error as PQError where explain(error)?.field == "url" {
            throw DuplicateURL(existingID: nil)
        }
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM media_entries WHERE id = \(id)")
    }

    /// The field error a database constraint stands for, if it is one of ours.
    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "media_entries_unit_fkey": return FieldError("related_unit_id", "does not name an existing unit")
        case "media_entries_foreign_country": return FieldError("country", "a foreign item comes from a country other than VN")
        case "media_entries_url_key": return FieldError("url", "is already recorded")
        default: return nil
        }
    }
}
