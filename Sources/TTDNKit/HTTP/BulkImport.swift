import Foundation
import Hummingbird
import NIOCore
import PQ
import SwiftCSV

/// What every import reports per row and overall.
package protocol ImportOutcome: Encodable, Sendable {
    var valid: Bool { get }
    /// Problems by row number (1-based).
    var rowErrors: [(row: Int, error: FieldError)] { get }
}

/// One row of an import's report: its number (1-based) and what was wrong with it.
package protocol ImportRowOutcome: Encodable, Sendable {
    var row: Int { get }
    var errors: [FieldError] { get }
}

/// The report of every import: `dry_run`, `valid`, the resource's counts (`created`,
/// `duplicates`, `registered` ...) in the order given, then `rows`.
package struct ImportReport<Row: ImportRowOutcome>: ImportOutcome {
    package let dryRun: Bool
    package let rows: [Row]
    package let counts: [(name: String, count: Int)]

    package init(dryRun: Bool, rows: [Row], counts: (_ valid: Bool) -> [(name: String, count: Int)]) {
        self.dryRun = dryRun
        self.rows = rows
        self.counts = counts(rows.allSatisfy { $0.errors.isEmpty })
    }

    package var valid: Bool { rows.allSatisfy { $0.errors.isEmpty } }
    package var rowErrors: [(row: Int, error: FieldError)] { rows.flatMap { row in row.errors.map { (row.row, $0) } } }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: VerbatimKey.self)
        try container.encode(dryRun, forKey: VerbatimKey("dry_run"))
        try container.encode(valid, forKey: VerbatimKey("valid"))
        for (name, count) in counts { try container.encode(count, forKey: VerbatimKey(name)) }
        try container.encode(rows, forKey: VerbatimKey("rows"))
    }
}

/// Bulk imports, the same for every resource: rows from CSV (a header row of field names) or
/// a JSON array; `dry_run=true` runs every row against the database in a transaction that is
/// rolled back and reports each row (or, when some row would fail, the same 422 a real run
/// gives); a real run is all-or-nothing and honours Idempotency-Key.
package enum BulkImport {
    // Each row is a savepoint, a few statements and an audit row: 1,000 rows stay within seconds.
    package static let maxRows = 1_000

    /// The rows as JSON objects. CSV cells are strings (empty cells are absent) unless `cell`
    /// turns a column into another JSON value.
    package static func rows(
        _ body: ByteBuffer, csv: Bool, what: String,
        cell: (_ column: String, _ value: String) -> JSONValue = { .string($1) }
    ) throws -> [JSONValue] {
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
                for (key, value) in row where !value.isEmpty {
                    let column = key.trimmingCharacters(in: .whitespaces)
                    object[column] = cell(column, value)
                }
                return .object(object)
            }
        } else {
            guard case .array(let items) = try JSONBody.parse(body) else {
                throw Problem.validation([FieldError("body", "must be a JSON array of \(what)")])
            }
            rows = items
        }
        guard !rows.isEmpty, rows.count <= maxRows else {
            throw Problem.validation([FieldError("body", "must have 1 to \(maxRows) rows")])
        }
        return rows
    }

    package static func isCSV(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("text/csv") == true
    }

    /// Thrown to roll a dry run back while keeping its report.
    private struct RollBack<Outcome: ImportOutcome>: Error { let outcome: Outcome }

    package static func run<Outcome: ImportOutcome>(
        request: Request, context: AppRequestContext, pool: PQPool, body: ByteBuffer, dryRun: Bool,
        apply: @escaping (Write) async throws -> Outcome
    ) async throws -> Response {
        _ = try Idempotency.validKey(request)
        if dryRun {
            do {
                _ = try await context.write(pool) { write in throw RollBack(outcome: try await apply(write)) }
            } catch let rollBack as RollBack<Outcome> {
                // A dry run of a file that would fail answers like the real run would: 422 naming each row.
                guard rollBack.outcome.valid else { throw problem(rollBack.outcome, dryRun: true) }
                return try JSONOutput.response(rollBack.outcome)
            }
        }
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let outcome = try await apply(write)
            guard outcome.valid else { throw problem(outcome, dryRun: false) }
            return try StoredResponse.json(outcome, status: .created)
        }
    }

    private static func problem(_ outcome: some ImportOutcome, dryRun: Bool) -> Problem {
        let errors = outcome.rowErrors.map { FieldError("rows[\($0.row)].\($0.error.field)", $0.error.message) }
        return Problem.validation(
            errors,
            detail: "\(errors.count) problem(s) in the import; nothing was written"
                + (dryRun ? " (dry run)" : ""))
    }
}
