import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/training-sessions`: admins (the organiser, the Department office) plan sessions;
/// every token reads them.
struct TrainingRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/training-sessions", list)
        routes.add(.post, "/v1/training-sessions", create)
        routes.add(.get, "/v1/training-sessions/{id}", get)
        routes.add(.patch, "/v1/training-sessions/{id}", update)
        routes.add(.delete, "/v1/training-sessions/{id}", delete)
        ParticipantRoutes(pool: pool).register(routes)
        routes.add(.get, "/v1/aggregates/trainings", TrainingAggregateRoutes(pool: pool).aggregate)
    }

    static func find(_ id: UUID, on connection: PQConnection, forUpdate: Bool = false) async throws -> TrainingSession? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(TrainingSession.columns) FROM training_sessions s WHERE s.id = \(id)\(lock)")
            .first.map(TrainingSession.init(row:))
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "training_sessions_organiser_fkey": return FieldError("organiser_unit_id", "does not name an existing unit")
        case "training_sessions_task_fkey": return FieldError("plan_task_id", "does not name an existing plan task")
        case "training_sessions_capacity_held": return FieldError("capacity", "is below the number of people already registered")
        case "training_sessions_times": return FieldError("ends_at", "must be after starts_at")
        case "training_sessions_expected": return FieldError("expected_max", "must be at least expected_min")
        case "training_sessions_quarter_needs_year": return FieldError("planned_quarter", "needs planned_year")
        default: return nil
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        var conditions: [PQQuery] = ["true"]
        if let v = query.uuid("plan_task_id") { conditions.append("s.plan_task_id = \(v)") }
        if let v = query.uuid("organiser_unit_id") { conditions.append("s.organiser_unit_id = \(v)") }
        if let v = query.enumeration("format", TrainingFormat.self) { conditions.append("s.format = \(v.rawValue)::training_format") }
        if let v = query.enumeration("status", TrainingStatus.self) { conditions.append("s.status = \(v.rawValue)::training_status") }
        if let v = query.date("from") { conditions.append("s.starts_at >= (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = query.date("to") { conditions.append("s.starts_at < ((\(v)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = query.string("q") { conditions.append("s.search @@ ttdn_search_query(\(v))") }
        let page = query.page()
        try query.finish()
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "training-sessions") { cursor, limit in
            var condition = filter
            // Sessions without a start time come last.
            if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]) {
                let at = cursor[0].isEmpty ? nil : PQTimestamp.parse(cursor[0])
                condition = condition + " AND (coalesce(s.starts_at, 'infinity'), s.id) > (coalesce(\(at), 'infinity'::timestamptz), \(id))"
            }
            let sessions = try await pool.query("""
                SELECT \(TrainingSession.columns) FROM training_sessions s WHERE \(condition)
                ORDER BY coalesce(s.starts_at, 'infinity'), s.id LIMIT \(limit + 1)
                """).map(TrainingSession.init(row:))
            return Pagination.cut(sessions, limit: limit) { [$0.startsAt.map(PQTimestamp.format) ?? "", $0.id] }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the training session")
        try QueryReader(request).finish()
        guard let session = try await pool.withConnection({ try await Self.find(id, on: $0) }) else {
            throw Problem.notFound("the training session")
        }
        return try Conditional.resource(session, etag: session.etag, request: request)
    }

    static func save(_ f: TrainingFields, current: TrainingSession?, on connection: PQConnection) async throws -> UUID {
        if let c = current {
            let id = UUID(uuidString: c.id)!
            _ = try await connection.query("""
                UPDATE training_sessions s SET
                    title = \(f.title.merged(into: c.title)), topic = \(f.topic.merged(into: c.topic)),
                    content_summary = \(f.contentSummary.merged(into: c.contentSummary)), audience = \(f.audience.merged(into: c.audience)),
                    organiser_unit_id = \(f.organiserUnitID.merged(into: UUID(uuidString: c.organiserUnitId))),
                    plan_task_id = \(f.planTaskID.merged(into: c.planTaskId.flatMap(UUID.init(uuidString:)))),
                    format = \(f.format.merged(into: c.format)?.rawValue)::training_format,
                    venue = \(f.venue.merged(into: c.venue)), online_url = \(f.onlineURL.merged(into: c.onlineUrl)),
                    starts_at = \(f.startsAt.merged(into: c.startsAt)), ends_at = \(f.endsAt.merged(into: c.endsAt)),
                    planned_year = \(f.plannedYear.merged(into: c.plannedYear)), planned_quarter = \(f.plannedQuarter.merged(into: c.plannedQuarter)),
                    expected_min = \(f.expectedMin.merged(into: c.expectedMin)), expected_max = \(f.expectedMax.merged(into: c.expectedMax)),
                    capacity = \(f.capacity.merged(into: c.capacity)),
                    registration_deadline = \(f.registrationDeadline.merged(into: c.registrationDeadline)),
                    status = \(f.status.merged(into: c.status)?.rawValue)::training_status,
                    updated_at = now(), version = s.version + 1
                WHERE s.id = \(id)
                """)
            return id
        }
        return try await connection.query("""
            INSERT INTO training_sessions (title, topic, content_summary, audience, organiser_unit_id, plan_task_id, format, venue,
                online_url, starts_at, ends_at, planned_year, planned_quarter, expected_min, expected_max, capacity,
                registration_deadline, status)
            VALUES (\(f.title.value), \(f.topic.value), \(f.contentSummary.value), \(f.audience.value), \(f.organiserUnitID.value),
                \(f.planTaskID.value), \(f.format.value?.rawValue)::training_format, \(f.venue.value), \(f.onlineURL.value),
                \(f.startsAt.value), \(f.endsAt.value), \(f.plannedYear.value), \(f.plannedQuarter.value), \(f.expectedMin.value),
                \(f.expectedMax.value), \(f.capacity.value), \(f.registrationDeadline.value),
                \((f.status.value ?? .planned).rawValue)::training_status)
            RETURNING id
            """)[0].decode("id")
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create training sessions")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let fields = TrainingFields(reading: &reader)
        _ = reader.required("title", fields.title)
        _ = reader.required("organiser_unit_id", fields.organiserUnitID)
        _ = reader.required("format", fields.format)
        _ = reader.required("capacity", fields.capacity)
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let session = try await explainingConstraints(Self.explain) { () -> TrainingSession in
                let id = try await Self.save(fields, current: nil, on: write.connection)
                return try await Self.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("training_sessions", id: session.id, action: "create", before: TrainingSession?.none, after: session))
            return try StoredResponse.json(session, status: .created,
                                           headers: ["Location": "/v1/training-sessions/\(session.id)", "ETag": session.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the training session")
        try context.caller.requireAdmin("change training sessions")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let fields = TrainingFields(reading: &reader)
        try reader.finish()
        let session = try await context.write(pool) { write -> TrainingSession in
            guard let current = try await Self.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the training session")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            if current.status == .cancelled, let next = fields.status.value, next != .cancelled {
                throw Problem.conflict("a cancelled session stays cancelled; plan a new one", slug: "invalid-transition")
            }
            var updated = try await explainingConstraints(Self.explain) { () -> TrainingSession in
                _ = try await Self.save(fields, current: current, on: write.connection)
                return try await Self.find(id, on: write.connection)!
            }
            // More seats: the waitlist moves up in order of arrival before anyone new can take them.
            if updated.status == .planned || updated.status == .open, updated.capacity > updated.registeredCount, updated.waitlistedCount > 0 {
                try await ParticipantRoutes.promoteWaitlisted(session: id, seats: updated.capacity - updated.registeredCount, write: write)
                updated = try await Self.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("training_sessions", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(session, etag: session.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the training session")
        try context.caller.requireAdmin("delete training sessions")
        try await context.write(pool) { write in
            guard let current = try await Self.find(id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the training session")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            do {
                _ = try await write.query("DELETE FROM training_sessions WHERE id = \(id)")
            } catch let error as PQError where error.isForeignKeyViolation {
                throw Problem.conflict("the session has participants; cancel it instead", slug: "training-referenced")
            }
            try await write.audit(AuditEntry("training_sessions", id: current.id, action: "delete", before: current, after: TrainingSession?.none))
        }
        return Response(status: .noContent)
    }
}
