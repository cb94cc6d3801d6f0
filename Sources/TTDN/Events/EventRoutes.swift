import Foundation
import Hummingbird
import NIOCore
import PQ
import TTDNKit

/// `/v1/events`: the calendar, `/v1/events/occurrences` its dated occurrences with anniversary
/// numbers, `/v1/events.ics` the same as an iCalendar feed, each filtered by unit (`unit_id`:
/// its own events and the city-wide ones). Admins keep the city-wide calendar, a unit's editors
/// its own events; every token reads.
struct EventRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.collection(of: Event.self, "/v1/events", list: list, create: create, get: get, update: update, delete: delete)
        routes.list("/v1/events/occurrences", occurrences)
        routes.add(.get, "/v1/events.ics", ics)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let filter = EventFilter(kind: query.enumeration("kind", EventKind.self), organiserUnitID: query.uuid("organiser_unit_id"))
        let page = query.page()
        try query.finish()
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "events") { cursor, limit in
            try await pool.withSharedConnection { try await EventRepository.list(filter, after: cursor, limit: limit, on: $0) }
        }
    }

    /// `from`/`to` (default: this year in Hai Phong), at most ten years apart.
    static func window(_ query: inout QueryReader) -> (from: CalendarDate, to: CalendarDate) {
        let year = HaiPhong.today().year
        let from = query.date("from") ?? CalendarDate(year: year, month: 1, day: 1)!
        let to = query.date("to") ?? CalendarDate(year: from.year, month: 12, day: 31)!
        if to < from { query.fail("to", "must be on or after from") }
        if !(1000...9000).contains(from.year) { query.fail("from", "must be a date in the years 1000 to 9000") }
        if !(1000...9000).contains(to.year) { query.fail("to", "must be a date in the years 1000 to 9000") }
        if to.daysSinceEpoch - from.daysSinceEpoch > 3660 { query.fail("to", "must be at most ten years after from") }
        return (from, to)
    }

    @Sendable func occurrences(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let window = Self.window(&query)
        let kind = query.enumeration("kind", EventKind.self)
        let unit = query.uuid("unit_id")
        try query.finish()
        let events = try await pool.withSharedConnection { try await EventRepository.calendar(kind: kind, unit: unit, on: $0) }
        let occurrences = Occurrence.of(events, from: window.from, to: window.to)
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: Occurrence.csvHeader, rows: occurrences.map(\.csvRow), filename: "occurrences")
        }
        return try Pagination.response(request: request, items: occurrences, nextCursor: nil)
    }

    @Sendable func ics(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let today = HaiPhong.today()
        // By default this year and the next; `to` defaults to the end of the year after `from`.
        let from = query.date("from") ?? CalendarDate(year: today.year, month: 1, day: 1)!
        let to = query.date("to") ?? CalendarDate(year: min(from.year + 1, 9999), month: 12, day: 31)!
        if to < from { query.fail("to", "must be on or after from") }
        if to.daysSinceEpoch - from.daysSinceEpoch > 3660 { query.fail("to", "must be at most ten years after from") }
        if !(1000...9000).contains(from.year) { query.fail("from", "must be a date in the years 1000 to 9000") }
        if !(1000...9000).contains(to.year) { query.fail("to", "must be a date in the years 1000 to 9000") }
        let unit = query.uuid("unit_id")
        try query.finish()
        let events = try await pool.withSharedConnection { try await EventRepository.calendar(kind: nil, unit: unit, on: $0) }
        let text = ICalendar.calendar(
            name: "Lịch thông tin đối ngoại - Sở GD&ĐT Hải Phòng",
            occurrences: Occurrence.of(events, from: from, to: to), stamp: Date())
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await AuditedWrite.get(EventRepository.self, try pathID(context, what: EventRepository.noun), request: request, pool: pool)
    }

    /// An editor keeps its own unit's events (an ASEAN-week activity at a school); the city-wide
    /// calendar (no organiser) is the admins'.
    static func requireOrganiser(_ unit: UUID?, caller: Principal, on connection: PQConnection) async throws {
        guard !caller.isAdmin else { return }
        guard unit != nil else { throw Problem.forbidden("only an admin token may keep city-wide events (without organiser_unit_id)") }
        try await ParentResource.requireOwnUnit(unit, caller: caller, what: "keep the events", on: connection)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.caller
        try caller.requireWriter("create events")
        let body = try await JSONRequestBody.json(request)
        var fields = try body.input(EventFields.self, creating: true)
        // An editor's event is its own unit's unless it names a unit below it.
        if !caller.isAdmin, fields.organiserUnitID.isAbsent, let own = caller.unitID { fields.organiserUnitID = .value(own) }
        let chosen = fields
        return try await AuditedWrite.create(EventRepository.self, request: request, context: context, pool: pool, body: body) { write in
            try await Self.requireOrganiser(chosen.organiserUnitID.value, caller: caller, on: write.connection)
            return try await EventRepository.insert(chosen, on: write.connection)
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: EventRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change events")
        let body = try await JSONRequestBody.mergePatch(request)
        let fields = try body.input(EventFields.self, creating: false)
        return try await AuditedWrite.update(
            EventRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in
                // Both the unit that keeps it and the unit it would move to must be the editor's.
                try await Self.requireOrganiser(current.organiserUnitId, caller: caller, on: write.connection)
                if !fields.organiserUnitID.isAbsent {
                    try await Self.requireOrganiser(fields.organiserUnitID.value, caller: caller, on: write.connection)
                }
            }
        ) { current, write in
            try await EventRepository.update(current, with: fields, on: write.connection)
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: EventRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("delete events")
        return try await AuditedWrite.delete(
            EventRepository.self, id, request: request, context: context, pool: pool,
            authorize: { current, write in try await Self.requireOrganiser(current.organiserUnitId, caller: caller, on: write.connection) })
    }

}
