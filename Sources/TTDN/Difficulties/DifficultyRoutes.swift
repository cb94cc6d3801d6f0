import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/difficulties`: what units raise to the Board for direction (V.3). A unit's editor raises
/// and edits its own unit's while they are open and closes them; admins (the office, for the
/// Board) answer and close. Tokens bound to a unit see only their unit's (and the units' below).
/// `/v1/aggregates/open-difficulties` lists what is still waiting, by unit.
struct DifficultyRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(
            of: Difficulty.self, "/v1/difficulties", list: list, create: create, get: get, update: update, delete: nil,
            changesTo: .withinCallerUnit)
        routes.add(.post, "/v1/difficulties/{id}/answer", answer)
        routes.add(.post, "/v1/difficulties/{id}/close", close)
        routes.add(.get, "/v1/aggregates/open-difficulties", waiting)
    }

    /// The units a caller may see difficulties of: nil means all.
    static func visibleRoot(_ caller: Principal) -> UUID? { caller.isAdmin ? nil : caller.unitID }

    /// Never reveal another unit's difficulty: 404, as for one that does not exist.
    static func requireVisible(_ difficulty: Difficulty, to caller: Principal, on connection: PQConnection) async throws {
        if let root = visibleRoot(caller), try await !Scope.unit(difficulty.unitId, isWithin: root, on: connection) {
            throw Problem.notFound(DifficultyRepository.noun)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        let filter = DifficultyFilter(
            status: query.enumeration("status", DifficultyStatus.self), unitID: query.uuid("unit_id"), taskID: query.uuid("task_id"),
            visibleUnder: Self.visibleRoot(caller))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "difficulties") { cursor, limit in
            try await pool.withSharedConnection { try await DifficultyRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: DifficultyRepository.noun)
        let caller = try context.caller
        try QueryReader(request).finish()
        let difficulty = try await pool.withSharedConnection { connection -> Difficulty in
            guard let difficulty = try await DifficultyRepository.find(id, on: connection) else { throw Problem.notFound(DifficultyRepository.noun) }
            try await Self.requireVisible(difficulty, to: caller, on: connection)
            return difficulty
        }
        return try Conditional.resource(difficulty, etag: difficulty.etag, request: request)
    }

    /// An editor raises its own unit's difficulties (or a unit's below it); an admin names the unit.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("raise difficulties")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(DifficultyFields.self, creating: true)
        guard let unit = fields.unitID.value ?? (caller.isAdmin ? nil : caller.unitID) else {
            throw Problem.validation([FieldError("unit_id", "is required: the unit that raises the difficulty")])
        }
        return try await AuditedWrite.create(DifficultyRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await ParentResource.requireOwnUnit(unit, caller: caller, what: "raise difficulties", on: write.connection)
            return try await DifficultyRepository.insert(fields, unit: unit, raisedBy: caller.tokenID, on: write.connection)
        }
    }

    /// The raising unit rewords its difficulty while it waits for an answer.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: DifficultyRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change difficulties")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(DifficultyFields.self, creating: false)
        return try await AuditedWrite.update(
            DifficultyRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await Self.requireVisible(current, to: caller, on: write.connection)
                try await ParentResource.requireOwnUnit(current.unitId, caller: caller, what: "change difficulties", on: write.connection)
                if let unit = fields.unitID.value {
                    try await ParentResource.requireOwnUnit(unit, caller: caller, what: "change difficulties", on: write.connection)
                }
                guard current.status == .open else {
                    throw Problem.conflict(
                        "a difficulty is edited only while it is open; this one is \(current.status.rawValue)", slug: "difficulty-not-open")
                }
            }
        ) { current, write in
            try await DifficultyRepository.update(current, with: fields, on: write.connection)
        }
    }

    /// `POST …/answer {"answer": "..."}`: the office's direction (admins); an answered difficulty
    /// may be answered again (the text is replaced, the first answer's time stays).
    @Sendable func answer(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: DifficultyRepository.noun)
        let caller = try context.caller
        try caller.requireAdmin("answer difficulties")
        var reader = try await JSONRequestBody.json(request).reader()
        let text = reader.required("answer", reader.string("answer", maxLength: 20000))
        try reader.finish(readOnly: [])
        return try await AuditedWrite.update(
            DifficultyRepository.self, id, request: request, context: context, pool: pool, action: "answer",
            authorize: { current, _ in
                guard current.status != .closed else { throw Problem.conflict("the difficulty is closed", slug: "difficulty-closed") }
            }
        ) { current, write in
            try await DifficultyRepository.answer(current.id, with: text!, by: caller.tokenID, on: write.connection)
        }
    }

    /// `POST …/close`: the raising unit (satisfied, or withdrawing it) or an admin.
    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: DifficultyRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("close difficulties")
        var reader = try await JSONRequestBody.optional(request).reader()
        try reader.finish(readOnly: [])
        return try await AuditedWrite.update(
            DifficultyRepository.self, id, request: request, context: context, pool: pool, action: "close",
            authorize: { current, write in
                try await Self.requireVisible(current, to: caller, on: write.connection)
                try await ParentResource.requireOwnUnit(current.unitId, caller: caller, what: "close difficulties", on: write.connection)
                guard current.status != .closed else { throw Problem.conflict("the difficulty is already closed", slug: "difficulty-closed") }
            }
        ) { current, write in
            try await DifficultyRepository.close(current.id, on: write.connection)
        }
    }

    /// `GET /v1/aggregates/open-difficulties?as_of=&unit_id=`: per unit, what was still waiting
    /// at the end of `as_of` (default today).
    @Sendable func waiting(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        let day = query.date("as_of") ?? HaiPhong.today()
        let unit = query.uuid("unit_id")
        try query.finish()
        let rows = try await pool.withSharedConnection {
            try await DifficultyRepository.waiting(on: day, visibleUnder: Self.visibleRoot(caller), unit: unit, on: $0)
        }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: OpenDifficulties.csvHeader, rows: rows.map(\.csvRow), filename: "open-difficulties")
        }
        return try Pagination.response(request: request, items: rows, nextCursor: nil)
    }
}
