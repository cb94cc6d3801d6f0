import Foundation
import PQ
import TTDNKit

/// All the SQL of consolidated reports.
enum ConsolidatedReportRepository: DeletableRepository {
    static let noun = "the consolidated report"

    static func find(_ id: UUID, forUpdate: Bool, on connection: PQConnection) async throws -> ConsolidatedReport? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(ConsolidatedReport.columns) FROM consolidated_reports c WHERE c.id = \(id)\(lock)")
            .first.map(ConsolidatedReport.init(row:))
    }

    static func list(
        period: String?, status: ConsolidatedStatus?, after cursor: [String]?, limit: Int, on connection: PQConnection
    ) async throws -> ([ConsolidatedReport], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let period { conditions.append("c.period_id = \(period)") }
        if let status { conditions.append("c.status = \(status)::consolidated_status") }
        if let cursor, cursor.count == 3, let revision = Int(cursor[1]), let id = UUID(uuidString: cursor[2]) {
            conditions.append("(c.period_id, c.revision, c.id) > (\(cursor[0]), \(revision), \(id))")
        }
        let items = try await connection.query(
            """
            SELECT \(ConsolidatedReport.columns) FROM consolidated_reports c WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY c.period_id, c.revision, c.id LIMIT \(limit + 1)
            """
        ).map(ConsolidatedReport.init(row:))
        return Pagination.cut(items, limit: limit) { [$0.periodId, String($0.revision), $0.id.text] }
    }

    /// The latest revision of a period's consolidated report, if any.
    static func latest(period: String, on connection: PQConnection) async throws -> ConsolidatedReport? {
        try await connection.query(
            "SELECT \(ConsolidatedReport.columns) FROM consolidated_reports c WHERE c.period_id = \(period) ORDER BY c.revision DESC LIMIT 1"
        ).first.map(ConsolidatedReport.init(row:))
    }

    /// A new draft: the office's fields over the defaults, the figures computed now.
    static func insert(
        _ f: ConsolidatedReportFields, period: ReportPeriod, revision: Int, revises: ConsolidatedReport?,
        computed: (figures: ConsolidatedFigures, sources: [ConsolidatedSource], sections: [ReportSection]), on connection: PQConnection
    ) async throws -> ConsolidatedReport {
        let title = f.title.value ?? revises?.title ?? "Kết quả thực hiện công tác thông tin đối ngoại: \(period.title)"
        let rows = try await connection.query(
            """
            INSERT INTO consolidated_reports (period_id, revision, revises_id, title, number, issuing_body, parent_body, place, signer,
                                              signer_title, recipients, figures, sources, sections)
            VALUES (\(period.id), \(revision), \(revises?.id), \(title), \(f.number.value),
                    \(f.issuingBody.value ?? revises?.issuingBody ?? "SỞ GIÁO DỤC VÀ ĐÀO TẠO"),
                    \(f.parentBody.isAbsent ? (revises?.parentBody ?? "UBND THÀNH PHỐ HẢI PHÒNG") : f.parentBody.value),
                    \(f.place.value ?? revises?.place ?? "Hải Phòng"), \(f.signer.value ?? revises?.signer),
                    \(f.signerTitle.value ?? revises?.signerTitle), \(f.recipients.value ?? revises?.recipients ?? []),
                    \(PQJSON(computed.figures)), \(PQJSON(computed.sources)),
                    \(PQJSON(f.sections.value ?? revises?.sections ?? computed.sections)))
            RETURNING id
            """)
        return try await find(try rows[0].decode("id"), forUpdate: false, on: connection)!
    }

    /// The office's edits of a draft.
    static func update(
        _ current: ConsolidatedReport, with f: ConsolidatedReportFields, on connection: PQConnection
    ) async throws
        -> ConsolidatedReport
    {
        _ = try await connection.query(
            """
            UPDATE consolidated_reports SET title = \(f.title.merged(into: current.title)), number = \(f.number.merged(into: current.number)),
                issuing_body = \(f.issuingBody.merged(into: current.issuingBody)), parent_body = \(f.parentBody.merged(into: current.parentBody)),
                place = \(f.place.merged(into: current.place)), signer = \(f.signer.merged(into: current.signer)),
                signer_title = \(f.signerTitle.merged(into: current.signerTitle)),
                recipients = \(f.recipients.merged(into: current.recipients) ?? []),
                sections = \(PQJSON(f.sections.merged(into: current.sections) ?? [])), updated_at = now(), version = version + 1
            WHERE id = \(current.id)
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
    }

    /// Recomputes a draft's figures from what ttdn holds now; the narrative too when asked.
    static func refresh(
        _ id: UUID, computed: (figures: ConsolidatedFigures, sources: [ConsolidatedSource], sections: [ReportSection]), redraft: Bool,
        on connection: PQConnection
    ) async throws -> ConsolidatedReport {
        let sections: PQJSON<[ReportSection]>? = redraft ? PQJSON(computed.sections) : nil
        _ = try await connection.query(
            """
            UPDATE consolidated_reports SET figures = \(PQJSON(computed.figures)), sources = \(PQJSON(computed.sources)),
                sections = coalesce(\(sections), sections), computed_at = now(), updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
        return try await find(id, forUpdate: false, on: connection)!
    }

    /// Moves the workflow on: approve, return to draft, or send with what sending sets.
    static func move(
        _ current: ConsolidatedReport, to status: ConsolidatedStatus, send: SendFields? = nil, today: CalendarDate, on connection: PQConnection
    )
        async throws -> ConsolidatedReport
    {
        let sending = status == .sent
        _ = try await connection.query(
            """
            UPDATE consolidated_reports SET status = \(status)::consolidated_status,
                approved_at = CASE WHEN \(status)::consolidated_status = 'draft' THEN NULL
                                   WHEN \(status)::consolidated_status = 'approved' THEN now() ELSE approved_at END,
                number = \(send?.number.merged(into: current.number) ?? current.number),
                signer = \(send?.signer.merged(into: current.signer) ?? current.signer),
                signer_title = \(send?.signerTitle.merged(into: current.signerTitle) ?? current.signerTitle),
                recipients = \(send?.recipients.merged(into: current.recipients) ?? current.recipients),
                sent_on = \(sending ? (send?.sentOn.value ?? today) : nil), sent_at = CASE WHEN \(sending) THEN now() END,
                updated_at = now(), version = version + 1
            WHERE id = \(current.id)
            """)
        return try await find(current.id, forUpdate: false, on: connection)!
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM consolidated_reports WHERE id = \(id)")
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "consolidated_reports_period_fkey": return FieldError("period_id", "does not name an existing report period")
        case "consolidated_reports_number_key": return FieldError("number", "is already the number of another consolidated report")
        case "consolidated_reports_sent_complete": return FieldError("number", "a sent report needs number, signer, sent_on and recipients")
        default: return nil
        }
    }
}
