import Foundation
import Hummingbird
import PQ

/// How one unit carries out one task.
public struct Assignment: Codable, Sendable {
    public var id: String
    public var taskId: String
    public var unitId: String
    public var status: TaskStatus
    public var progress: Int
    public var note: String?
    public var evidenceUrls: [String]
    public var dueOn: CalendarDate?
    public var deadline: CalendarDate?
    public var completedOn: CalendarDate?
    public var progressClass: ProgressClass?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public var etag: String { Conditional.etag(version: version) }

    static func columns(asOf: CalendarDate?) -> PQQuery {
        """
        a.id, a.task_id, a.unit_id, a.status::text AS status, a.progress, a.note, a.evidence_urls::text[] AS evidence_urls,
        a.due_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)) AS deadline, a.completed_on,
        ttdn_progress_class(a.status, a.completed_on, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter)),
                            coalesce(\(asOf), ttdn_today())) AS progress_class,
        a.created_at, a.updated_at, a.version
        """
    }

    init(row: PQRow) throws {
        id = try row.decode("id", as: UUID.self).lowercased
        taskId = try row.decode("task_id", as: UUID.self).lowercased
        unitId = try row.decode("unit_id", as: UUID.self).lowercased
        status = TaskStatus(rawValue: try row.decode("status"))!
        progress = try row.decode("progress")
        note = try row.decode("note")
        evidenceUrls = try row.decode("evidence_urls")
        dueOn = try row.decode("due_on")
        deadline = try row.decode("deadline")
        completedOn = try row.decode("completed_on")
        progressClass = try row.decode("progress_class", as: String?.self).flatMap(ProgressClass.init(rawValue:))
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    var state: ProgressState { ProgressState(status: status, progress: progress, completedOn: completedOn) }
}

/// `/v1/plan-tasks/{id}/assignments`: admins assign units; a unit's editor reports its own
/// assignment's progress; everyone reads.
struct AssignmentRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/plan-tasks/{id}/assignments", list)
        routes.add(.post, "/v1/plan-tasks/{id}/assignments", create)
        routes.add(.get, "/v1/plan-tasks/{id}/assignments/{assignment_id}", get)
        routes.add(.patch, "/v1/plan-tasks/{id}/assignments/{assignment_id}", update)
        routes.add(.delete, "/v1/plan-tasks/{id}/assignments/{assignment_id}", delete)
    }

    static func find(task: UUID, id: UUID, asOf: CalendarDate? = nil, on connection: PQConnection, forUpdate: Bool = false) async throws -> Assignment? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF a" : "")
        return try await connection.query("""
            SELECT \(Assignment.columns(asOf: asOf)) FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
            WHERE a.id = \(id) AND a.task_id = \(task)\(lock)
            """).first.map(Assignment.init(row:))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: "the task")
        var query = QueryReader(request)
        let unit = query.uuid("unit_id")
        let asOf = query.date("as_of")
        let page = query.page()
        try query.finish()
        var conditions: [PQQuery] = ["a.task_id = \(task)"]
        if let unit { conditions.append("a.unit_id = \(unit)") }
        guard try await pool.query("SELECT 1 FROM plan_tasks WHERE id = \(task)").count == 1 else { throw Problem.notFound("the task") }
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "assignments") { cursor, limit in
            var condition = filter
            if let cursor, cursor.count == 1, let after = UUID(uuidString: cursor[0]) { condition = condition + " AND a.id > \(after)" }
            let items = try await pool.query("""
                SELECT \(Assignment.columns(asOf: asOf)) FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
                WHERE \(condition) ORDER BY a.id LIMIT \(limit + 1)
                """).map(Assignment.init(row:))
            return Pagination.cut(items, limit: limit) { [$0.id] }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: "the task")
        let id = try pathID(context, "assignment_id", what: "the assignment")
        var query = QueryReader(request)
        let asOf = query.date("as_of")
        try query.finish()
        guard let assignment = try await pool.withConnection({ try await Self.find(task: task, id: id, asOf: asOf, on: $0) }) else {
            throw Problem.notFound("the assignment")
        }
        return try Conditional.resource(assignment, etag: assignment.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: "the task")
        try context.caller.requireAdmin("assign tasks")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let unit = reader.required("unit_id", reader.uuid("unit_id"))
        let note = reader.string("note", maxLength: 5000).value
        let dueOn = reader.date("due_on").value
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            guard try await write.query("SELECT 1 FROM plan_tasks WHERE id = \(task) FOR SHARE").count == 1 else {
                throw Problem.notFound("the task")
            }
            let assignment = try await explainingConstraints(Self.explain) { () -> Assignment in
                let rows = try await write.query("""
                    INSERT INTO plan_task_assignments (task_id, unit_id, note, due_on) VALUES (\(task), \(unit!), \(note), \(dueOn))
                    RETURNING id
                    """)
                return try await Self.find(task: task, id: try rows[0].decode("id"), on: write.connection)!
            }
            try await write.audit(AuditEntry("plan_task_assignments", id: assignment.id, action: "create", before: Assignment?.none, after: assignment))
            return try StoredResponse.json(assignment, status: .created, headers: [
                "Location": "/v1/plan-tasks/\(task.lowercased)/assignments/\(assignment.id)", "ETag": assignment.etag])
        }
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "plan_task_assignments_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "plan_task_assignments_unit_key": return FieldError("unit_id", "already has an assignment for this task")
        default: return nil
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: "the task")
        let id = try pathID(context, "assignment_id", what: "the assignment")
        let caller = try context.caller
        try caller.requireWriter("report progress")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let status = reader.enumeration("status", TaskStatus.self)
        let progress = reader.integer("progress", range: 0...100)
        let note = reader.string("note", maxLength: 5000)
        let evidence = reader.stringArray("evidence_urls", maxCount: 50, maxLength: 2000)
        if let urls = evidence.value {
            for url in urls where URLComponents(string: url)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true
                || URLComponents(string: url)?.host?.isEmpty != false {
                reader.fail("evidence_urls", "every item must be an absolute http or https URL")
                break
            }
        }
        let dueOn = reader.date("due_on")
        let completedOn = reader.date("completed_on")
        let reopen = reader.bool("reopen").value ?? false
        reader.notNull("status", status)
        reader.notNull("progress", progress)
        reader.notNull("evidence_urls", evidence)
        if !caller.isAdmin, !dueOn.isAbsent { reader.fail("due_on", "only an admin may change the due date") }
        try reader.finish()
        let today = HaiPhong.today()
        let assignment = try await context.write(pool) { write -> Assignment in
            guard let current = try await Self.find(task: task, id: id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the assignment")
            }
            if !caller.isAdmin, caller.unitID?.lowercased != current.unitId {
                throw Problem.forbidden("an editor may update only its own unit's assignment")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            let state = try current.state.applying(status: status.value, progress: progress.value, completedOn: completedOn,
                                                   reopen: reopen, today: today)
            _ = try await write.query("""
                UPDATE plan_task_assignments a SET
                    status = \(state.status.rawValue)::task_status, progress = \(state.progress), completed_on = \(state.completedOn),
                    note = \(note.merged(into: current.note)), evidence_urls = \(evidence.merged(into: current.evidenceUrls) ?? []),
                    due_on = \(dueOn.merged(into: current.dueOn)), updated_at = now(), version = a.version + 1
                WHERE a.id = \(id)
                """)
            let updated = try await Self.find(task: task, id: id, on: write.connection)!
            try await write.audit(AuditEntry("plan_task_assignments", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(assignment, etag: assignment.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let task = try pathID(context, what: "the task")
        let id = try pathID(context, "assignment_id", what: "the assignment")
        try context.caller.requireAdmin("remove assignments")
        try await context.write(pool) { write in
            guard let current = try await Self.find(task: task, id: id, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the assignment")
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            _ = try await write.query("DELETE FROM plan_task_assignments WHERE id = \(id)")
            try await write.audit(AuditEntry("plan_task_assignments", id: current.id, action: "delete", before: current, after: Assignment?.none))
        }
        return Response(status: .noContent)
    }
}
