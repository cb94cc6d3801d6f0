import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/consolidated-reports`: the Department office's report of a period to the City People's
/// Committee. Admins draft (figures computed from what ttdn holds), edit, approve, send (frozen
/// from then on) and revise; every token reads it, its figures (JSON or CSV) and its document (DOCX).
struct ConsolidatedReportRoutes {
    let pool: PQPool
    let document: ConsolidatedDocument?

    func register(_ routes: Routes) {
        routes.collection(
            of: ConsolidatedReport.self, "/v1/consolidated-reports", list: list, create: create, get: get, update: update, delete: delete)
        routes.add(.post, "/v1/consolidated-reports/{id}/refresh", refresh)
        routes.add(.post, "/v1/consolidated-reports/{id}/approve", approve)
        routes.add(.post, "/v1/consolidated-reports/{id}/return", returnToDraft)
        routes.add(.post, "/v1/consolidated-reports/{id}/send", send)
        routes.add(.post, "/v1/consolidated-reports/{id}/revise", revise)
        routes.add(.get, "/v1/consolidated-reports/{id}/figures", figures)
        routes.add(.get, "/v1/consolidated-reports/{id}/document", download)
    }

    /// Refuses a change of a report not in `state`, naming what it is instead.
    static func require(_ report: ConsolidatedReport, _ state: ConsolidatedStatus, to action: String) throws {
        guard report.status == state else {
            let why =
                report.status == .sent ? "it was sent and is frozen; issue a corrected revision (POST …/revise)" : "it is \(report.status.rawValue)"
            throw Problem.conflict("only a \(state.rawValue) consolidated report can be \(action): \(why)", slug: "consolidated-report-state")
        }
    }

    /// The report with, once sent, what changed in the period's unit reports since.
    /// `current`: the period's sources already read (a page of revisions of one period reads them once).
    static func withChanges(
        _ report: ConsolidatedReport, current: [ConsolidatedSource]? = nil, on connection: PQConnection
    ) async throws -> ConsolidatedReport {
        guard report.status == .sent else { return report }
        var report = report
        var now = current
        if now == nil { now = try await ReportRepository.consolidationSources(period: report.periodId, on: connection).map(\.source) }
        report.changedSinceSent = ConsolidatedFigures.changes(then: report.sources, now: now ?? [])
        return report
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let period = query.string("period_id", maxLength: 25)
        let status = query.enumeration("status", ConsolidatedStatus.self)
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "consolidated-reports") { cursor, limit in
            try await pool.withSharedConnection { connection in
                let (items, next) = try await ConsolidatedReportRepository.list(
                    period: period, status: status, after: cursor, limit: limit, on: connection)
                var withChanges: [ConsolidatedReport] = []
                var sources: [String: [ConsolidatedSource]] = [:]
                for item in items {
                    if item.status == .sent, sources[item.periodId] == nil {
                        sources[item.periodId] = try await ReportRepository.consolidationSources(period: item.periodId, on: connection).map(\.source)
                    }
                    withChanges.append(try await Self.withChanges(item, current: sources[item.periodId], on: connection))
                }
                return (withChanges, next)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try QueryReader(request).finish()
        let report = try await pool.withSharedConnection { connection -> ConsolidatedReport in
            guard let report = try await ConsolidatedReportRepository.find(id, forUpdate: false, on: connection) else {
                throw Problem.notFound(ConsolidatedReportRepository.noun)
            }
            return try await Self.withChanges(report, on: connection)
        }
        return try Conditional.resource(report, etag: report.etag, request: request)
    }

    /// `POST`: a draft for a period that has none yet (a period's next revision comes from `revise`).
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("draft consolidated reports")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(ConsolidatedReportFields.self, creating: true)
        return try await AuditedWrite.create(ConsolidatedReportRepository.self, request: request, context: context, pool: pool, body: body) {
            write in
            let connection = write.connection
            guard let period = try await ReportPeriodRepository.find(fields.periodID.value!, forUpdate: true, on: connection) else {
                throw Problem.validation([FieldError("period_id", "does not name an existing report period")])
            }
            if let existing = try await ConsolidatedReportRepository.latest(period: period.id, on: connection) {
                throw Problem.conflict(
                    "the period already has a consolidated report (\(existing.id.text), revision \(existing.revision)); edit it, or revise it once sent",
                    slug: "consolidated-report-exists", extensions: ["existing_id": existing.id.text])
            }
            let computed = try await ConsolidatedFigures.compute(period, on: connection)
            return try await ConsolidatedReportRepository.insert(
                fields, period: period, revision: 1, revises: nil, computed: computed, on: connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("edit consolidated reports")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(ConsolidatedReportFields.self, creating: false)
        if !fields.periodID.isAbsent { throw Problem.validation([FieldError("period_id", "cannot change; draft a report of the other period")]) }
        return try await AuditedWrite.update(ConsolidatedReportRepository.self, id, request: request, context: context, pool: pool) {
            current, write in
            try Self.require(current, .draft, to: "edited")
            return try await ConsolidatedReportRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("delete consolidated reports")
        return try await AuditedWrite.delete(
            ConsolidatedReportRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, _ in try Self.require(current, .draft, to: "deleted") },
            whenReferenced: .conflict("a later revision corrects this report", slug: "consolidated-report-state"))
    }

    /// `POST …/refresh[?redraft_sections=true]`: a draft's figures recomputed from what ttdn holds now.
    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("refresh consolidated reports")
        var query = QueryReader(request)
        let redraft = query.bool("redraft_sections") ?? false
        try query.finish()
        return try await AuditedWrite.update(
            ConsolidatedReportRepository.self, id, request: request, context: context, pool: pool, action: "refresh"
        ) { current, write in
            try Self.require(current, .draft, to: "refreshed")
            guard let period = try await ReportPeriodRepository.find(current.periodId, forUpdate: false, on: write.connection) else {
                throw Problem.notFound(ReportPeriodRepository.noun)
            }
            let computed = try await ConsolidatedFigures.compute(period, on: write.connection)
            return try await ConsolidatedReportRepository.refresh(id, computed: computed, redraft: redraft, on: write.connection)
        }
    }

    @Sendable func approve(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await move(request, context, from: .draft, to: .approved, action: "approve", verb: "approved")
    }

    @Sendable func returnToDraft(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await move(request, context, from: .approved, to: .draft, action: "return", verb: "returned to draft")
    }

    func move(
        _ request: Request, _ context: AppRequestContext, from: ConsolidatedStatus, to: ConsolidatedStatus, action: String, verb: String
    ) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("\(action) consolidated reports")
        let today = HaiPhong.today()
        return try await AuditedWrite.update(
            ConsolidatedReportRepository.self, id, request: request, context: context, pool: pool, action: action
        ) { current, write in
            try Self.require(current, from, to: verb)
            return try await ConsolidatedReportRepository.move(current, to: to, today: today, on: write.connection)
        }
    }

    /// `POST …/send`: an approved report goes out with its number, day (default today), signer and
    /// recipients, which it must all have (422 naming what is missing); from then on it is frozen.
    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("send consolidated reports")
        let fields = try await JSONRequestBody.optional(request).input(SendFields.self, creating: false)
        let today = HaiPhong.today()
        if let day = fields.sentOn.value, day > today {
            throw Problem.validation([FieldError("sent_on", "cannot be after today (\(today))")])
        }
        return try await AuditedWrite.update(
            ConsolidatedReportRepository.self, id, request: request, context: context, pool: pool, action: "send"
        ) { current, write in
            try Self.require(current, .approved, to: "sent")
            var missing: [FieldError] = []
            if fields.number.merged(into: current.number) == nil { missing.append(FieldError("number", "is required to send (e.g. 123/BC-SGDĐT)")) }
            if fields.signer.merged(into: current.signer) == nil { missing.append(FieldError("signer", "is required to send")) }
            if (fields.recipients.merged(into: current.recipients) ?? []).isEmpty {
                missing.append(FieldError("recipients", "is required to send: at least one recipient (Nơi nhận)"))
            }
            if !missing.isEmpty { throw Problem.validation(missing) }
            let sent = try await ConsolidatedReportRepository.move(current, to: .sent, send: fields, today: today, on: write.connection)
            return try await Self.withChanges(sent, on: write.connection)
        }
    }

    /// `POST …/revise`: a corrected version of the latest sent revision, as a new draft with the
    /// figures recomputed now and the previous narrative, signer and recipients (a new number).
    @Sendable func revise(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        try context.caller.requireAdmin("revise consolidated reports")
        let body = try await JSONRequestBody.optional(request)
        let fields = try body.input(ConsolidatedReportFields.self, creating: false)
        if !fields.periodID.isAbsent { throw Problem.validation([FieldError("period_id", "a revision is of the same period")]) }
        return try await AuditedWrite.create(
            ConsolidatedReportRepository.self, request: request, context: context, pool: pool, body: body
        ) { write in
            let connection = write.connection
            guard let current = try await ConsolidatedReportRepository.find(id, forUpdate: true, on: connection) else {
                throw Problem.notFound(ConsolidatedReportRepository.noun)
            }
            try Self.require(current, .sent, to: "revised")
            guard let latest = try await ConsolidatedReportRepository.latest(period: current.periodId, on: connection), latest.id == current.id
            else {
                throw Problem.conflict("a later revision of this report exists; revise that one", slug: "consolidated-report-state")
            }
            guard let period = try await ReportPeriodRepository.find(current.periodId, forUpdate: false, on: connection) else {
                throw Problem.notFound(ReportPeriodRepository.noun)
            }
            let computed = try await ConsolidatedFigures.compute(period, on: connection)
            return try await ConsolidatedReportRepository.insert(
                fields, period: period, revision: current.revision + 1, revises: current, computed: computed, on: connection)
        }
    }

    func find(_ context: AppRequestContext) async throws -> ConsolidatedReport {
        let id = try pathID(context, what: ConsolidatedReportRepository.noun)
        guard let report = try await pool.withSharedConnection({ try await ConsolidatedReportRepository.find(id, forUpdate: false, on: $0) }) else {
            throw Problem.notFound(ConsolidatedReportRepository.noun)
        }
        return report
    }

    /// `GET …/figures`: the figures as stored (frozen once sent), as JSON or, with `Accept: text/csv`, one row per figure.
    @Sendable func figures(_ request: Request, context: AppRequestContext) async throws -> Response {
        try QueryReader(request).finish()
        let report = try await find(context)
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(
                header: ConsolidatedFigureRows.header, rows: ConsolidatedFigureRows.rows(report.figures), filename: "consolidated-figures")
        }
        return try JSONOutput.response(report.figures, headers: [.eTag: report.etag])
    }

    /// `GET …/document`: the report as a DOCX in the layout of Decree 30/2020/NĐ-CP.
    @Sendable func download(_ request: Request, context: AppRequestContext) async throws -> Response {
        try QueryReader(request).finish()
        let report = try await find(context)
        guard let document else { throw CLIError("no document template was loaded") }
        let data = try document.render(report)
        var headers = HTTPFields()
        headers[.contentType] = ConsolidatedDocument.mediaType
        let name = "bao-cao-\(report.periodId)-r\(report.revision).docx"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        headers[.eTag] = report.etag
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
