import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `POST /v1/units/import`: CSV (header row of field names) or a JSON array of objects.
/// Rows name their parent and successor by `parent_code` / `successor_code` (or by id), so a file
/// can build a whole tree. `dry_run=true` checks every row against the database and writes
/// nothing; a real run is all-or-nothing.
extension UnitRoutes {

    struct RowResult: ImportRowOutcome {
        let row: Int
        let code: String?
        var status: String
        var id: String?
        var errors: [FieldError]
    }

    @Sendable func importUnits(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("import units")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["application/json", "text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try BulkImport.rows(body, csv: BulkImport.isCSV(request), what: "unit objects") { column, value in
            column == "active" && (value == "true" || value == "false") ? .bool(value == "true") : .string(value)
        }
        return try await BulkImport.run(request: request, context: context, pool: pool, body: body, dryRun: dryRun) { write in
            try await Self.apply(rows, write: write, dryRun: dryRun)
        }
    }

    /// Flat `officer_*` columns become the nested `officer` object that units take.
    static func nestOfficer(_ row: JSONValue) -> JSONValue {
        guard case .object(var object) = row else { return row }
        var officer: [String: JSONValue] = [:]
        for field in ["name", "position", "phone", "email"] {
            if let value = object.removeValue(forKey: "officer_\(field)") { officer[field] = value }
        }
        if !officer.isEmpty, object["officer"] == nil { object["officer"] = .object(officer) }
        return .object(object)
    }

    static func apply(_ rows: [JSONValue], write: Write, dryRun: Bool) async throws -> ImportReport<RowResult> {
        var results: [RowResult] = []
        var successors: [(index: Int, unitID: UUID, code: String)] = []
        for (offset, raw) in rows.enumerated() {
            let number = offset + 1
            let row = nestOfficer(raw)
            var reader: InputReader
            do { reader = try InputReader(row) } catch {
                results.append(RowResult(row: number, code: nil, status: "invalid", errors: [FieldError("row", "must be an object")]))
                continue
            }
            var fields = reader.fields(UnitFields.self, creating: true)
            let parentCode = reader.string("parent_code", maxLength: 64).value
            let successorCode = reader.string("successor_code", maxLength: 64).value
            var result = RowResult(row: number, code: fields.code.value, status: "invalid", errors: [])
            do { try reader.finish() } catch let problem as Problem { result.errors = problem.errors }
            if let parentCode, result.errors.isEmpty {
                if let parent = try await UnitRepository.find(code: parentCode, on: write.connection) {
                    fields.parentID = .value(parent.id)
                } else {
                    result.errors.append(FieldError("parent_code", "no unit has this code (rows may only refer to earlier rows)"))
                }
            }
            if result.errors.isEmpty {
                do {
                    let unit = try await write.savepoint {
                        try await UnitRepository.explaining { try await UnitRepository.insert(fields, on: write.connection) }
                    }
                    try await write.record("import", before: nil, after: unit)
                    result.status = dryRun ? "valid" : "created"
                    result.id = dryRun ? nil : unit.id.text
                    if let successorCode { successors.append((offset, unit.id, successorCode)) }
                } catch let problem as Problem {
                    result.errors = problem.errors
                }
            }
            results.append(result)
        }
        // Successors may be later rows, so they are linked once every row is in.
        for link in successors {
            do {
                let linked = try await write.savepoint {
                    try await UnitRepository.explaining {
                        try await UnitRepository.linkSuccessor(of: link.unitID, code: link.code, on: write.connection)
                    }
                }
                if !linked {
                    results[link.index].errors.append(FieldError("successor_code", "no unit has this code"))
                }
            } catch let problem as Problem {
                results[link.index].errors.append(
                    contentsOf: problem.errors.map { FieldError($0.field == "successor_id" ? "successor_code" : $0.field, $0.message) })
            }
        }
        for index in results.indices where !results[index].errors.isEmpty {
            results[index].status = "invalid"
            results[index].id = nil
        }
        return ImportReport(dryRun: dryRun, rows: results) { valid in [("created", dryRun || !valid ? 0 : results.count)] }
    }
}
