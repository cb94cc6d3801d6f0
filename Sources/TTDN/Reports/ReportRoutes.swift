import Foundation
import Hummingbird
import PQ

/// `/v1/reports`: one report per unit and period. A unit's editor drafts and submits its own
/// unit's report; an admin (the Department office) accepts it or returns it with a comment.
/// Tokens bound to a unit see only the reports of that unit and the units below it.
struct ReportRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/reports", list)
        routes.add(.post, "/v1/reports", create)
        routes.add(.get, "/v1/reports/{id}", get)
        routes.add(.patch, "/v1/reports/{id}", update)
        routes.add(.delete, "/v1/reports/{id}", delete)
        routes.add(.post, "/v1/reports/{id}/submit", transition(.submitted))
        routes.add(.post, "/v1/reports/{id}/accept", transition(.accepted))
        routes.add(.post, "/v1/reports/{id}/return", transition(.returned))
        routes.add(.post, "/v1/reports/{id}/prefill", prefill)
        routes.add(.get, "/v1/aggregates/report-compliance", ReportAggregateRoutes(pool: pool).compliance)
        routes.add(.get, "/v1/aggregates/report-summary", ReportAggregateRoutes(pool: pool).summary)
    }

    /// The units a caller may see reports of: nil means all.
    static func visibleRoot(_ caller: Principal) -> UUID? { caller.isAdmin ? nil : caller.unitID }

    static func find(_ id: UUID, caller: Principal, on connection: PQConnection, forUpdate: Bool = false) async throws -> Report {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF r" : "")
        guard let row = try await connection.query("""
            SELECT \(Report.columns) FROM reports r JOIN report_periods p ON p.id = r.period_id WHERE r.id = \(id)\(lock)
            """).first else { throw Problem.notFound("the report") }
        let report = try Report(row: row)
        // Never reveal that another unit's report exists.
        if let root = visibleRoot(caller), try await !Scope.unit(UUID(uuidString: report.unitId)!, isWithin: root, on: connection) {
            throw Problem.notFound("the report")
        }
        return report
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        var conditions: [PQQuery] = ["true"]
        if let v = query.string("period_id", maxLength: 25) { conditions.append("r.period_id = \(v)") }
        if let v = query.uuid("unit_id") { conditions.append("r.unit_id = \(v)") }
        if let v = query.enumeration("status", ReportStatus.self) { conditions.append("r.status = \(v.rawValue)::report_status") }
        let page = query.page()
        try query.finish()
        if let root = Self.visibleRoot(caller) {
            conditions.append("""
                r.unit_id IN (WITH RECURSIVE below(id) AS (SELECT \(root)::uuid UNION SELECT u.id FROM units u JOIN below b ON u.parent_id = b.id)
                              SELECT id FROM below)
                """)
        }
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "reports") { cursor, limit in
            var condition = filter
            if let cursor, cursor.count == 1, let id = UUID(uuidString: cursor[0]) { condition = condition + " AND r.id > \(id)" }
            let reports = try await pool.query("""
                SELECT \(Report.columns) FROM reports r JOIN report_periods p ON p.id = r.period_id
                WHERE \(condition) ORDER BY r.id LIMIT \(limit + 1)
                """).map(Report.init(row:))
            return Pagination.cut(reports, limit: limit) { [$0.id] }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the report")
        let caller = try context.caller
        try QueryReader(request).finish()
        let report = try await pool.withConnection { try await Self.find(id, caller: caller, on: $0) }
        return try Conditional.resource(report, etag: report.etag, request: request)
    }

    /// Writes values, sections, tasks and attachments of an editable report.
    static func apply(_ f: ReportFields, to report: UUID, on connection: PQConnection) async throws {
        if let values = f.values {
            let known = try await connection.query("""
                SELECT code, aggregation::text AS aggregation FROM report_indicators WHERE code = ANY(\(Array(values.keys))) AND active
                """)
            var kinds: [String: String] = [:]
            for row in known { kinds[try row.decode("code")] = try row.decode("aggregation", as: String.self) }
            var errors: [FieldError] = []
            for (code, value) in values.sorted(by: { $0.key < $1.key }) {
                guard let kind = kinds[code] else { errors.append(FieldError("values.\(code)", "is not an indicator of the catalogue")); continue }
                switch value {
                case nil:
                    _ = try await connection.query("DELETE FROM report_values WHERE report_id = \(report) AND indicator_code = \(code)")
                case .string(let text)?:
                    guard kind == "text" else { errors.append(FieldError("values.\(code)", "must be a number")); continue }
                    _ = try await connection.query("""
                        INSERT INTO report_values (report_id, indicator_code, text_value) VALUES (\(report), \(code), \(text))
                        ON CONFLICT (report_id, indicator_code) DO UPDATE SET text_value = EXCLUDED.text_value, number_value = NULL, prefilled = false
                        """)
                case let number?:
                    guard kind != "text" else { errors.append(FieldError("values.\(code)", "must be a text")); continue }
                    let text: String
                    switch number { case .int(let n): text = String(n); case .number(let literal): text = literal; default: text = "0" }
                    _ = try await connection.query("""
                        INSERT INTO report_values (report_id, indicator_code, number_value) VALUES (\(report), \(code), \(text)::numeric)
                        ON CONFLICT (report_id, indicator_code) DO UPDATE SET number_value = EXCLUDED.number_value, text_value = NULL, prefilled = false
                        """)
                }
            }
            if !errors.isEmpty { throw Problem.validation(errors) }
        }
        if !f.sections.isAbsent {
            let json = String(decoding: try JSONOutput.data(f.sections.value ?? []), as: UTF8.self)
            _ = try await connection.query("UPDATE reports SET sections = \(json)::jsonb WHERE id = \(report)")
        }
        if !f.attachments.isAbsent {
            _ = try await connection.query("UPDATE reports SET attachments = \(f.attachments.value ?? []) WHERE id = \(report)")
        }
        if !f.taskIDs.isAbsent {
            _ = try await connection.query("DELETE FROM report_tasks WHERE report_id = \(report)")
            _ = try await connection.query("INSERT INTO report_tasks (report_id, task_id) SELECT \(report), unnest(\(f.taskIDs.value ?? []))")
        }
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "reports_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "reports_period_fkey": return FieldError("period_id", "does not name an existing report period")
        case "report_tasks_task_fkey": return FieldError("task_ids", "every id must name an existing plan task")
        default: return nil
        }
    }

    static func requireUnitWriter(_ caller: Principal, unit: UUID, on connection: PQConnection) async throws {
        guard !caller.isAdmin else { return }
        try caller.requireWriter("write reports")
        guard let own = caller.unitID, try await Scope.unit(unit, isWithin: own, on: connection) else {
            throw Problem.forbidden("an editor writes the reports of its own unit only")
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("write reports")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        let value = try JSONBody.parse(body)
        var reader = try InputReader(value)
        var f = ReportFields(reading: &reader, body: value)
        if f.unitID.isAbsent, !caller.isAdmin, let own = caller.unitID { f.unitID = .value(own) }
        let unit = reader.required("unit_id", f.unitID)
        let period = reader.required("period_id", f.periodID)
        try reader.finish(readOnly: ["id", "status", "created_at", "updated_at", "version", "prefilled", "history", "on_time",
                                     "first_submitted_at", "submitted_at", "accepted_at"])
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            try await Self.requireUnitWriter(caller, unit: unit!, on: write.connection)
            let rows = try await explainingConstraints(Self.explain) {
                try await write.query("""
                    INSERT INTO reports (unit_id, period_id) VALUES (\(unit!), \(period!))
                    ON CONFLICT (unit_id, period_id) DO NOTHING RETURNING id
                    """)
            }
            guard let row = rows.first else {
                let existing = try await write.query("SELECT id FROM reports WHERE unit_id = \(unit!) AND period_id = \(period!)")
                let id = try existing[0].decode("id", as: UUID.self).lowercased
                var problem = Problem.conflict("this unit already has a report for \(period!)", slug: "report-exists", extensions: ["existing_id": id])
                problem.headers[.location] = "/v1/reports/\(id)"
                throw problem
            }
            let id: UUID = try row.decode("id")
            try await explainingConstraints(Self.explain) { try await Self.apply(f, to: id, on: write.connection) }
            let report = try await Self.find(id, caller: caller, on: write.connection)
            try await write.audit(AuditEntry("reports", id: report.id, action: "create", before: Report?.none, after: report))
            return try StoredResponse.json(report, status: .created, headers: ["Location": "/v1/reports/\(report.id)", "ETag": report.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the report")
        let caller = try context.caller
        try caller.requireWriter("write reports")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let f = ReportFields(reading: &reader, body: value)
        if !f.unitID.isAbsent { reader.fail("unit_id", "a report cannot move to another unit") }
        if !f.periodID.isAbsent { reader.fail("period_id", "a report cannot move to another period") }
        try reader.finish(readOnly: ["id", "status", "created_at", "updated_at", "version", "prefilled", "history", "on_time",
                                     "first_submitted_at", "submitted_at", "accepted_at"])
        let report = try await context.write(pool) { write -> Report in
            let current = try await Self.find(id, caller: caller, on: write.connection, forUpdate: true)
            try await Self.requireUnitWriter(caller, unit: UUID(uuidString: current.unitId)!, on: write.connection)
            try Conditional.checkIfMatch(request, etag: current.etag)
            guard [.draft, .returned].contains(current.status) else {
                throw Problem.conflict("a \(current.status.rawValue) report cannot be edited", slug: "report-locked")
            }
            try await explainingConstraints(Self.explain) { try await Self.apply(f, to: id, on: write.connection) }
            _ = try await write.query("UPDATE reports SET updated_at = now(), version = version + 1 WHERE id = \(id)")
            let updated = try await Self.find(id, caller: caller, on: write.connection)
            try await write.audit(AuditEntry("reports", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(report, etag: report.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the report")
        let caller = try context.caller
        try caller.requireWriter("delete reports")
        try await context.write(pool) { write in
            let current = try await Self.find(id, caller: caller, on: write.connection, forUpdate: true)
            try await Self.requireUnitWriter(caller, unit: UUID(uuidString: current.unitId)!, on: write.connection)
            try Conditional.checkIfMatch(request, etag: current.etag)
            guard current.status == .draft else { throw Problem.conflict("only a draft report can be deleted", slug: "report-locked") }
            _ = try await write.query("DELETE FROM reports WHERE id = \(id)")
            try await write.audit(AuditEntry("reports", id: current.id, action: "delete", before: current, after: Report?.none))
        }
        return Response(status: .noContent)
    }

    /// draft → submitted → accepted, or submitted → returned (with a comment) → submitted again.
    /// The unit's editor (or an admin) submits; only an admin accepts or returns.
    func transition(_ target: ReportStatus) -> @Sendable (Request, AppRequestContext) async throws -> Response {
        let pool = self.pool
        return { request, context in
            let id = try pathID(context, what: "the report")
            let caller = try context.caller
            // Who may ask comes before what they sent.
            if target == .submitted { try caller.requireWriter("submit reports") } else { try caller.requireAdmin("accept or return reports") }
            var comment: String?
            if request.headers[.contentType] != nil || request.headers[.contentLength].flatMap(Int.init).map({ $0 > 0 }) == true {
                let value = try await JSONBody.read(request, context: context)
                var reader = try InputReader(value)
                comment = reader.string("comment", maxLength: 5000).value
                try reader.finish(readOnly: [])
            }
            if target == .returned, comment == nil {
                throw Problem.validation([FieldError("comment", "is required when returning a report: say what to correct")])
            }
            let report = try await context.write(pool) { write -> Report in
                let current = try await Self.find(id, caller: caller, on: write.connection, forUpdate: true)
                switch target {
                case .submitted: try await Self.requireUnitWriter(caller, unit: UUID(uuidString: current.unitId)!, on: write.connection)
                default: try caller.requireAdmin("accept or return reports")
                }
                try Conditional.checkIfMatch(request, etag: current.etag)
                let allowed: [ReportStatus: Set<ReportStatus>] = [.submitted: [.draft, .returned], .accepted: [.submitted], .returned: [.submitted]]
                guard allowed[target]!.contains(current.status) else {
                    throw Problem.conflict("a \(current.status.rawValue) report cannot be \(target.rawValue)", slug: "invalid-transition")
                }
                _ = try await write.query("""
                    UPDATE reports SET status = \(target.rawValue)::report_status,
                        first_submitted_at = CASE WHEN \(target.rawValue) = 'submitted' THEN coalesce(first_submitted_at, now()) ELSE first_submitted_at END,
                        submitted_at = CASE WHEN \(target.rawValue) = 'submitted' THEN now() ELSE submitted_at END,
                        accepted_at = CASE WHEN \(target.rawValue) = 'accepted' THEN now() ELSE accepted_at END,
                        updated_at = now(), version = version + 1
                    WHERE id = \(id)
                    """)
                _ = try await write.query("""
                    INSERT INTO report_transitions (report_id, from_status, to_status, actor_token_id, actor_role, comment)
                    VALUES (\(id), \(current.status.rawValue)::report_status, \(target.rawValue)::report_status, \(caller.tokenID),
                            \(caller.role.rawValue)::token_role, \(comment))
                    """)
                let updated = try await Self.find(id, caller: caller, on: write.connection)
                let action = ["submitted": "submit", "accepted": "accept", "returned": "return"][target.rawValue]!
                try await write.audit(AuditEntry("reports", id: updated.id, action: action, before: current, after: updated))
                return updated
            }
            return try Conditional.resource(report, etag: report.etag, request: request)
        }
    }

    /// Fills indicators from what ttdn already knows of the unit in the period's data window;
    /// values a person entered stay, pre-filled ones are marked so people can correct them.
    @Sendable func prefill(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the report")
        let caller = try context.caller
        try caller.requireWriter("write reports")
        let report = try await context.write(pool) { write -> Report in
            let current = try await Self.find(id, caller: caller, on: write.connection, forUpdate: true)
            try await Self.requireUnitWriter(caller, unit: UUID(uuidString: current.unitId)!, on: write.connection)
            guard [.draft, .returned].contains(current.status) else {
                throw Problem.conflict("a \(current.status.rawValue) report cannot be edited", slug: "report-locked")
            }
            _ = try await write.query("""
                WITH w AS (
                    SELECT r.unit_id, (p.starts_on::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS from_at,
                           ((p.ends_on + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS to_at, p.starts_on, p.ends_on
                    FROM reports r JOIN report_periods p ON p.id = r.period_id WHERE r.id = \(id)
                ), known(code, value) AS (
                    SELECT 'people_trained', count(*) FROM w JOIN training_participants tp ON tp.unit_id = w.unit_id
                      JOIN training_sessions s ON s.id = tp.session_id
                     WHERE tp.state = 'registered' AND tp.attendance IN ('present', 'late') AND s.starts_at >= w.from_at AND s.starts_at < w.to_at
                    UNION ALL
                    SELECT 'trainings_attended', count(DISTINCT s.id) FROM w JOIN training_participants tp ON tp.unit_id = w.unit_id
                      JOIN training_sessions s ON s.id = tp.session_id
                     WHERE tp.state = 'registered' AND tp.attendance IN ('present', 'late') AND s.starts_at >= w.from_at AND s.starts_at < w.to_at
                    UNION ALL
                    SELECT 'misinformation_rebutted', count(*) FROM w JOIN media_entries m ON m.related_unit_id = w.unit_id
                     WHERE m.misinformation AND m.responded_at >= w.from_at AND m.responded_at < w.to_at
                    UNION ALL
                    SELECT 'assigned_tasks_done', count(*) FROM w JOIN plan_task_assignments a ON a.unit_id = w.unit_id
                     WHERE a.status = 'done' AND a.completed_on BETWEEN w.starts_on AND w.ends_on
                )
                INSERT INTO report_values (report_id, indicator_code, number_value, prefilled)
                SELECT \(id), known.code, known.value, true FROM known JOIN report_indicators i ON i.code = known.code AND i.active
                ON CONFLICT (report_id, indicator_code) DO UPDATE SET number_value = EXCLUDED.number_value
                    WHERE report_values.prefilled
                """)
            _ = try await write.query("UPDATE reports SET updated_at = now(), version = version + 1 WHERE id = \(id)")
            let updated = try await Self.find(id, caller: caller, on: write.connection)
            try await write.audit(AuditEntry("reports", id: updated.id, action: "prefill", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(report, etag: report.etag, request: request)
    }
}
