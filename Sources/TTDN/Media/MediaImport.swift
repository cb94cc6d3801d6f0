import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `POST /v1/media-entries/import`: CSV (header row of field names; `topics` separated by `;`) or
/// a JSON array. Duplicates are reported and skipped unless `on_duplicate=fail`; any invalid row
/// makes a real run write nothing. `dry_run=true` checks every row against the database and
/// writes nothing.
extension MediaRoutes {

    struct ImportRow: ImportRowOutcome {
        let row: Int
        var status: String
        var id: UUID?
        var existingId: String?
        var errors: [FieldError]
    }

    @Sendable func importEntries(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireWriter("import media items")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        let onDuplicate = query.string("on_duplicate", maxLength: 10) ?? "skip"
        if !["skip", "fail"].contains(onDuplicate) { query.fail("on_duplicate", "must be skip or fail") }
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["application/json", "text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try BulkImport.rows(body, csv: BulkImport.isCSV(request), what: "media entries") { column, value in
            switch column {
            case "misinformation": return value == "true" ? .bool(true) : value == "false" ? .bool(false) : .string(value)
            case "topics": return .array(value.split(separator: ";").map { .string($0.trimmingCharacters(in: .whitespaces)) })
            default: return .string(value)
            }
        }
        return try await BulkImport.run(request: request, context: context, pool: pool, body: body, dryRun: dryRun) { write in
            try await Self.apply(rows, write: write, dryRun: dryRun, failOnDuplicate: onDuplicate == "fail")
        }
    }

    static func apply(_ rows: [JSONValue], write: Write, dryRun: Bool, failOnDuplicate: Bool) async throws -> ImportReport<ImportRow> {
        var results: [ImportRow] = []
        for (offset, value) in rows.enumerated() {
            var result = ImportRow(row: offset + 1, status: "invalid", errors: [])
            do {
                var reader = try InputReader(value)
                let fields = reader.fields(MediaFields.self, creating: true)
                try reader.finish(readOnly: MediaFields.readOnly)
                do {
                    let entry = try await write.savepoint("import_row") {
                        let entry = try await MediaRepository.explaining { try await Self.insert(fields, write: write) }
                        // An imported entry is audited as created, as one posted alone.
                        try await write.record("create", before: nil, after: entry)
                        return entry
                    }
                    result.status = dryRun ? "valid" : "created"
                    result.id = dryRun ? nil : entry.id
                } catch let problem as Problem {
                    if problem.slug == "duplicate-url" {
                        result.status = "duplicate"
                        result.existingId = problem.extensions["existing_id"]
                        if failOnDuplicate { result.errors = problem.errors }
                    } else {
                        result.errors = problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
                    }
                }
            } catch let problem as Problem {
                result.errors = problem.errors
            }
            if !result.errors.isEmpty { result.status = result.status == "duplicate" ? "duplicate" : "invalid" }
            results.append(result)
        }
        return ImportReport(dryRun: dryRun, rows: results) { valid in
            [
                ("created", dryRun || !valid ? 0 : results.filter { $0.status == "created" }.count),
                ("duplicates", results.filter { $0.status == "duplicate" }.count),
                ("invalid", results.filter { $0.status == "invalid" }.count),
            ]
        }
    }
}
