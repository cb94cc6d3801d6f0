import Foundation
import Hummingbird
import PQ
import TTDNKit

/// Progress as history: `GET /v1/progress-entries/{id}`, and the one way every subject (a
/// task, an assignment, a unit's plan task) appends an entry, whether through its
/// `POST …/progress` or the progress fields of its PATCH.
struct ProgressRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: ProgressEntry.self)
        routes.add(.get, "/v1/progress-entries/{id}", get)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(ProgressRepository.self, try pathID(context, what: ProgressRepository.noun), request: request, pool: pool)
    }

    /// A subject's history, oldest first, as JSON pages or CSV.
    static func history(_ subject: ProgressSubject, request: Request, pool: PQPool) async throws -> Response {
        var query = QueryReader(request)
        let page = query.page()
        try query.finish()
        return try await Pagination.list(request: request, page: page, filename: "progress-\(subject.kind)") { cursor, limit in
            try await pool.withSharedConnection { try await ProgressRepository.history(of: subject, after: cursor, limit: limit, on: $0) }
        }
    }

    /// `POST …/progress` of any subject: the report read, the subject locked (404, `authorize`,
    /// If-Match), the entry appended, the subject's change audited; 201 with the entry. Honours
    /// Idempotency-Key.
    static func report<R: ResourceRepository>(
        _ repository: R.Type, _ id: UUID, as subject: ProgressSubject, allowOverride: Bool, request: Request, context: AppRequestContext,
        pool: PQPool, authorize: @escaping (R.Resource, Write) async throws -> Void = { _, _ in },
        basis: @escaping (R.Resource, Write) async throws -> ProgressSource?
    ) async throws -> Response where R.Resource.ID == UUID {
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let report = ProgressReport(reading: &reader, allowOverride: allowOverride)
        try reader.finish()
        let today = HaiPhong.today()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let current = try await AuditedWrite.lock(R.self, id, request: request, write: write, authorize: authorize)
            let entry = try await append(report, to: subject, basis: try await basis(current, write), write: write, today: today)
            try await write.record("progress", before: current, after: try await R.find(id, forUpdate: false, on: write.connection))
            return try StoredResponse.json(entry, status: .created, headers: ["Location": entry.location, "ETag": entry.etag])
        }
    }

    /// Appends `report` to `subject` within `write` and audits the entry. `basis` is what the
    /// subject's state rolls up from (nil when it follows its own entries): a rolled-up task
    /// takes entries only as an admin's override (`"override": true`; `{"override": false}`
    /// ends one); an assignment fed by the unit's plan takes none.
    static func append(
        _ report: ProgressReport, to subject: ProgressSubject, basis: ProgressSource?, write: Write, today: CalendarDate
    ) async throws -> ProgressEntry {
        let connection = write.connection
        var override = false
        if let basis {
            guard case .task = subject else {
                throw Problem.conflict(
                    "the progress comes from the unit's own plan tasks that implement this task; report progress on them",
                    slug: "progress-rolled-up", errors: [FieldError("status", "is computed from the unit's plan (progress_source unit_plan)")])
            }
            if report.endsOverride {
                let day = report.effectiveOn.value ?? today
                if day > today { throw Problem.validation([FieldError("effective_on", "cannot be after today (\(today))")]) }
                let entry = try await ProgressRepository.append(
                    to: subject, state: nil, on: day, note: report.note.value, evidence: [], override: true, by: write.principal,
                    on: connection)
                try await write.record("create", before: nil, after: entry)
                return entry
            }
            guard report.override.value == true else {
                throw Problem.conflict(
                    "the task's progress is the roll-up of its \(basis.rawValue) (progress_source \(basis.rawValue)); "
                        + "an admin sends \"override\": true to set it by hand",
                    slug: "progress-rolled-up", errors: [FieldError("override", "must be true to set a rolled-up task's progress by hand")])
            }
            override = true
        } else if report.endsOverride {
            throw Problem.conflict(
                "the task has no roll-up to return to: nothing rolls up into it", slug: "progress-not-rolled-up",
                errors: [FieldError("override", "only ends an override of a rolled-up task")])
        }
        let tentativeDay = report.effectiveOn.value ?? report.completedOn.value ?? today
        let own = try await ProgressRepository.ownState(of: subject, on: tentativeDay, on: connection)
        let previous = override ? try await ProgressRepository.taskState(subject.id, on: tentativeDay, on: connection) : own.state
        let next = try report.applied(to: previous, today: today)
        let day = try report.effectiveDay(next: next, previous: previous, today: today)
        let entry = try await ProgressRepository.explaining {
            try await ProgressRepository.append(
                to: subject, state: next, on: day, note: report.note.merged(into: own.note),
                evidence: report.evidenceURLs.merged(into: own.evidence) ?? [], override: override, by: write.principal, on: connection)
        }
        try await write.record("create", before: nil, after: entry)
        return entry
    }
}
