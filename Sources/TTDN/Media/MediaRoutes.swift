import Foundation
import Hummingbird
import NIOCore
import PQ
import TTDNKit

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

/// `/v1/media-entries`: items are logged by unit editors (for their unit) and admins, read by all.
struct MediaRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/media-entries", list)
        routes.add(.post, "/v1/media-entries", create)
        routes.add(.post, "/v1/media-entries/import", importEntries)
        routes.add(.get, "/v1/media-entries/{id}", get)
        routes.add(.patch, "/v1/media-entries/{id}", update)
        routes.add(.delete, "/v1/media-entries/{id}", delete)
        routes.add(.get, "/v1/aggregates/media", MediaAggregateRoutes(pool: pool).aggregate)
    }

    static func find(_ id: UUID, on connection: PQConnection, forUpdate: Bool = false) async throws -> MediaEntry? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(MediaEntry.columns) FROM media_entries m WHERE m.id = \(id)\(lock)").first.map(MediaEntry.init(row:))
    }

    static func list(_ f: MediaFilter, after cursor: [String]?, limit: Int, on connection: PQConnection) async throws -> ([MediaEntry], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = f.origin { conditions.append("m.origin = \(v.rawValue)::media_origin") }
        if let v = f.country { conditions.append("m.country = \(v)") }
        if let v = f.language { conditions.append("m.language = \(v)") }
        if let v = f.sentiment { conditions.append("m.sentiment = \(v.rawValue)::media_sentiment") }
        if let v = f.misinformation { conditions.append(v ? "m.misinformation" : "NOT m.misinformation") }
        if let v = f.responseStatus { conditions.append("m.response_status = \(v.rawValue)::media_response_status") }
        if let v = f.topic { conditions.append("m.topics @> ARRAY[\(v)]::nfc_text[]") }
        if let v = f.outlet { conditions.append("ttdn_fold(m.outlet) = ttdn_fold(\(v))") }
        if let v = f.relatedUnitID { conditions.append("m.related_unit_id = \(v)") }
        if let v = f.from { conditions.append("m.published_at >= (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = f.to { conditions.append("m.published_at < (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") } // to is exclusive
        if let v = f.q { conditions.append("m.search @@ ttdn_search_query(\(v))") }
        if let cursor, cursor.count == 2, let at = PQTimestamp.parse(cursor[0]), let id = UUID(uuidString: cursor[1]) {
            conditions.append("(m.published_at, m.id) < (\(at), \(id))")
        }
        let rows = try await connection.query("""
            SELECT \(MediaEntry.columns) FROM media_entries m WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY m.published_at DESC, m.id DESC LIMIT \(limit + 1)
            """)
        var entries = try rows.map(MediaEntry.init(row:))
        var next: [String]?
        if entries.count > limit {
            entries.removeLast()
            next = entries.last.map { [PQTimestamp.format($0.publishedAt), $0.id] }
        }
        return (entries, next)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = MediaFilter(
            origin: query.enumeration("origin", MediaOrigin.self), country: query.string("country", maxLength: 2)?.uppercased(),
            language: query.string("language", maxLength: 35), sentiment: query.enumeration("sentiment", Sentiment.self),
            misinformation: query.bool("misinformation"), responseStatus: query.enumeration("response_status", ResponseStatus.self),
            topic: query.string("topic", maxLength: 100)?.lowercased(), outlet: query.string("outlet", maxLength: 200),
            relatedUnitID: query.uuid("related_unit_id"), from: query.date("from"), to: query.date("to"), q: query.string("q"))
        let page = query.page()
        try query.finish()
        if CSVOutput.wanted(by: request) {
            let pool = self.pool
            return CSVOutput.stream(header: MediaEntry.csvHeader, filename: "media-entries") { cursor in
                let (entries, next) = try await pool.withConnection { try await Self.list(filter, after: cursor, limit: 500, on: $0) }
                return (entries.map(\.csvRow), next)
            }
        }
        let (entries, next) = try await pool.withConnection { try await Self.list(filter, after: page.cursor, limit: page.limit, on: $0) }
        return try Pagination.response(request: request, items: entries, nextCursor: next.map(Cursor.encode))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the media entry")
        try QueryReader(request).finish()
        guard let entry = try await pool.withConnection({ try await Self.find(id, on: $0) }) else { throw Problem.notFound("the media entry") }
        return try Conditional.resource(entry, etag: entry.etag, request: request)
    }

    /// An editor logs and handles items of its own unit (and the units below it).
    static func checkUnit(_ unit: UUID?, write: Write) async throws {
        guard let caller = write.principal, !caller.isAdmin else { return }
        guard let own = caller.unitID, let unit, try await Scope.unit(unit, isWithin: own, on: write.connection) else {
            throw Problem.forbidden("an editor records and handles media items of its own unit only")
        }
    }

    static func duplicate(_ existing: String) -> Problem {
        var problem = Problem.conflict("this article is already recorded", slug: "duplicate-url",
                                       errors: [FieldError("url", "is already recorded as media entry \(existing)")],
                                       extensions: ["existing_id": existing])
        problem.headers[.location] = "/v1/media-entries/\(existing)"
        return problem
    }

    /// Inserts one entry; a URL already recorded (also by a concurrent request) is a 409 naming it.
    static func insert(_ f: MediaFields, write: Write) async throws -> MediaEntry {
        guard let url = f.url.value, let normalized = CanonicalURL.normalize(url) else {
            throw Problem.validation([FieldError("url", "must be an absolute http or https URL")])
        }
        var unit = f.relatedUnitID.value
        if unit == nil, let caller = write.principal, !caller.isAdmin { unit = caller.unitID }
        try await checkUnit(unit, write: write)
        let status = f.responseStatus.value ?? .none
        let respondedAt: Date? = [.responded, .closed].contains(status) ? (f.respondedAt.value ?? (status == .responded ? Date() : nil)) : nil
        if f.respondedAt.value != nil, ![.responded, .closed].contains(status) {
            throw Problem.validation([FieldError("responded_at", "is only for responded or closed items")])
        }
        let rows = try await explainingConstraints(Self.explain) {
            try await write.query("""
                INSERT INTO media_entries AS m (title, url, url_normalized, outlet, origin, country, language, published_at, captured_at,
                    summary, summary_vi, topics, sentiment, misinformation, response_status, response_note, response_url, responded_at,
                    related_unit_id, recorded_by)
                VALUES (\(f.title.value), \(url), \(normalized), \(f.outlet.value), \(f.origin.value?.rawValue)::media_origin,
                    \(f.country.value), \(f.language.value), \(f.publishedAt.value), coalesce(\(f.capturedAt.value), now()),
                    \(f.summary.value), \(f.summaryVi.value), \(f.topics.value ?? []), \((f.sentiment.value ?? .neutral).rawValue)::media_sentiment,
                    \(f.misinformation.value ?? false), \(status.rawValue)::media_response_status, \(f.responseNote.value),
                    \(f.responseURL.value), \(respondedAt), \(unit), \(write.principal?.tokenID))
                ON CONFLICT (url_normalized) DO NOTHING
                RETURNING \(MediaEntry.columns)
                """)
        }
        guard let row = rows.first else {
            let existing = try await write.query("SELECT id FROM media_entries WHERE url_normalized = \(normalized)")
            throw duplicate(try existing.first?.decode("id", as: UUID.self).lowercased ?? "unknown")
        }
        let entry = try MediaEntry(row: row)
        try await write.audit(AuditEntry("media_entries", id: entry.id, action: "create", before: MediaEntry?.none, after: entry))
        return entry
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "media_entries_unit_fkey": return FieldError("related_unit_id", "does not name an existing unit")
        case "media_entries_foreign_country": return FieldError("country", "a foreign item comes from a country other than VN")
        case "media_entries_url_key": return FieldError("url", "is already recorded")
        default: return nil
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireWriter("record media items")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let fields = MediaFields(reading: &reader)
        for (key, absent) in [("title", fields.title.isAbsent), ("url", fields.url.isAbsent), ("outlet", fields.outlet.isAbsent),
                              ("origin", fields.origin.isAbsent), ("published_at", fields.publishedAt.isAbsent)] where absent {
            if !reader.errors.contains(where: { $0.field == key }) { reader.fail(key, "is required") }
        }
        try reader.finish(readOnly: ["id", "created_at", "updated_at", "version", "url_normalized", "recorded_by", "response_time_seconds"])
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let entry = try await Self.insert(fields, write: write)
            return try StoredResponse.json(entry, status: .created, headers: ["Location": "/v1/media-entries/\(entry.id)", "ETag": entry.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the media entry")
        try context.caller.requireWriter("change media items")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let f = MediaFields(reading: &reader)
        try reader.finish(readOnly: ["id", "created_at", "updated_at", "version", "url_normalized", "recorded_by", "response_time_seconds"])
        let entry = try await context.write(pool) { write -> MediaEntry in
            guard let c = try await Self.find(id, on: write.connection, forUpdate: true) else { throw Problem.notFound("the media entry") }
            try await Self.checkUnit(c.relatedUnitId.flatMap(UUID.init(uuidString:)), write: write)
            if !f.relatedUnitID.isAbsent { try await Self.checkUnit(f.relatedUnitID.value, write: write) }
            try Conditional.checkIfMatch(request, etag: c.etag)
            // The response lifecycle moves one step at a time; reopening a closed item is explicit.
            var status = c.responseStatus
            var respondedAt = f.respondedAt.merged(into: c.respondedAt)
            if let next = f.responseStatus.value, next != c.responseStatus {
                let reopening = c.responseStatus == .closed && f.reopen && next == .monitoring
                guard c.responseStatus.next.contains(next) || reopening else {
                    throw Problem.conflict("the response cannot go from \(c.responseStatus.rawValue) to \(next.rawValue)"
                                           + (c.responseStatus == .closed ? " (send \"reopen\": true to reopen to monitoring)" : ""),
                                           slug: "invalid-transition", errors: [FieldError("response_status", "invalid transition")])
                }
                status = next
                if next == .responded { respondedAt = f.respondedAt.value ?? Date() }
                if reopening || ![.responded, .closed].contains(next) { respondedAt = nil }
            }
            if status == .responded, (f.responseNote.merged(into: c.responseNote) ?? f.responseURL.merged(into: c.responseUrl)) == nil {
                throw Problem.validation([FieldError("response_note", "a response needs a note or a response_url")])
            }
            if respondedAt != nil, ![.responded, .closed].contains(status) {
                throw Problem.validation([FieldError("responded_at", "is only for responded or closed items")])
            }
            var normalized = c.urlNormalized
            if let url = f.url.value {
                guard let n = CanonicalURL.normalize(url) else { throw Problem.validation([FieldError("url", "must be an absolute http or https URL")]) }
                normalized = n
            }
            let rows: PQRows
            do {
                rows = try await explainingConstraints(Self.explain) {
                    try await write.query("""
                        UPDATE media_entries m SET
                            title = \(f.title.merged(into: c.title)), url = \(f.url.merged(into: c.url)), url_normalized = \(normalized),
                            outlet = \(f.outlet.merged(into: c.outlet)), origin = \(f.origin.merged(into: c.origin)?.rawValue)::media_origin,
                            country = \(f.country.merged(into: c.country)), language = \(f.language.merged(into: c.language)),
                            published_at = \(f.publishedAt.merged(into: c.publishedAt)), captured_at = \(f.capturedAt.merged(into: c.capturedAt)),
                            summary = \(f.summary.merged(into: c.summary)), summary_vi = \(f.summaryVi.merged(into: c.summaryVi)),
                            topics = \(f.topics.merged(into: c.topics) ?? []),
                            sentiment = \(f.sentiment.merged(into: c.sentiment)?.rawValue)::media_sentiment,
                            misinformation = \(f.misinformation.merged(into: c.misinformation)),
                            response_status = \(status.rawValue)::media_response_status,
                            response_note = \(f.responseNote.merged(into: c.responseNote)), response_url = \(f.responseURL.merged(into: c.responseUrl)),
                            responded_at = \(respondedAt),
                            related_unit_id = \(f.relatedUnitID.merged(into: c.relatedUnitId.flatMap(UUID.init(uuidString:)))),
                            updated_at = now(), version = m.version + 1
                        WHERE m.id = \(id) RETURNING \(MediaEntry.columns)
                        """)
                }
            } catch let problem as Problem where problem.errors.first?.field == "url" && problem.status == .unprocessableContent {
                throw Problem.conflict("another entry already records this article", slug: "duplicate-url",
                                       errors: [FieldError("url", "is already recorded by another entry")])
            }
            let updated = try MediaEntry(row: rows[0])
            try await write.audit(AuditEntry("media_entries", id: updated.id, action: "update", before: c, after: updated))
            return updated
        }
        return try Conditional.resource(entry, etag: entry.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the media entry")
        try context.caller.requireWriter("delete media items")
        try await context.write(pool) { write in
            guard let current = try await Self.find(id, on: write.connection, forUpdate: true) else { throw Problem.notFound("the media entry") }
            try await Self.checkUnit(current.relatedUnitId.flatMap(UUID.init(uuidString:)), write: write)
            try Conditional.checkIfMatch(request, etag: current.etag)
            _ = try await write.query("DELETE FROM media_entries WHERE id = \(id)")
            try await write.audit(AuditEntry("media_entries", id: current.id, action: "delete", before: current, after: MediaEntry?.none))
        }
        return Response(status: .noContent)
    }

    struct ImportRow: Encodable, Sendable {
        let row: Int
        var status: String
        var id: String?
        var existingId: String?
        var errors: [FieldError]
    }

    struct ImportReport: ImportOutcome {
        let dryRun: Bool
        let valid: Bool
        let created: Int
        let duplicates: Int
        let invalid: Int
        let rows: [ImportRow]
        var rowErrors: [(row: Int, error: FieldError)] { rows.flatMap { row in row.errors.map { (row.row, $0) } } }
        enum CodingKeys: String, CodingKey { case dryRun, valid, created, duplicates, invalid, rows }
    }

    /// CSV (header row of field names; `topics` separated by `;`) or a JSON array. Duplicates are
    /// reported and skipped unless `on_duplicate=fail`; any invalid row makes a real run write nothing.
    @Sendable func importEntries(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireWriter("import media items")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        let onDuplicate = query.string("on_duplicate", maxLength: 10) ?? "skip"
        if !["skip", "fail"].contains(onDuplicate) { query.fail("on_duplicate", "must be skip or fail") }
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["application/json", "text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try BulkImport.rows(body, csv: BulkImport.isCSV(request), what: "media entries") { column, value in
            switch column {
            case "misinformation": return value == "true" ? .bool(true) : value == "false" ? .bool(false) : .string(value)
            case "topics": return .array(value.split(separator: ";").map { .string($0.trimmingCharacters(in: .whitespaces)) })
            default: return .string(value)
            }
        }
        let apply: (Write) async throws -> ImportReport = { write in
            var results: [ImportRow] = []
            for (offset, value) in rows.enumerated() {
                var result = ImportRow(row: offset + 1, status: "invalid", errors: [])
                do {
                    var reader = try InputReader(value)
                    let fields = MediaFields(reading: &reader)
                    for (key, absent) in [("title", fields.title.isAbsent), ("url", fields.url.isAbsent), ("outlet", fields.outlet.isAbsent),
                                          ("origin", fields.origin.isAbsent), ("published_at", fields.publishedAt.isAbsent)] where absent {
                        if !reader.errors.contains(where: { $0.field == key }) { reader.fail(key, "is required") }
                    }
                    try reader.finish(readOnly: ["id", "created_at", "updated_at", "version", "url_normalized", "recorded_by"])
                    _ = try await write.query("SAVEPOINT import_row")
                    do {
                        let entry = try await Self.insert(fields, write: write)
                        _ = try await write.query("RELEASE SAVEPOINT import_row")
                        result.status = dryRun ? "valid" : "created"
                        result.id = dryRun ? nil : entry.id
                    } catch let problem as Problem {
                        _ = try await write.query("ROLLBACK TO SAVEPOINT import_row")
                        if problem.slug == "duplicate-url" {
                            result.status = "duplicate"
                            result.existingId = problem.extensions["existing_id"]
                            if onDuplicate == "fail" { result.errors = problem.errors }
                        } else {
                            result.errors = problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
                        }
                    }
                } catch let problem as Problem {
                    result.errors = problem.errors
                }
                if !result.errors.isEmpty { result.status = result.status == "duplicate" ? "duplicate" : "invalid" }
                results.append(result)
            }
            let valid = results.allSatisfy { $0.errors.isEmpty }
            return ImportReport(dryRun: dryRun, valid: valid,
                                created: dryRun || !valid ? 0 : results.filter { $0.status == "created" }.count,
                                duplicates: results.filter { $0.status == "duplicate" }.count,
                                invalid: results.filter { $0.status == "invalid" }.count, rows: results)
        }
        return try await BulkImport.run(request: request, context: context, pool: pool, body: body, dryRun: dryRun, apply: apply)
    }
}
