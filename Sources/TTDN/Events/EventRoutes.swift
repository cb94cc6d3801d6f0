import Foundation
import Hummingbird
import NIOCore
import PQ
import TTDNKit

/// `/v1/events`: the calendar, `/v1/events/occurrences` its dated occurrences with anniversary
/// numbers, `/v1/events.ics` the same as an iCalendar feed. Admins write; every token reads.
struct EventRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/events", list)
        routes.add(.post, "/v1/events", create)
        routes.add(.get, "/v1/events/occurrences", occurrences)
        routes.add(.get, "/v1/events.ics", ics)
        routes.add(.get, "/v1/events/{id}", get)
        routes.add(.patch, "/v1/events/{id}", update)
        routes.add(.delete, "/v1/events/{id}", delete)
    }

    static func find(_ id: UUID, on connection: PQConnection, forUpdate: Bool = false) async throws -> Event? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("SELECT \(Event.columns) FROM events e WHERE e.id = \(id)\(lock)").first.map(Event.init(row:))
    }

    static func all(kind: EventKind?, unit: UUID?, on connection: PQConnection) async throws -> [Event] {
        var conditions: [PQQuery] = ["true"]
        if let kind { conditions.append("e.kind = \(kind.rawValue)::event_kind") }
        // A unit's feed: its own events and the city-wide ones (no organiser).
        if let unit { conditions.append("(e.organiser_unit_id = \(unit) OR e.organiser_unit_id IS NULL)") }
        return try await connection.query("""
            SELECT \(Event.columns) FROM events e WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY e.title COLLATE "vi-x-icu", e.id
            """).map(Event.init(row:))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let kind = query.enumeration("kind", EventKind.self)
        let unit = query.uuid("organiser_unit_id")
        let page = query.page()
        try query.finish()
        var conditions: [PQQuery] = ["true"]
        if let kind { conditions.append("e.kind = \(kind.rawValue)::event_kind") }
        if let unit { conditions.append("e.organiser_unit_id = \(unit)") }
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "events") { cursor, limit in
            var condition = filter
            if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]) {
                condition = condition + " AND (e.title COLLATE \"vi-x-icu\", e.id) > (\(cursor[0])::text COLLATE \"vi-x-icu\", \(id))"
            }
            let events = try await pool.query("""
                SELECT \(Event.columns) FROM events e WHERE \(condition) ORDER BY e.title COLLATE "vi-x-icu", e.id LIMIT \(limit + 1)
                """).map(Event.init(row:))
            return Pagination.cut(events, limit: limit) { [$0.title, $0.id] }
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

    static func expand(_ events: [Event], from: CalendarDate, to: CalendarDate) -> [Occurrence] {
        events.flatMap { $0.occurrences(from: from, to: to) }
            .sorted { ($0.date, $0.title, $0.eventId) < ($1.date, $1.title, $1.eventId) }
    }

    @Sendable func occurrences(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let window = Self.window(&query)
        let kind = query.enumeration("kind", EventKind.self)
        let unit = query.uuid("unit_id")
        try query.finish()
        let events = try await pool.withConnection { try await Self.all(kind: kind, unit: unit, on: $0) }
        let occurrences = Self.expand(events, from: window.from, to: window.to)
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(
                header: ["date", "end_date", "title", "kind", "anniversary", "event_id", "code", "organiser_unit_id"],
                rows: occurrences.map { [$0.date.description, $0.endDate?.description, $0.title, $0.kind.rawValue,
                                         $0.anniversary.map(String.init), $0.eventId, $0.code, $0.organiserUnitId] },
                filename: "occurrences")
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
        let events = try await pool.withConnection { try await Self.all(kind: nil, unit: unit, on: $0) }
        let text = ICalendar.calendar(name: "Lịch thông tin đối ngoại - Sở GD&ĐT Hải Phòng",
                                      occurrences: Self.expand(events, from: from, to: to), stamp: Date())
        var headers = HTTPFields()
        headers[.contentType] = "text/calendar; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the event")
        try QueryReader(request).finish()
        guard let event = try await pool.withConnection({ try await Self.find(id, on: $0) }) else { throw Problem.notFound("the event") }
        return try Conditional.resource(event, etag: event.etag, request: request)
    }

    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "events_schedule":
            return FieldError("recurrence", "a yearly event needs a real month and day (and end_month with end_day for a range); a one-off event needs starts_on, and ends_on on or after it; nothing else")
        case "events_code_key": return FieldError("code", "is already used by another event")
        case "events_organiser_fkey": return FieldError("organiser_unit_id", "does not name an existing unit")
        case "event_tasks_task_fkey": return FieldError("plan_task_ids", "every id must name an existing plan task")
        default: return nil
        }
    }

    static func save(_ f: EventFields, current: Event?, on connection: PQConnection) async throws -> UUID {
        let id: UUID
        if let current {
            id = UUID(uuidString: current.id)!
            _ = try await connection.query("""
                UPDATE events e SET code = \(f.code.merged(into: current.code)), title = \(f.title.merged(into: current.title)),
                    kind = \(f.kind.merged(into: current.kind)?.rawValue)::event_kind,
                    recurrence = \(f.recurrence.merged(into: current.recurrence)?.rawValue),
                    month = \(f.month.merged(into: current.month)), day = \(f.day.merged(into: current.day)),
                    end_month = \(f.endMonth.merged(into: current.endMonth)), end_day = \(f.endDay.merged(into: current.endDay)),
                    starts_on = \(f.startsOn.merged(into: current.startsOn)), ends_on = \(f.endsOn.merged(into: current.endsOn)),
                    founding_year = \(f.foundingYear.merged(into: current.foundingYear)),
                    description = \(f.description.merged(into: current.description)),
                    organiser_unit_id = \(f.organiserUnitID.merged(into: current.organiserUnitId.flatMap(UUID.init(uuidString:)))),
                    updated_at = now(), version = e.version + 1
                WHERE e.id = \(id)
                """)
        } else {
            id = try await connection.query("""
                INSERT INTO events (code, title, kind, recurrence, month, day, end_month, end_day, starts_on, ends_on,
                                    founding_year, description, organiser_unit_id)
                VALUES (\(f.code.value), \(f.title.value), \(f.kind.value?.rawValue)::event_kind, \(f.recurrence.value?.rawValue),
                        \(f.month.value), \(f.day.value), \(f.endMonth.value), \(f.endDay.value), \(f.startsOn.value), \(f.endsOn.value),
                        \(f.foundingYear.value), \(f.description.value), \(f.organiserUnitID.value))
                RETURNING id
                """)[0].decode("id")
        }
        if let tasks = f.planTaskIDs.isAbsent ? nil : (f.planTaskIDs.value ?? []) {
            _ = try await connection.query("DELETE FROM event_tasks WHERE event_id = \(id)")
            _ = try await connection.query("INSERT INTO event_tasks (event_id, task_id) SELECT \(id), unnest(\(tasks))")
        }
        return id
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.caller.requireAdmin("create events")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        var reader = try InputReader(try JSONBody.parse(body))
        let fields = EventFields(reading: &reader)
        _ = reader.required("title", fields.title)
        _ = reader.required("kind", fields.kind)
        _ = reader.required("recurrence", fields.recurrence)
        try reader.finish()
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let event = try await explainingConstraints(Self.explain) { () -> Event in
                let id = try await Self.save(fields, current: nil, on: write.connection)
                return try await Self.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("events", id: event.id, action: "create", before: Event?.none, after: event))
            return try StoredResponse.json(event, status: .created, headers: ["Location": "/v1/events/\(event.id)", "ETag": event.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the event")
        try context.caller.requireAdmin("change events")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let fields = EventFields(reading: &reader)
        try reader.finish()
        let event = try await context.write(pool) { write -> Event in
            guard let current = try await Self.find(id, on: write.connection, forUpdate: true) else { throw Problem.notFound("the event") }
            try Conditional.checkIfMatch(request, etag: current.etag)
            let updated = try await explainingConstraints(Self.explain) { () -> Event in
                _ = try await Self.save(fields, current: current, on: write.connection)
                return try await Self.find(id, on: write.connection)!
            }
            try await write.audit(AuditEntry("events", id: updated.id, action: "update", before: current, after: updated))
            return updated
        }
        return try Conditional.resource(event, etag: event.etag, request: request)
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try pathID(context, what: "the event")
        try context.caller.requireAdmin("delete events")
        try await context.write(pool) { write in
            guard let current = try await Self.find(id, on: write.connection, forUpdate: true) else { throw Problem.notFound("the event") }
            try Conditional.checkIfMatch(request, etag: current.etag)
            _ = try await write.query("DELETE FROM events WHERE id = \(id)")
            try await write.audit(AuditEntry("events", id: current.id, action: "delete", before: current, after: Event?.none))
        }
        return Response(status: .noContent)
    }
}
