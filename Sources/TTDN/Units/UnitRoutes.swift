import Foundation
import Hummingbird
import PQ

/// `/v1/units`: the organisation of the plan, effective-dated across the 2025 reform.
struct UnitRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/units", list)
        routes.add(.post, "/v1/units", create)
        routes.add(.post, "/v1/units/import", importUnits)
        routes.add(.get, "/v1/units/{id}", get)
        routes.add(.patch, "/v1/units/{id}", update)
        routes.add(.delete, "/v1/units/{id}", delete)
        routes.add(.get, "/v1/units/{id}/subtree", subtree)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = UnitFilter(
            kind: query.enumeration("kind", UnitKind.self), parentID: query.uuid("parent_id"),
            ancestorID: query.uuid("ancestor_id"), district: query.string("district", maxLength: 100),
            active: query.bool("active"), asOf: query.date("as_of"), q: query.string("q", maxLength: 200))
        let page = query.page()
        try query.finish()
        if CSVOutput.wanted(by: request) {
            let pool = self.pool
            return CSVOutput.stream(header: Unit.csvHeader, filename: "units") { cursor in
                let result = try await pool.withConnection {
                    try await UnitRepository.list(filter, after: cursor, limit: 500, on: $0)
                }
                return (result.units.map(\.csvRow), result.next)
            }
        }
        let result = try await pool.withConnection {
            try await UnitRepository.list(filter, after: page.cursor, limit: page.limit, on: $0)
        }
        return try Pagination.response(request: request, items: result.units, nextCursor: result.next.map(Cursor.encode))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the unit")
        var query = QueryReader(request)
        try query.finish()
        guard let unit = try await pool.withConnection({ try await UnitRepository.find(id, on: $0) }) else {
            throw Problem.notFound("the unit")
        }
        if Conditional.notModified(request, etag: unit.etag) { return Conditional.notModifiedResponse(etag: unit.etag) }
        return try JSONOutput.response(unit, headers: [.eTag: unit.etag])
    }

    @Sendable func subtree(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the unit")
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        let tree = try await pool.withConnection { try await UnitRepository.subtree(of: id, asOf: asOf, on: $0) }
        guard !tree.isEmpty else { throw Problem.notFound("the unit") }
        struct Node: Encodable, Sendable {
            let depth: Int
            let unit: Unit
            func encode(to encoder: any Encoder) throws {
                try unit.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(depth, forKey: Key(stringValue: "depth")!)
            }
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init?(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
        }
        let nodes = tree.map { Node(depth: $0.1, unit: $0.0) }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: ["depth"] + Unit.csvHeader,
                                      rows: nodes.map { [String($0.depth)] + $0.unit.csvRow }, filename: "subtree")
        }
        return try Pagination.response(request: request, items: nodes, nextCursor: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create units")
        let body = try await JSONBody.collect(request)
        try JSONBody.requireJSON(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let fields = UnitFields(reading: &reader, body: try JSONBody.parse(body))
        _ = reader.required("code", fields.code)
        _ = reader.required("name", fields.name)
        _ = reader.required("kind", fields.kind)
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let unit = try await explainingConstraints(UnitRepository.explain) {
                try await UnitRepository.insert(fields, on: write.connection)
            }
            try await write.audit(AuditEntry("units", id: unit.id, action: "create", before: Unit?.none, after: unit))
            return try StoredResponse.json(unit, status: .created,
                                           headers: ["Location": "/v1/units/\(unit.id)", "ETag": unit.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the unit")
        let caller = try context.caller
        try caller.requireWriter("change units")
        let value = try await JSONBody.read(request, context: context,
                                            mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let fields = UnitFields(reading: &reader, body: value)
        try reader.finish()
        let unit = try await context.write(pool) { write -> Unit in
            guard let current = try await UnitRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the unit")
            }
            if !caller.isAdmin {
                guard let own = caller.unitID, try await Scope.unit(id, isWithin: own, on: write.connection) else {
                    throw Problem.forbidden("an editor may change only its own unit and the units below it")
                }
                let structural = fields.structuralFieldsPresent
                guard structural.isEmpty else {
                    throw Problem(.forbidden, slug: "forbidden", title: "Not allowed",
                                  detail: "only an admin may change \(structural.joined(separator: ", "))",
                                  errors: structural.map { FieldError($0, "only an admin may change it") })
                }
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            let updated = try await explainingConstraints(UnitRepository.explain) {
                try await UnitRepository.update(current, with: fields, on: write.connection)
            }
            try await write.audit(AuditEntry("units", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try JSONOutput.response(unit, headers: [.eTag: unit.etag])
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the unit")
        try context.caller.requireAdmin("delete units")
        try await context.write(pool) { write in
            guard let current = try await UnitRepository.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the unit")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            do {
                try await UnitRepository.delete(id, on: write.connection)
            } catch let error as PQError where error.isForeignKeyViolation {
                throw Problem.conflict("the unit is still referenced (by units, tokens or records); set valid_to to end it instead",
                                       slug: "unit-referenced")
            }
            try await write.audit(AuditEntry("units", id: current.id, action: "delete", before: current, after: Unit?.none))
        }
        return Response(status: .noContent)
    }
}
