import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/reports`: one report per unit and period. A unit's editor drafts and submits its own
/// unit's report; an admin (the Department office) accepts it or returns it with a comment.
/// Tokens bound to a unit see only the reports of that unit and the units below it.
struct ReportRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(
            of: Report.self, "/v1/reports", list: list, create: create, get: get, update: update, delete: delete, changesTo: .withinCallerUnit)
        routes.add(.post, "/v1/reports/{id}/submit", transition(.submitted))
        routes.add(.post, "/v1/reports/{id}/accept", transition(.accepted))
        routes.add(.post, "/v1/reports/{id}/return", transition(.returned))
        routes.add(.post, "/v1/reports/{id}/prefill", prefill)
        routes.add(.post, "/v1/reports/{id}/receipt", receipt)
        routes.add(.get, "/v1/aggregates/report-compliance", ReportAggregateRoutes(pool: pool).compliance)
        routes.add(.get, "/v1/aggregates/report-summary", ReportAggregateRoutes(pool: pool).summary)
    }

    /// Attachments and comments on a report follow its rules: a token bound to a unit sees only
    /// its unit's (and the units' below); the unit's editors add to it while it can be edited,
    /// admins at any time.
    static let parent = ParentResource(
        path: Report.collectionPath, column: "report_id", noun: ReportRepository.noun,
        visibleUnit: { id, caller, connection in
            guard let report = try await ReportRepository.find(id, forUpdate: false, on: connection) else { return nil }
            if let root = visibleRoot(caller), try await !Scope.unit(report.unitId, isWithin: root, on: connection) { return nil }
            return .some(report.unitId)
        },
        requireWritable: { id, unit, caller, connection in
            guard !caller.isAdmin else { return }
            guard let unit else { throw Problem.forbidden("an editor writes the reports of its own unit only") }
            try await requireUnitWriter(caller, unit: unit, on: connection)
            if let report = try await ReportRepository.find(id, forUpdate: false, on: connection) { try requireEditable(report) }
        })

    /// The units a caller may see reports of: nil means all.
    static func visibleRoot(_ caller: Principal) -> UUID? { caller.isAdmin ? nil : caller.unitID }

    /// Never reveal that another unit's report exists: 404, as for a report that does not.
    static func requireVisible(_ report: Report, to caller: Principal, on connection: PQConnection) async throws {
        if let root = visibleRoot(caller), try await !Scope.unit(report.unitId, isWithin: root, on: connection) {
            throw Problem.notFound(ReportRepository.noun)
        }
    }

    /// An editor writes the reports of its own unit (and the units below it).
    static func requireUnitWriter(_ caller: Principal, unit: UUID, on connection: PQConnection) async throws {
        guard !caller.isAdmin else { return }
        try caller.requireWriter("write reports")
        guard let own = caller.unitID, try await Scope.unit(unit, isWithin: own, on: connection) else {
            throw Problem.forbidden("an editor writes the reports of its own unit only")
        }
    }

    /// Visible to the caller, and the caller may write it.
    static func writable(by caller: Principal) -> (Report, Write) async throws -> Void {
        { report, write in
            try await requireVisible(report, to: caller, on: write.connection)
            try await requireUnitWriter(caller, unit: report.unitId, on: write.connection)
        }
    }

    /// 409 once the report's period is closed: nothing of it changes until an admin reopens it.
    static func requireOpenPeriod(_ report: Report) throws {
        guard !report.periodClosed else {
            throw Problem.conflict("the report period \(report.periodId) is closed; an admin must reopen it first", slug: "period-closed")
        }
    }

    static func requireEditable(_ report: Report) throws {
        try requireOpenPeriod(report)
        guard [.draft, .returned].contains(report.status) else {
            throw Problem.conflict("a \(report.status.rawValue) report cannot be edited", slug: "report-locked")
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        var query = QueryReader(request)
        let period = query.string("period_id", maxLength: 25)
        let unit = query.uuid("unit_id")
        let status = query.enumeration("status", ReportStatus.self)
        let page = query.page()
        try query.finish()
        let pool = self.pool, root = Self.visibleRoot(caller)
        return try await Pagination.list(request: request, page: page, filename: "reports") { cursor, limit in
            try await pool.withSharedConnection {
                try await ReportRepository.list(period: period, unit: unit, status: status, visibleUnder: root, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportRepository.noun)
        let caller = try context.caller
        try QueryReader(request).finish()
        let report = try await pool.withSharedConnection { connection -> Report in
            guard let report = try await ReportRepository.find(id, forUpdate: false, on: connection) else {
                throw Problem.notFound(ReportRepository.noun)
            }
            try await Self.requireVisible(report, to: caller, on: connection)
            return report
        }
        return try Conditional.resource(report, etag: report.etag, request: request)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("write reports")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        var f = ReportFields(reading: &reader)
        if f.unitID.isAbsent, !caller.isAdmin, let own = caller.unitID { f.unitID = .value(own) }
        let unit = reader.required("unit_id", f.unitID)
        let period = reader.required("period_id", f.periodID)
        try reader.finish(readOnly: ReportFields.readOnly)
        guard let unit, let period else { throw Problem.validation([]) }  // finish() has named them
        return try await AuditedWrite.create(ReportRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await Self.requireUnitWriter(caller, unit: unit, on: write.connection)
            guard let found = try await ReportPeriodRepository.find(period, forUpdate: false, on: write.connection) else {
                throw Problem.validation([FieldError("period_id", "does not name an existing report period")])
            }
            try found.requireOpen()
            guard try await ReportRepository.isExpected(unit: unit, period: period, on: write.connection) else {
                throw Problem.validation([
                    FieldError(
                        "unit_id",
                        "the unit is not expected to report for \(period): on \(found.endsOn) it is not valid or has no obligation to report (reporting_from, reporting_to)"
                    )
                ])
            }
            guard let id = try await ReportRepository.insert(unit: unit, period: period, on: write.connection) else {
                let existing = try await ReportRepository.existing(unit: unit, period: period, on: write.connection)?.text ?? "unknown"
                var problem = Problem.conflict(
                    "this unit already has a report for \(period)", slug: "report-exists",
                    extensions: ["existing_id": existing])
                problem.headers[.location] = "/v1/reports/\(existing)"
                throw problem
            }
            try await ReportRepository.apply(f, to: id, on: write.connection)
            return try await ReportRepository.find(id, forUpdate: false, on: write.connection)!
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("write reports")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let f = ReportFields(reading: &reader)
        if !f.unitID.isAbsent { reader.fail("unit_id", "a report cannot move to another unit") }
        if !f.periodID.isAbsent { reader.fail("period_id", "a report cannot move to another period") }
        try reader.finish(readOnly: ReportFields.readOnly)
        return try await AuditedWrite.update(
            ReportRepository.self, id, request: request, context: context, pool: pool,
            authorize: Self.writable(by: caller)
        ) { current, write in
            try Self.requireEditable(current)
            try await ReportRepository.apply(f, to: id, on: write.connection)
            return try await ReportRepository.touch(id, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("delete reports")
        try await context.write(pool) { write in
            let current = try await AuditedWrite.lock(ReportRepository.self, id, request: request, write: write, authorize: Self.writable(by: caller))
            try Self.requireOpenPeriod(current)
            guard current.status == .draft else { throw Problem.conflict("only a draft report can be deleted", slug: "report-locked") }
            try await ReportRepository.delete(id, on: write.connection)
            try await write.record("delete", before: current, after: nil)
        }
        return Response(status: .noContent)
    }

    /// draft → submitted → accepted, or submitted → returned (with a comment) → submitted again;
    /// returning an accepted report reopens it. The unit's editor (or an admin) submits; only an
    /// admin accepts or returns.
    func transition(_ target: ReportStatus) -> @Sendable (Request, AppRequestContext) async throws -> Response {
        let pool = self.pool
        return { request, context in
            let id = try pathID(context, what: ReportRepository.noun)
            let caller = try context.caller
            // Who may ask comes before what they sent.
            if target == .submitted { try caller.requireWriter("submit reports") } else { try caller.requireAdmin("accept or return reports") }
            let comment = try await JSONRequestBody.comment(
                request, requiredBecause: target == .returned ? "when returning a report: say what to correct" : nil)
            let action = ["submitted": "submit", "accepted": "accept", "returned": "return"][target.rawValue]!
            return try await AuditedWrite.update(
                ReportRepository.self, id, request: request, context: context, pool: pool, action: action,
                authorize: { current, write in
                    try await Self.requireVisible(current, to: caller, on: write.connection)
                    if target == .submitted { try await Self.requireUnitWriter(caller, unit: current.unitId, on: write.connection) }
                }
            ) { current, write in
                try Self.requireOpenPeriod(current)
                let allowed: [ReportStatus: Set<ReportStatus>] = [
                    .submitted: [.draft, .returned], .accepted: [.submitted], .returned: [.submitted, .accepted],
                ]
                guard allowed[target]!.contains(current.status) else {
                    throw Problem.conflict("a \(current.status.rawValue) report cannot be \(target.rawValue)", slug: "invalid-transition")
                }
                return try await ReportRepository.transition(current, to: target, by: caller, comment: comment, on: write.connection)
            }
        }
    }

    /// Fills indicators from what ttdn already knows of the unit in the period's data window;
    /// values a person entered stay, pre-filled ones are marked so people can correct them.
    @Sendable func prefill(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("write reports")
        return try await AuditedWrite.update(
            ReportRepository.self, id, request: request, context: context, pool: pool, action: "prefill",
            authorize: Self.writable(by: caller)
        ) { current, write in
            try Self.requireEditable(current)
            return try await ReportRepository.prefill(id, on: write.connection)
        }
    }

    /// An admin records when and how the report reached the office (a paper or e-Office arrival
    /// before it was typed in); timeliness follows the day recorded.
    @Sendable func receipt(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ReportRepository.noun)
        try context.caller.requireAdmin("record report receipts")
        let body = try await JSONRequestBody.json(request)
        var reader = try body.reader()
        let receipt = Receipt(reading: &reader, today: HaiPhong.today())
        try reader.finish(readOnly: [])
        return try await AuditedWrite.update(ReportRepository.self, id, request: request, context: context, pool: pool, action: "receipt") {
            current, write in
            try Self.requireOpenPeriod(current)
            guard current.status != .draft else {
                throw Problem.conflict("a draft report has not reached the office; submit it first", slug: "report-not-received")
            }
            guard let period = try await ReportPeriodRepository.find(current.periodId, forUpdate: false, on: write.connection) else {
                throw Problem.notFound(ReportPeriodRepository.noun)
            }
            try receipt.check(against: period)
            return try await ReportRepository.recordReceipt(receipt, of: id, on: write.connection)
        }
    }
}
