import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/events`.
struct EventFilter: Sendable {
    var kind: EventKind?
    var organiserUnitID: UUID?
}

/// All the SQL of events and their links to plan tasks. Constraint names map to the field
/// errors callers see.
enum EventRepository: WritableRepository, DeletableRepository {
    static let noun = "the event"

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Event? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query("SELECT \(Event.columns) FROM events e WHERE e.id = \(id)\(lock)")
        return try rows.first.map(Event.init(row:))
    }

    /// A page of events by title.
    static func list(
        _ filter: EventFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> ([Event], [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let kind = filter.kind { conditions.append("e.kind = \(kind)::event_kind") }
        if let unit = filter.organiserUnitID { conditions.append("e.organiser_unit_id = \(unit)") }
        if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]) {
            conditions.append("(e.title COLLATE \"vi-x-icu\", e.id) > (\(cursor[0])::text COLLATE \"vi-x-icu\", \(id))")
        }
        let events = try await connection.query(
            """
            SELECT \(Event.columns) FROM events e WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY e.title COLLATE "vi-x-icu", e.id LIMIT \(limit + 1)
            """
        ).map(Event.init(row:))
        return Pagination.cut(events, limit: limit) { [$0.title, $0.id.text] }
    }

    /// Every event of `kind` (any when nil) on the calendar of `unit`: its own events and the
    /// city-wide ones (no organiser); every event when `unit` is nil.
    static func calendar(kind: EventKind?, unit: UUID?, on connection: PQConnection) async throws -> [Event] {
        var conditions: [PQQuery] = ["true"]
        if let kind { conditions.append("e.kind = \(kind)::event_kind") }
        if let unit { conditions.append("(e.organiser_unit_id = \(unit) OR e.organiser_unit_id IS NULL)") }
        return try await connection.query(
            """
            SELECT \(Event.columns) FROM events e WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY e.title COLLATE "vi-x-icu", e.id
            """
        ).map(Event.init(row:))
    }

    static func insert(_ f: EventFields, on connection: PQConnection) async throws -> Event {
        let id: UUID = try await connection.query(
            """
            INSERT INTO events (code, title, kind, recurrence, month, day, end_month, end_day, starts_on, ends_on,
                                founding_year, description, organiser_unit_id)
            VALUES (\(f.code.value), \(f.title.value), \(f.kind.value)::event_kind, \(f.recurrence.value),
                    \(f.month.value), \(f.day.value), \(f.endMonth.value), \(f.endDay.value), \(f.startsOn.value), \(f.endsOn.value),
                    \(f.foundingYear.value), \(f.description.value), \(f.organiserUnitID.value))
            RETURNING id
            """)[0].decode("id")
        try await replaceTasks(of: id, with: f.planTaskIDs, on: connection)
        return try await find(id, on: connection)!
    }

    /// Applies a merge patch to `current`; absent fields stay, null clears.
    static func update(_ current: Event, with f: EventFields, on connection: PQConnection) async throws -> Event {
        _ = try await connection.query(
            """
            UPDATE events e SET code = \(f.code.merged(into: current.code)), title = \(f.title.merged(into: current.title)),
                kind = \(f.kind.merged(into: current.kind))::event_kind,
                recurrence = \(f.recurrence.merged(into: current.recurrence)),
                month = \(f.month.merged(into: current.month)), day = \(f.day.merged(into: current.day)),
                end_month = \(f.endMonth.merged(into: current.endMonth)), end_day = \(f.endDay.merged(into: current.endDay)),
                starts_on = \(f.startsOn.merged(into: current.startsOn)), ends_on = \(f.endsOn.merged(into: current.endsOn)),
                founding_year = \(f.foundingYear.merged(into: current.foundingYear)),
                description = \(f.description.merged(into: current.description)),
                organiser_unit_id = \(f.organiserUnitID.merged(into: current.organiserUnitId)),
                updated_at = now(), version = e.version + 1
            WHERE e.id = \(current.id)
            """)
        try await replaceTasks(of: current.id, with: f.planTaskIDs, on: connection)
        return try await find(current.id, on: connection)!
    }

    /// The plan tasks an event serves: kept when absent, none when null.
    private static func replaceTasks(of id: UUID, with tasks: Field<[UUID]>, on connection: PQConnection) async throws {
        guard !tasks.isAbsent else { return }
        let tasks = tasks.value ?? []
        _ = try await connection.query("DELETE FROM event_tasks WHERE event_id = \(id)")
        _ = try await connection.query("INSERT INTO event_tasks (event_id, task_id) SELECT \(id), unnest(\(tasks))")
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM events WHERE id = \(id)")
    }

    /// The field error a database constraint stands for, if it is one of ours.
    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "events_schedule":
            return FieldError(
                "recurrence",
                "a yearly event needs a real month and day (and end_month with end_day for a range); a one-off event needs starts_on, and ends_on on or after it; nothing else"
            )
        case "events_code_key": return FieldError("code", "is already used by another event")
        case "events_organiser_fkey": return FieldError("organiser_unit_id", "does not name an existing unit")
        case "event_tasks_task_fkey": return FieldError("plan_task_ids", "every id must name an existing plan task")
        default: return nil
        }
    }
}
