import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `POST /v1/training-sessions/{id}/participants/import`: CSV with a header row: full_name,
/// unit_code (or unit_id), position, email, phone. `dry_run=true` shows who would be
/// registered or waitlisted; a real run is all-or-nothing.
extension ParticipantRoutes {

    struct ImportRow: ImportRowOutcome {
        let row: Int
        let email: String?
        var status: String
        var state: ParticipantState?
        var errors: [FieldError]
    }

    @Sendable func importCSV(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: TrainingRepository.noun)
        try context.caller.requireWriter("register participants")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try BulkImport.rows(body, csv: true, what: "participants")
        return try await BulkImport.run(request: request, context: context, pool: pool, body: body, dryRun: dryRun) { write in
            try await Self.apply(rows, session: sessionID, write: write, dryRun: dryRun)
        }
    }

    /// A problem as the errors of one row: its field errors, or its detail as the row's.
    static func rowErrors(_ problem: Problem) -> [FieldError] {
        problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
    }

    static func apply(_ rows: [JSONValue], session sessionID: UUID, write: Write, dryRun: Bool) async throws -> ImportReport<ImportRow> {
        var session = try await lockSession(sessionID, write: write)
        let before = session
        var results: [ImportRow] = []
        for (offset, value) in rows.enumerated() {
            var result = ImportRow(row: offset + 1, email: nil, status: "invalid", state: nil, errors: [])
            do {
                let registration = try await Registration.read(value) {
                    try await ParticipantRepository.unitID(code: $0, on: write.connection)
                }
                result = ImportRow(row: offset + 1, email: registration.email, status: "invalid", state: nil, errors: [])
                let participant = try await write.savepoint("import_row") {
                    try await Self.register(registration, session: session, write: write)
                }
                result.status = dryRun ? "valid" : "created"
                result.state = participant.state
                if participant.state == .registered { session.registeredCount += 1 }
            } catch let problem as Problem {
                result.errors = rowErrors(problem)
            }
            results.append(result)
        }
        try await recordSessionChange(from: before, write: write)
        return ImportReport(dryRun: dryRun, rows: results) { _ in
            [
                ("registered", results.filter { $0.state == .registered }.count),
                ("waitlisted", results.filter { $0.state == .waitlisted }.count),
            ]
        }
    }
}
