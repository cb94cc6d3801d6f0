import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/training-sessions`: admins (the organiser, the Department office) plan sessions;
/// every token reads them.
struct TrainingRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: TrainingSession.self, "/v1/training-sessions", list: list, create: create, get: get, update: update, delete: delete)
        ParticipantRoutes(pool: pool).register(routes)
        routes.add(.get, "/v1/aggregates/trainings", TrainingAggregateRoutes(pool: pool).aggregate)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = TrainingFilter(
            planTaskID: query.uuid("plan_task_id"), organiserUnitID: query.uuid("organiser_unit_id"),
            format: query.enumeration("format", TrainingFormat.self), status: query.enumeration("status", TrainingStatus.self),
            from: query.date("from"), to: query.date("to"), q: query.string("q"))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "training-sessions") { cursor, limit in
            try await pool.withSharedConnection { try await TrainingRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(TrainingRepository.self, try pathID(context, what: TrainingRepository.noun), request: request, pool: pool)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create training sessions")
        return try await AuditedWrite.create(TrainingRepository.self, request: request, context: context, pool: pool)
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: TrainingRepository.noun)
        try context.caller.requireAdmin("change training sessions")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(TrainingFields.self, creating: false)
        return try await AuditedWrite.update(TrainingRepository.self, id, request: request, context: context, pool: pool) { current, write in
            if current.status == .cancelled, let next = fields.status.value, next != .cancelled {
                throw Problem.conflict("a cancelled session stays cancelled; plan a new one", slug: "invalid-transition")
            }
            if current.status == .held, let next = fields.status.value, next != .held,
                try await TrainingRepository.hasAttendance(id, on: write.connection)
            {
                throw Problem.conflict(
                    "the session was held and its attendance is marked: the people it trained are counted in the training "
                        + "aggregate, the units' reports and the plan's progress, so it stays held",
                    slug: "session-held", errors: [FieldError("status", "a held session with attendance cannot become \(next.rawValue)")])
            }
            let updated = try await TrainingRepository.update(current, with: fields, on: write.connection)
            // More seats: the waitlist moves up in order of arrival before anyone new can take them.
            guard updated.seatsForWaitlist > 0 else { return updated }
            try await ParticipantRoutes.promoteWaitlisted(session: id, seats: updated.seatsForWaitlist, write: write)
            guard let promoted = try await TrainingRepository.find(id, on: write.connection) else {
                throw Problem.notFound(TrainingRepository.noun)
            }
            return promoted
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: TrainingRepository.noun)
        try context.caller.requireAdmin("delete training sessions")
        return try await AuditedWrite.delete(
            TrainingRepository.self, id, request: request, context: context, pool: pool,
            whenReferenced: .conflict("the session has participants; cancel it instead", slug: "training-referenced"))
    }
}
