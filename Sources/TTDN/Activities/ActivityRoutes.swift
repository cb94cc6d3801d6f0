import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/activities`: what units did to carry out the plan. A unit's editor records its own
/// unit's (and the units' below it), admins any unit's; every token reads.
/// `/v1/aggregates/activities` counts them by kind, task, theme, unit or month.
struct ActivityRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: Activity.self, "/v1/activities", list: list, create: create, get: get, update: update, delete: delete)
        routes.add(.get, "/v1/aggregates/activities", aggregate)
    }

    /// Attachments and comments on an activity follow its rules: everyone sees it, its unit's
    /// editors and admins write.
    static let parent = ParentResource(
        path: Activity.collectionPath, column: "activity_id", noun: ActivityRepository.noun,
        visibleUnit: { id, _, connection in
            guard let unit = try await ActivityRepository.unit(of: id, on: connection) else { return nil }
            return .some(unit)
        },
        requireWritable: { _, unit, caller, connection in
            try await ParentResource.requireOwnUnit(unit, caller: caller, what: "write the activities", on: connection)
        })

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let country = query.string("country", maxLength: 2)?.uppercased()
        if let country, !InputReader.countryCodes.contains(country) {
            query.fail("country", "must be an ISO 3166-1 alpha-2 country code such as VN, LA or KH")
        }
        let filter = ActivityFilter(
            kind: query.enumeration("kind", ActivityKind.self), taskID: query.uuid("task_id"), unitID: query.uuid("unit_id"),
            country: country, from: query.date("from"), to: query.date("to"), q: query.string("q"))
        if let from = filter.from, let to = filter.to, to < from { query.fail("to", "must be on or after from") }
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "activities") { cursor, limit in
            try await pool.withSharedConnection { try await ActivityRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(ActivityRepository.self, try pathID(context, what: ActivityRepository.noun), request: request, pool: pool)
    }

    /// An editor's activity is of its own unit unless it names one below it; an admin names the unit.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("record activities")
        let body = try await JSONRequestBody.json(request)
        let fields = try body.input(ActivityFields.self, creating: true)
        guard let unit = fields.unitID.value ?? (caller.isAdmin ? nil : caller.unitID) else {
            throw Problem.validation([FieldError("unit_id", "is required: the unit that carried out the activity")])
        }
        return try await AuditedWrite.create(ActivityRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await ParentResource.requireOwnUnit(unit, caller: caller, what: "record activities", on: write.connection)
            return try await ActivityRepository.insert(fields, unit: unit, recordedBy: caller.tokenID, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ActivityRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change activities")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(ActivityFields.self, creating: false)
        return try await AuditedWrite.update(
            ActivityRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                // Both the unit it is of and the unit it would move to must be the editor's.
                try await ParentResource.requireOwnUnit(current.unitId, caller: caller, what: "change activities", on: write.connection)
                if let unit = fields.unitID.value {
                    try await ParentResource.requireOwnUnit(unit, caller: caller, what: "change activities", on: write.connection)
                }
            }
        ) { current, write in
            try await ActivityRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: ActivityRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("delete activities")
        return try await AuditedWrite.delete(
            ActivityRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                try await ParentResource.requireOwnUnit(current.unitId, caller: caller, what: "delete activities", on: write.connection)
            })
    }

    /// `GET /v1/aggregates/activities?year=&group_by=&unit_id=&as_of=`: the year's activities
    /// that had started by `as_of` (default today, or the year's end when it is over).
    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, request.uri.queryParameters["year"] == nil { query.fail("year", "is required, e.g. year=2023") }
        let dimension = query.enumeration("group_by", ActivityDimension.self) ?? .kind
        let unit = query.uuid("unit_id")
        let asOf = query.date("as_of")
        try query.finish()
        guard let year else { throw Problem.validation([FieldError("year", "is required")]) }
        let yearEnd = CalendarDate(year: year, month: 12, day: 31)!
        let day = min(asOf ?? HaiPhong.today(), yearEnd)
        let from = CalendarDate(year: year, month: 1, day: 1)!
        // Before the year begins nothing has started: the window is empty.
        let (groups, total) = try await pool.withSharedConnection {
            try await ActivityRepository.aggregate(by: dimension, from: from, to: day, unit: unit, on: $0)
        }
        let answer = ActivityAggregate(year: year, asOf: day, groupBy: dimension.rawValue, unitId: unit, groups: groups, total: total)
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: ActivityGroup.csvHeader, rows: answer.groups.map(\.csvRow), filename: "activities-aggregate")
        }
        return try JSONOutput.response(answer)
    }
}
