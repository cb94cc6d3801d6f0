import Foundation
import PQ
import TTDNKit

/// All the SQL of reports: the row, its values, sections, tasks, transitions and prefill.
enum ReportRepository: DeletableRepository {
    static let noun = "the report"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> Report? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE OF r" : "")
        return try await connection.query(
            """
            SELECT \(Report.columns) FROM reports r JOIN report_periods p ON p.id = r.period_id WHERE r.id = \(id)\(lock)
            """
        ).first.map(Report.init(row:))
    }

    /// `visibleUnder`: only reports of that unit and the units below it (nil: all).
    static func list(
        period: String?, unit: UUID?, status: ReportStatus?, visibleUnder root: UUID?, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> ([Report], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let period { conditions.append("r.period_id = \(period)") }
        if let unit { conditions.append("r.unit_id = \(unit)") }
        if let status { conditions.append("r.status = \(status)::report_status") }
        if let root {
            conditions.append(
                """
                r.unit_id IN (WITH RECURSIVE below(id) AS (SELECT \(root)::uuid UNION SELECT u.id FROM units u JOIN below b ON u.parent_id = b.id)
                              SELECT id FROM below)
                """)
        }
        if let cursor, cursor.count == 1, let id = UUID(uuidString: cursor[0]) { conditions.append("r.id > \(id)") }
        let reports = try await connection.query(
            """
            SELECT \(Report.columns) FROM reports r JOIN report_periods p ON p.id = r.period_id
            WHERE \(PQQuery.joined(conditions, separator: " AND ")) ORDER BY r.id LIMIT \(limit + 1)
            """
        ).map(Report.init(row:))
        return Pagination.cut(reports, limit: limit) { [$0.id.text] }
    }

    /// The new report's id, or nil when the unit already has one for the period.
    static func insert(unit: UUID, period: String, on connection: PQConnection) async throws -> UUID? {
        try await connection.query(
            """
            INSERT INTO reports (unit_id, period_id) VALUES (\(unit), \(period))
            ON CONFLICT (unit_id, period_id) DO NOTHING RETURNING id
            """
        ).first?.decode("id")
    }

    /// Whether the unit must report for the period (`ttdn_expected_to_report`): only those may.
    static func isExpected(unit: UUID, period: String, on connection: PQConnection) async throws -> Bool {
        try await connection.query(
            """
            SELECT 1 FROM units u JOIN report_periods p ON p.id = \(period)
            WHERE u.id = \(unit) AND ttdn_expected_to_report(u.reporting_from, u.reporting_to, u.valid_from, u.valid_to, p.ends_on)
            """
        ).isEmpty == false
    }

    static func existing(unit: UUID, period: String, on connection: PQConnection) async throws -> UUID? {
        try await connection.query("SELECT id FROM reports WHERE unit_id = \(unit) AND period_id = \(period)").first?.decode("id")
    }

    /// Writes values, sections, tasks and attachments of an editable report.
    static func apply(_ f: ReportFields, to report: UUID, on connection: PQConnection) async throws {
        if let values = f.values {
            let known = try await connection.query(
                """
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
                    _ = try await connection.query(
                        """
                        INSERT INTO report_values (report_id, indicator_code, text_value) VALUES (\(report), \(code), \(text))
                        ON CONFLICT (report_id, indicator_code) DO UPDATE SET text_value = EXCLUDED.text_value, number_value = NULL, prefilled = false
                        """)
                case let number?:
                    guard kind != "text" else { errors.append(FieldError("values.\(code)", "must be a text")); continue }
                    let text: String
                    switch number {
                    case .int(let n): text = String(n);
                    case .number(let literal): text = literal;
                    default: text = "0"
                    }
                    _ = try await connection.query(
                        """
                        INSERT INTO report_values (report_id, indicator_code, number_value) VALUES (\(report), \(code), \(text)::numeric)
                        ON CONFLICT (report_id, indicator_code) DO UPDATE SET number_value = EXCLUDED.number_value, text_value = NULL, prefilled = false
                        """)
                }
            }
            if !errors.isEmpty { throw Problem.validation(errors) }
        }
        if !f.sections.isAbsent {
            _ = try await connection.query("UPDATE reports SET sections = \(PQJSON(f.sections.value ?? [])) WHERE id = \(report)")
        }
        if !f.attachments.isAbsent {
            _ = try await connection.query("UPDATE reports SET attachments = \(f.attachments.value ?? []) WHERE id = \(report)")
        }
        if !f.taskIDs.isAbsent {
            _ = try await connection.query("DELETE FROM report_tasks WHERE report_id = \(report)")
            _ = try await connection.query("INSERT INTO report_tasks (report_id, task_id) SELECT \(report), unnest(\(f.taskIDs.value ?? []))")
        }
    }

    /// A new version of the report after its parts changed.
    static func touch(_ report: UUID, on connection: PQConnection) async throws -> Report {
        _ = try await connection.query("UPDATE reports SET updated_at = now(), version = version + 1 WHERE id = \(report)")
        return try await find(report, forUpdate: false, on: connection)!
    }

    /// Moves the report to `target` and records the transition with its actor and comment.
    static func transition(
        _ current: Report, to target: ReportStatus, by caller: Principal, comment: String?,
        on connection: PQConnection
    ) async throws -> Report {
        _ = try await connection.query(
            """
            UPDATE reports SET status = \(target)::report_status,
                first_submitted_at = CASE WHEN \(target.rawValue) = 'submitted' THEN coalesce(first_submitted_at, now()) ELSE first_submitted_at END,
                submitted_at = CASE WHEN \(target.rawValue) = 'submitted' THEN now() ELSE submitted_at END,
                accepted_at = CASE WHEN \(target.rawValue) = 'accepted' THEN now() WHEN \(target.rawValue) = 'returned' THEN NULL ELSE accepted_at END,
                received_on = CASE WHEN \(target.rawValue) = 'submitted' THEN coalesce(received_on, (now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date) ELSE received_on END,
                received_via = CASE WHEN \(target.rawValue) = 'submitted' THEN coalesce(received_via, 'system') ELSE received_via END,
                updated_at = now(), version = version + 1
            WHERE id = \(current.id)
            """)
        _ = try await connection.query(
            """
            INSERT INTO report_transitions (report_id, from_status, to_status, actor_token_id, actor_role, comment)
            VALUES (\(current.id), \(current.status)::report_status, \(target)::report_status, \(caller.tokenID),
                    \(caller.role.rawValue)::token_role, \(comment))
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
    }

    /// Records the day and the channel by which the report reached the office.
    static func recordReceipt(_ receipt: Receipt, of report: UUID, on connection: PQConnection) async throws -> Report {
        _ = try await connection.query(
            """
            UPDATE reports SET received_on = \(receipt.receivedOn), received_via = \(receipt.receivedVia)::report_channel,
                incoming_number = \(receipt.incomingNumber), receipt_evidence = \(receipt.evidence), updated_at = now(), version = version + 1
            WHERE id = \(report)
            """)
        return try await find(report, forUpdate: false, on: connection)!
    }

    /// Fills indicators from what ttdn already knows of the unit in the period's data window
    /// (trainings, media items, assignments, and its activities as `ttdn_activity_indicators`
    /// counts them); values a person entered stay, pre-filled ones are replaced.
    static func prefill(_ report: UUID, on connection: PQConnection) async throws -> Report {
        _ = try await connection.query(
            """
            WITH w AS (
                SELECT r.unit_id, (p.starts_on::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS from_at,
                       ((p.ends_on + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS to_at, p.starts_on, p.ends_on
                FROM reports r JOIN report_periods p ON p.id = r.period_id WHERE r.id = \(report)
            ), known(code, value) AS (
                SELECT 'people_trained', count(*) FROM w JOIN trained_participants tp ON tp.unit_id = w.unit_id
                 WHERE tp.held_on BETWEEN w.starts_on AND w.ends_on
                UNION ALL
                SELECT 'trainings_attended', count(DISTINCT tp.session_id) FROM w JOIN trained_participants tp ON tp.unit_id = w.unit_id
                 WHERE tp.held_on BETWEEN w.starts_on AND w.ends_on
                UNION ALL
                SELECT 'misinformation_rebutted', count(*) FROM w JOIN media_entries m ON m.related_unit_id = w.unit_id
                 WHERE m.misinformation AND m.responded_at >= w.from_at AND m.responded_at < w.to_at
                UNION ALL
                SELECT 'assigned_tasks_done', count(*) FROM w JOIN ttdn_assignment_states(w.ends_on, NULL) a ON a.unit_id = w.unit_id
                 WHERE a.status = 'done' AND a.completed_on BETWEEN w.starts_on AND w.ends_on
                UNION ALL
                SELECT f.code, f.value FROM w, ttdn_activity_indicators(w.unit_id, w.starts_on, w.ends_on) f
            )
            INSERT INTO report_values (report_id, indicator_code, number_value, prefilled)
            SELECT \(report), known.code, known.value, true FROM known JOIN report_indicators i ON i.code = known.code AND i.active
            ON CONFLICT (report_id, indicator_code) DO UPDATE SET number_value = EXCLUDED.number_value
                WHERE report_values.prefilled
            """)
        return try await touch(report, on: connection)
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM reports WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "reports_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        case "reports_period_fkey": return FieldError("period_id", "does not name an existing report period")
        case "report_tasks_task_fkey": return FieldError("task_ids", "every id must name an existing plan task")
        case "reports_period_open": return FieldError("period_id", "the report period is closed")
        default: return nil
        }
    }
}

// MARK: - Aggregates

// Both aggregates read the period's units from `ttdn_period_units` (the snapshot of a closed
// period, the live definition otherwise) and only the reports of those units: they count the
// same set, so they agree.
extension ReportRepository {
    /// A unit expected to report for a period with its report's state: a view on one row, read
    /// column by column (compliance needs names only of missing units and new parents; decoding
    /// every column of every unit into a struct first cost W6 a fifth of its CPU), by positions
    /// looked up once per result (a lookup by name in every row was another tenth).
    struct ExpectedUnit {
        struct Columns {
            let id, code, name, kind, parentID, parentName, accepted, submitted, onTime: Int
            init(_ rows: PQRows) throws {
                (id, code, name, kind) = (try rows.column("id"), try rows.column("code"), try rows.column("name"), try rows.column("kind"))
                (parentID, parentName) = (try rows.column("parent_id"), try rows.column("parent_name"))
                (accepted, submitted, onTime) = (try rows.column("accepted"), try rows.column("submitted"), try rows.column("on_time"))
            }
        }
        let cells: PQCells
        let row: Int
        let at: Columns
        /// The unit's id as PostgreSQL writes it (lower case, the API's form).
        func id() throws -> String { try cells.decode(row: row, column: at.id) }
        func code() throws -> String { try cells.decode(row: row, column: at.code) }
        func name() throws -> String { try cells.decode(row: row, column: at.name) }
        func kind() throws -> String { try cells.decode(row: row, column: at.kind) }
        func parentID() throws -> UUID? { try cells.decode(row: row, column: at.parentID) }
        func parentName() throws -> String? { try cells.decode(row: row, column: at.parentName) }
        func accepted() throws -> Bool { try cells.decode(row: row, column: at.accepted) }
        func submitted() throws -> Bool { try cells.decode(row: row, column: at.submitted) }
        func onTime() throws -> Bool { try cells.decode(row: row, column: at.onTime, as: Bool?.self) ?? false }
    }

    static func forEachExpectedUnit(_ period: ReportPeriod, on connection: PQConnection, _ body: (ExpectedUnit) throws -> Void) async throws {
        let rows = try await connection.query(
            """
            SELECT u.unit_id AS id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.parent_name,
                   coalesce(r.status = 'accepted', false) AS accepted, r.received_on IS NOT NULL AS submitted,
                   r.received_on <= \(period.dueOn) AS on_time
            FROM ttdn_period_units(\(period.id)) u
            LEFT JOIN reports r ON r.unit_id = u.unit_id AND r.period_id = \(period.id)
            ORDER BY u.name COLLATE "vi-x-icu", u.unit_id
            """)
        let columns = try ExpectedUnit.Columns(rows)
        try rows.withCells { cells in
            for row in rows.indices { try body(ExpectedUnit(cells: cells, row: row, at: columns)) }
        }
    }

    /// A numeric or text value of a report in one of `statuses`.
    struct IndicatorValue {
        let code: String, name: String, aggregation: String, reportID: UUID, unitID: UUID, unitKind: String, parentID: UUID?
        let value: Double?, submittedAt: Date?
    }

    static func indicatorValues(period: String, statuses: [String], on connection: PQConnection) async throws -> [IndicatorValue] {
        try await connection.query(
            """
            SELECT i.code, i.name, i.aggregation::text AS aggregation, r.id AS report_id, u.unit_id, u.kind::text AS kind, u.parent_id,
                   v.number_value::float8 AS value, r.submitted_at
            FROM report_values v
            JOIN reports r ON r.id = v.report_id
            JOIN ttdn_period_units(\(period)) u ON u.unit_id = r.unit_id
            JOIN report_indicators i ON i.code = v.indicator_code
            WHERE r.period_id = \(period) AND r.status::text = ANY(\(statuses))
            ORDER BY i.position, i.code, r.submitted_at, r.id
            """
        ).map { row in
            IndicatorValue(
                code: try row.decode("code"), name: try row.decode("name"), aggregation: try row.decode("aggregation"),
                reportID: try row.decode("report_id"), unitID: try row.decode("unit_id"), unitKind: try row.decode("kind"),
                parentID: try row.decode("parent_id"), value: try row.decode("value"), submittedAt: try row.decode("submitted_at"))
        }
    }

    /// The targets of a year: per indicator, those of single units and those of unit kinds.
    struct YearTargets {
        var byUnit: [String: [UUID: Double]] = [:]
        var byKind: [String: [String: Double]] = [:]

        /// A unit's target: its own, else its kind's.
        func target(_ indicator: String, unit: UUID, kind: String) -> Double? { byUnit[indicator]?[unit] ?? byKind[indicator]?[kind] }
    }

    static func targets(year: Int, on connection: PQConnection) async throws -> YearTargets {
        var targets = YearTargets()
        for row in try await connection.query(
            "SELECT indicator_code, unit_id, unit_kind::text AS unit_kind, target::float8 AS target FROM report_targets WHERE year = \(year)")
        {
            let indicator: String = try row.decode("indicator_code"), target: Double = try row.decode("target")
            if let unit: UUID = try row.decode("unit_id") { targets.byUnit[indicator, default: [:]][unit] = target }
            if let kind: String = try row.decode("unit_kind") { targets.byKind[indicator, default: [:]][kind] = target }
        }
        return targets
    }

    /// Code, name and kind of the period's units, for the per-unit lines of the summary.
    static func periodUnits(_ period: String, on connection: PQConnection) async throws -> [UUID: (code: String, name: String, kind: String)] {
        var units: [UUID: (code: String, name: String, kind: String)] = [:]
        for row in try await connection.query("SELECT unit_id, code, name, kind::text AS kind FROM ttdn_period_units(\(period))") {
            units[try row.decode("unit_id")] = (try row.decode("code"), try row.decode("name"), try row.decode("kind"))
        }
        return units
    }
}

extension ReportRepository {
    /// A period's report as a consolidated report counts it.
    struct ConsolidationSource: Sendable {
        let source: ConsolidatedSource
        let sections: [ReportSection]
    }

    /// The period's reports that reached the office (not drafts), by unit code.
    static func consolidationSources(period: String, on connection: PQConnection) async throws -> [ConsolidationSource] {
        try await connection.query(
            """
            SELECT r.id, r.unit_id, u.code, u.name, r.status, r.received_on <= p.due_on AS on_time, r.received_on, r.version, r.sections
            FROM reports r JOIN units u ON u.id = r.unit_id JOIN report_periods p ON p.id = r.period_id
            WHERE r.period_id = \(period) AND r.status <> 'draft'
            ORDER BY u.code, r.id
            """
        ).map {
            ConsolidationSource(
                source: ConsolidatedSource(
                    reportId: try $0.decode("id", as: UUID.self).text, unitId: try $0.decode("unit_id", as: UUID.self).text,
                    unitCode: try $0.decode("code"), unitName: try $0.decode("name"), status: try $0.decode("status"),
                    onTime: try $0.decode("on_time"), receivedOn: try $0.decode("received_on", as: CalendarDate?.self)?.description,
                    version: try $0.decode("version")),
                sections: try $0.decode("sections", as: PQJSON<[ReportSection]>.self).value)
        }
    }
}
