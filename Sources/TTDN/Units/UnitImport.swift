import Foundation
import Hummingbird
import PQ
import SwiftCSV

/// `POST /v1/units/import`: CSV (header row of field names) or a JSON array of objects.
/// Rows name their parent and successor by `parent_code` / `successor_code` (or by id), so a file
/// can build a whole tree. `dry_run=true` checks every row against the database and writes
/// nothing; a real run is all-or-nothing.
extension UnitRoutes {
    static let maxImportRows = 5_000

    struct RowResult: Encodable, Sendable {
        let row: Int
        let code: String?
        var status: String
        var id: String?
        var errors: [FieldError]
    }

    struct ImportReport: Encodable, Sendable {
        let dryRun: Bool
        let valid: Bool
        let created: Int
        let rows: [RowResult]
    }

    /// Thrown to roll back a dry run (or a failed run) while keeping its report.
    struct RollBack: Error { let report: ImportReport }

    @Sendable func importUnits(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("import units")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["application/json", "text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try Self.importRows(body, csv: request.headers[.contentType]?.lowercased().hasPrefix("text/csv") == true)

        if dryRun {
            do {
                _ = try await context.write(pool) { write in throw RollBack(report: try await Self.apply(rows, write: write, dryRun: true)) }
            } catch let rollBack as RollBack {
                return try JSONOutput.response(rollBack.report)
            }
        }
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let report = try await Self.apply(rows, write: write, dryRun: false)
            guard report.valid else {
                let errors = report.rows.flatMap { row in row.errors.map { FieldError("rows[\(row.row)].\($0.field)", $0.message) } }
                throw Problem.validation(errors, detail: "\(errors.count) problem(s) in the import; nothing was written")
            }
            return try StoredResponse.json(report, status: .created)
        }
    }

    /// The body as a list of JSON objects, one per row (CSV cells become strings; empty cells are absent).
    static func importRows(_ body: ByteBuffer, csv: Bool) throws -> [JSONValue] {
        var rows: [JSONValue]
        if csv {
            guard let text = String(validating: Data(body.readableBytesView), as: UTF8.self) else {
                throw Problem.badRequest("the CSV is not valid UTF-8")
            }
            let table: CSV<Named>
            do { table = try CSV<Named>(string: text, delimiter: .comma, loadColumns: false) } catch {
                throw Problem.badRequest("the CSV could not be parsed: check quoting and the header row")
            }
            rows = table.rows.map { row in
                var object: [String: JSONValue] = [:]
                for (key, cell) in row where !cell.isEmpty {
                    let name = key.trimmingCharacters(in: .whitespaces)
                    object[name] = name == "active" && (cell == "true" || cell == "false") ? .bool(cell == "true") : .string(cell)
                }
                return .object(object)
            }
        } else {
            guard case .array(let items) = try JSONBody.parse(body) else {
                throw Problem.validation([FieldError("body", "must be a JSON array of unit objects")])
            }
            rows = items
        }
        guard !rows.isEmpty else { throw Problem.validation([FieldError("body", "has no rows")]) }
        guard rows.count <= maxImportRows else {
            throw Problem.validation([FieldError("body", "has \(rows.count) rows; at most \(maxImportRows) per import")])
        }
        return rows
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

    static func apply(_ rows: [JSONValue], write: Write, dryRun: Bool) async throws -> ImportReport {
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
            var fields = UnitFields(reading: &reader, body: row)
            let parentCode = reader.string("parent_code", maxLength: 64).value
            let successorCode = reader.string("successor_code", maxLength: 64).value
            _ = reader.required("code", fields.code)
            _ = reader.required("name", fields.name)
            _ = reader.required("kind", fields.kind)
            var result = RowResult(row: number, code: fields.code.value, status: "invalid", errors: [])
            do { try reader.finish() } catch let problem as Problem { result.errors = problem.errors }
            if let parentCode, result.errors.isEmpty {
                if let parent = try await UnitRepository.find(code: parentCode, on: write.connection) {
                    fields.parentID = .value(UUID(uuidString: parent.id)!)
                } else {
                    result.errors.append(FieldError("parent_code", "no unit has this code (rows may only refer to earlier rows)"))
                }
            }
            if result.errors.isEmpty {
                _ = try await write.query("SAVEPOINT import_row")
                do {
                    let unit = try await explainingConstraints(UnitRepository.explain) {
                        try await UnitRepository.insert(fields, on: write.connection)
                    }
                    _ = try await write.query("RELEASE SAVEPOINT import_row")
                    try await write.audit(AuditEntry("units", id: unit.id, action: "import", before: Unit?.none, after: unit))
                    result.status = dryRun ? "valid" : "created"
                    result.id = dryRun ? nil : unit.id
                    if let successorCode { successors.append((offset, UUID(uuidString: unit.id)!, successorCode)) }
                } catch let problem as Problem {
                    _ = try await write.query("ROLLBACK TO SAVEPOINT import_row")
                    result.errors = problem.errors
                }
            }
            results.append(result)
        }
        // Successors may be later rows, so they are linked once every row is in.
        for link in successors {
            _ = try await write.query("SAVEPOINT import_successor")
            do {
                let rows = try await explainingConstraints(UnitRepository.explain) {
                    try await write.query("""
                        UPDATE units SET successor_id = (SELECT id FROM units WHERE code = \(link.code))
                        WHERE id = \(link.unitID) AND EXISTS (SELECT 1 FROM units WHERE code = \(link.code))
                        """)
                }
                _ = try await write.query("RELEASE SAVEPOINT import_successor")
                if rows.affectedRows == 0 {
                    results[link.index].errors.append(FieldError("successor_code", "no unit has this code"))
                }
            } catch let problem as Problem {
                _ = try await write.query("ROLLBACK TO SAVEPOINT import_successor")
                results[link.index].errors.append(contentsOf: problem.errors.map { FieldError($0.field == "successor_id" ? "successor_code" : $0.field, $0.message) })
            }
        }
        for index in results.indices where !results[index].errors.isEmpty {
            results[index].status = "invalid"
            results[index].id = nil
        }
        let valid = results.allSatisfy { $0.errors.isEmpty }
        return ImportReport(dryRun: dryRun, valid: valid, created: dryRun || !valid ? 0 : results.count, rows: results)
    }
}
