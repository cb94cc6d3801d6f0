import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/media-entries`: items are logged by unit editors (for their unit) and admins, read by all.
struct MediaRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: MediaEntry.self, "/v1/media-entries", list: list, create: create, get: get, update: update, delete: delete)
        routes.add(.post, "/v1/media-entries/import", importEntries)
        routes.add(.get, "/v1/aggregates/media", MediaAggregateRoutes(pool: pool).aggregate)
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
        let pool = self.pool
        return try await Pagination.list(
            request: request, page: page, filename: "media-entries",
            columns: MediaEntry.csvColumns, decode: MediaEntry.init(row:)
        ) { cursor, limit in
            try await pool.withSharedConnection { try await MediaRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: MediaRepository.noun)
        return try await AuditedWrite.get(MediaRepository.noun, request: request, pool: pool) { try await MediaRepository.row(id, on: $0) }
    }

    /// Attachments on a media entry (a screenshot, the rebuttal sent) follow its rules: everyone
    /// sees it; admins and the editors of the unit it is about write.
    static let parent = ParentResource(
        path: MediaEntry.collectionPath, column: "media_entry_id", noun: MediaRepository.noun,
        visibleUnit: { id, _, connection in try await MediaRepository.relatedUnit(of: id, on: connection) },
        requireWritable: { _, unit, caller, connection in
            try await ParentResource.requireOwnUnit(unit, caller: caller, what: "add evidence to the media items", on: connection)
        })

    /// An editor logs and handles items of its own unit (and the units below it).
    static func requireOwnUnit(_ unit: UUID?, write: Write) async throws {
        guard let caller = write.principal, !caller.isAdmin else { return }
        guard let own = caller.unitID, let unit, try await Scope.unit(unit, isWithin: own, on: write.connection) else {
            throw Problem.forbidden("an editor records and handles media items of its own unit only")
        }
    }

    /// The 409 of an article already recorded, pointing to the entry that records it.
    static func duplicate(_ existing: UUID?) -> Problem {
        let existing = existing?.text ?? "unknown"
        var problem = Problem.conflict(
            "this article is already recorded", slug: "duplicate-url",
            errors: [FieldError("url", "is already recorded as media entry \(existing)")],
            extensions: ["existing_id": existing])
        problem.headers[.location] = "\(MediaEntry.collectionPath)/\(existing)"
        return problem
    }

    /// Inserts one entry (create and import) and returns its row; an editor's entry is of its own
    /// unit unless it names one below it; a URL already recorded (also by a concurrent request)
    /// is a 409 naming it.
    static func insertRow(_ fields: MediaFields, write: Write) async throws -> PQRows {
        let normalized = try fields.normalizedURL()
        var unit = fields.relatedUnitID.value
        if unit == nil, let caller = write.principal, !caller.isAdmin { unit = caller.unitID }
        try await requireOwnUnit(unit, write: write)
        let response = try fields.newResponse()
        do {
            return try await MediaRepository.insertRow(
                fields, normalizedURL: normalized, response: response, relatedUnitID: unit,
                recordedBy: write.principal?.tokenID, on: write.connection)
        } catch let duplicate as MediaRepository.DuplicateURL {
            throw Self.duplicate(duplicate.existingID)
        }
    }

    /// The same insert, the entry decoded from its row (import reports entries, not their JSON).
    static func insert(_ fields: MediaFields, write: Write) async throws -> MediaEntry {
        try MediaEntry(row: try await insertRow(fields, write: write)[0])
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireWriter("record media items")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(MediaFields.self, creating: true)
        // Answered from the inserted row, as a GET is.
        return try await AuditedWrite.create(
            MediaRepository.self, request: request, context: context, pool: pool, body: body,
            row: { write in try await Self.insertRow(fields, write: write) })
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: MediaRepository.noun)
        try context.caller.requireWriter("change media items")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(MediaFields.self, creating: false)
        return try await AuditedWrite.update(
            MediaRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                // Both the unit it is of and the unit it would move to must be the editor's.
                try await Self.requireOwnUnit(current.relatedUnitId, write: write)
                if !fields.relatedUnitID.isAbsent { try await Self.requireOwnUnit(fields.relatedUnitID.value, write: write) }
            }
        ) { current, write in
            let response = try fields.response(changing: current)
            let normalized = try fields.normalizedURL(else: current.urlNormalized)
            do {
                return try await MediaRepository.update(
                    current, with: fields, normalizedURL: normalized, response: response,
                    on: write.connection)
            } catch is MediaRepository.DuplicateURL {
                throw Problem.conflict(
                    "another entry already records this article", slug: "duplicate-url",
                    errors: [FieldError("url", "is already recorded by another entry")])
            }
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: MediaRepository.noun)
        try context.caller.requireWriter("delete media items")
        return try await AuditedWrite.delete(
            MediaRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in try await Self.requireOwnUnit(current.relatedUnitId, write: write) })
    }
}
