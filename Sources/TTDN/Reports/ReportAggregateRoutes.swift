import Foundation
import Hummingbird
import PQ
import TTDNKit

/// Completeness and timeliness of a period's reports, and indicator totals for the consolidated
/// report to the City People's Committee.
struct ReportAggregateRoutes {
    let pool: PQPool

    static func periodID(_ query: inout QueryReader) -> String? {
        let id = query.string("period_id", maxLength: 25)
        if id == nil, query.errors.isEmpty { query.fail("period_id", "is required") }
        return id
    }

    @Sendable func compliance(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let periodID = Self.periodID(&query)
        try query.finish()
        let report = try await pool.withSharedConnection { connection -> ReportAggregates.ComplianceReport in
            guard let period = try await ReportPeriodRepository.find(periodID!, forUpdate: false, on: connection) else {
                throw Problem.notFound(ReportPeriodRepository.noun)
            }
            return try await ReportAggregates.compliance(period, on: connection)
        }
        if CSVOutput.wanted(by: request) {
            func line(_ scope: String, _ key: String?, _ c: ReportAggregates.Compliance) -> [String?] {
                [
                    scope, key, String(c.expected), String(c.submitted), String(c.onTime), String(c.late), String(c.missing),
                    String(c.accepted), String(c.completeness), String(c.timeliness), c.missingUnits.map(\.code).joined(separator: " "),
                ]
            }
            let rows =
                [line("overall", nil, report.overall)] + report.byUnitKind.map { line("unit_kind", $0.key, $0.compliance) }
                + report.byParentUnit.map { line("parent_unit", $0.key, $0.compliance) }
            return CSVOutput.response(
                header: [
                    "scope", "key", "expected", "submitted", "on_time", "late", "missing", "accepted",
                    "completeness", "timeliness", "missing_units",
                ], rows: rows, filename: "report-compliance")
        }
        return try JSONOutput.response(report)
    }

    @Sendable func summary(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let periodID = Self.periodID(&query)
        let includeSubmitted = query.bool("include_submitted") ?? false
        try query.finish()
        let statuses = includeSubmitted ? ["accepted", "submitted"] : ["accepted"]
        let summary = try await pool.withSharedConnection { connection -> ReportAggregates.Summary in
            guard let period = try await ReportPeriodRepository.find(periodID!, forUpdate: false, on: connection) else {
                throw Problem.notFound(ReportPeriodRepository.noun)
            }
            return try await ReportAggregates.summary(period, statuses: statuses, on: connection)
        }
        if CSVOutput.wanted(by: request) {
            var rows: [[String?]] = []
            for indicator in summary.indicators {
                func line(_ scope: String, _ key: String?, _ total: Double?, _ target: Double?, _ reports: Int, _ ids: [String]) -> [String?] {
                    [indicator.code, scope, key, total.map { String($0) }, String(reports), ids.joined(separator: " "), target.map { String($0) }]
                }
                func line(_ scope: String, _ t: ReportAggregates.Total) -> [String?] { line(scope, t.key, t.total, t.target, t.reports, t.reportIds) }
                rows.append(line("overall", indicator.overall))
                rows += indicator.byUnitKind.map { line("unit_kind", $0) } + indicator.byParentUnit.map { line("parent_unit", $0) }
                rows += indicator.byUnit.map { line("unit", $0.key, $0.total, $0.target, $0.reports, $0.reportIds) }
            }
            return CSVOutput.response(
                header: ["indicator", "scope", "key", "total", "reports", "report_ids", "target"], rows: rows, filename: "report-summary")
        }
        return try JSONOutput.response(summary)
    }
}
