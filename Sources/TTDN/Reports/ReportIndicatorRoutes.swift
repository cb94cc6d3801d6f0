import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/report-indicators`: the catalogue reports are filled against. Admins add indicators.
struct ReportIndicatorRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: ReportIndicator.self)
        routes.list("/v1/report-indicators", list)
        routes.add(.post, "/v1/report-indicators", create)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try QueryReader(request).finish()
        let pool = self.pool
        // The catalogue is small: one page holds it.
        return try await Pagination.list(request: request, page: (500, nil), filename: "report-indicators") { _, _ in
            (try await pool.withSharedConnection { try await ReportIndicatorRepository.all(on: $0) }, nil)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("add report indicators")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let new = NewReportIndicator(reading: &reader)
        try reader.finish(readOnly: ["active"])
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let indicator = try await explainingConstraints(ReportIndicatorRepository.explain) {
                try await ReportIndicatorRepository.insert(new, on: write.connection)
            }
            try await write.audit(
                AuditEntry(
                    ReportIndicator.auditType, id: indicator.code, action: "create",
                    before: ReportIndicator?.none, after: indicator))
            return try StoredResponse.json(indicator, status: .created)
        }
    }
}
