import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/units`: the organisation of the plan, effective-dated across the 2025 reform.
struct UnitRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: Unit.self, "/v1/units", list: list, create: create, get: get, update: update, delete: delete)
        routes.add(.post, "/v1/units/import", importUnits)
        routes.list("/v1/units/{id}/subtree", subtree)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = UnitFilter(
            kind: query.enumeration("kind", UnitKind.self), parentID: query.uuid("parent_id"),
            ancestorID: query.uuid("ancestor_id"), district: query.string("district", maxLength: 100),
            active: query.bool("active"), asOf: query.date("as_of"), q: query.string("q", maxLength: 200))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(
            request: request, page: page, filename: "units",
            columns: CSVColumns(header: Unit.csvHeader, row: \.csvRow), decode: Unit.init(row:)
        ) { cursor, limit in
            try await pool.withSharedConnection { try await UnitRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: UnitRepository.noun)
        return try await AuditedWrite.get(UnitRepository.noun, request: request, pool: pool) { try await UnitRepository.row(id, on: $0) }
    }

    @Sendable func subtree(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the unit")
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        let tree = try await pool.withSharedConnection { try await UnitRepository.subtree(of: id, asOf: asOf, on: $0) }
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
            return CSVOutput.response(
                header: ["depth"] + Unit.csvHeader,
                rows: nodes.map { [String($0.depth)] + $0.unit.csvRow }, filename: "subtree")
        }
        return try Pagination.response(request: request, items: nodes, nextCursor: nil)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create units")
        return try await AuditedWrite.create(UnitRepository.self, request: request, context: context, pool: pool)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: UnitRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change units")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(UnitFields.self, creating: false)
        // An editor edits the contact data of its own unit and the units below it; the shape of
        // the organisation is the admin's.
        let structural = fields.structuralFieldsPresent
        if !caller.isAdmin, !structural.isEmpty {
            throw Problem(
                .forbidden, slug: "forbidden", title: "Not allowed",
                detail: "only an admin may change \(structural.joined(separator: ", "))",
                errors: structural.map { FieldError($0, "only an admin may change it") })
        }
        return try await AuditedWrite.update(
            UnitRepository.self, id, request: request, context: context, pool: pool,
            authorize: { _, write in try await Self.requireWithinOwnUnit(id, write: write) }
        ) { current, write in
            try await UnitRepository.update(current, with: fields, on: write.connection)
        }
    }

    static func requireWithinOwnUnit(_ id: UUID, write: Write) async throws {
        guard let caller = write.principal, !caller.isAdmin else { return }
        guard let own = caller.unitID, try await Scope.unit(id, isWithin: own, on: write.connection) else {
            throw Problem.forbidden("an editor may change only its own unit and the units below it")
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: UnitRepository.noun)
        try context.caller.requireAdmin("delete units")
        return try await AuditedWrite.delete(
            UnitRepository.self, id, request: request, context: context, pool: pool,
            whenReferenced: .conflict(
                "the unit is still referenced (by units, tokens or records); set valid_to to end it instead",
                slug: "unit-referenced"))
    }
}
