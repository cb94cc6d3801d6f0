import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/training-sessions`.
struct TrainingFilter: Sendable {
    var planTaskID: UUID?
    var organiserUnitID: UUID?
    var format: TrainingFormat?
    var status: TrainingStatus?
    /// First and last day (in Hai Phong) of `starts_at`.
    var from: CalendarDate?
    var to: CalendarDate?
    var q: String?
}

/// All the SQL of training sessions, their aggregates included. Constraint names map to the
/// field errors callers see.
enum TrainingRepository: WritableRepository, DeletableRepository {
    static let noun = "the training session"

    /// What a session is read with: its columns and the live count of its waitlist.
    static let columns: PQQuery = """
        \(TrainingSession.columns),
        (SELECT count(*) FROM training_participants p WHERE p.session_id = s.id AND p.state = 'waitlisted')::int8 AS waitlisted_count
        """

    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> TrainingSession? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query("SELECT \(columns) FROM training_sessions s WHERE s.id = \(id)\(lock)")
        return try rows.first.map(TrainingSession.init(row:))
    }

    /// Sessions by start time, those without one last.
    static func list(
        _ filter: TrainingFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> (sessions: [TrainingSession], next: [String]?) {
        var conditions: [PQQuery] = ["true"]
        if let v = filter.planTaskID { conditions.append("s.plan_task_id = \(v)") }
        if let v = filter.organiserUnitID { conditions.append("s.organiser_unit_id = \(v)") }
        if let v = filter.format { conditions.append("s.format = \(v)::training_format") }
        if let v = filter.status { conditions.append("s.status = \(v)::training_status") }
        if let v = filter.from { conditions.append("s.starts_at >= (\(v)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = filter.to { conditions.append("s.starts_at < ((\(v)::date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')") }
        if let v = filter.q { conditions.append("s.search @@ ttdn_search_query(\(v))") }
        if let cursor, cursor.count == 2, let id = UUID(uuidString: cursor[1]) {
            let at = cursor[0].isEmpty ? nil : PQTimestamp.parse(cursor[0])
            conditions.append("(coalesce(s.starts_at, 'infinity'), s.id) > (coalesce(\(at), 'infinity'::timestamptz), \(id))")
        }
        let sessions = try await connection.query(
            """
            SELECT \(columns) FROM training_sessions s WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY coalesce(s.starts_at, 'infinity'), s.id LIMIT \(limit + 1)
            """
        ).map(TrainingSession.init(row:))
        return Pagination.cut(sessions, limit: limit) { [$0.startsAt.map(PQTimestamp.format) ?? "", $0.id.text] }
    }

    static func insert(_ f: TrainingFields, on connection: PQConnection) async throws -> TrainingSession {
        let rows = try await connection.query(
            """
            INSERT INTO training_sessions AS s (title, topic, content_summary, audience, organiser_unit_id, plan_task_id, format, venue,
                online_url, starts_at, ends_at, planned_year, planned_quarter, expected_min, expected_max, capacity,
                registration_deadline, status)
            VALUES (\(f.title.value), \(f.topic.value), \(f.contentSummary.value), \(f.audience.value), \(f.organiserUnitID.value),
                \(f.planTaskID.value), \(f.format.value)::training_format, \(f.venue.value), \(f.onlineURL.value),
                \(f.startsAt.value), \(f.endsAt.value), \(f.plannedYear.value), \(f.plannedQuarter.value), \(f.expectedMin.value),
                \(f.expectedMax.value), \(f.capacity.value), \(f.registrationDeadline.value),
                \(f.status.value ?? .planned)::training_status)
            RETURNING \(columns)
            """)
        return try TrainingSession(row: rows[0])
    }

    /// Applies a merge patch to `c`; absent fields stay, null clears.
    static func update(_ c: TrainingSession, with f: TrainingFields, on connection: PQConnection) async throws -> TrainingSession {
        let rows = try await connection.query(
            """
            UPDATE training_sessions s SET
                title = \(f.title.merged(into: c.title)), topic = \(f.topic.merged(into: c.topic)),
                content_summary = \(f.contentSummary.merged(into: c.contentSummary)), audience = \(f.audience.merged(into: c.audience)),
                organiser_unit_id = \(f.organiserUnitID.merged(into: c.organiserUnitId)),
                plan_task_id = \(f.planTaskID.merged(into: c.planTaskId)),
                format = \(f.format.merged(into: c.format))::training_format,
                venue = \(f.venue.merged(into: c.venue)), online_url = \(f.onlineURL.merged(into: c.onlineUrl)),
                starts_at = \(f.startsAt.merged(into: c.startsAt)), ends_at = \(f.endsAt.merged(into: c.endsAt)),
                planned_year = \(f.plannedYear.merged(into: c.plannedYear)), planned_quarter = \(f.plannedQuarter.merged(into: c.plannedQuarter)),
                expected_min = \(f.expectedMin.merged(into: c.expectedMin)), expected_max = \(f.expectedMax.merged(into: c.expectedMax)),
                capacity = \(f.capacity.merged(into: c.capacity)),
                registration_deadline = \(f.registrationDeadline.merged(into: c.registrationDeadline)),
                status = \(f.status.merged(into: c.status))::training_status,
                updated_at = now(), version = s.version + 1
            WHERE s.id = \(c.id)
            RETURNING \(columns)
            """)
        return try TrainingSession(row: rows[0])
    }

    static func delete(_ id: UUID, on connection: PQConnection) async throws {
        _ = try await connection.query("DELETE FROM training_sessions WHERE id = \(id)")
    }

    /// The field error a database constraint stands for, if it is one of ours.
    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "training_sessions_organiser_fkey": return FieldError("organiser_unit_id", "does not name an existing unit")
        case "training_sessions_task_fkey": return FieldError("plan_task_id", "does not name an existing plan task")
        case "training_sessions_capacity_held": return FieldError("capacity", "is below the number of people already registered")
        case "training_sessions_times": return FieldError("ends_at", "must be after starts_at")
        case "training_sessions_expected": return FieldError("expected_max", "must be at least expected_min")
        case "training_sessions_quarter_needs_year": return FieldError("planned_quarter", "needs planned_year")
        default: return nil
        }
    }

    // MARK: Aggregates

    /// A session belongs to the year it starts in (in Hai Phong), or to its planned year.
    static func inYear(_ year: Int) -> PQQuery {
        """
        coalesce(extract(year FROM s.starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int, s.planned_year) = \(year)
        """
    }

    /// `GET /v1/aggregates/trainings?year=`: the year's sessions and the units that sent people.
    static func aggregate(year: Int, on connection: PQConnection) async throws -> TrainingAggregate {
        TrainingAggregate(
            year: year, sessions: try await sessionLines(year: year, on: connection),
            units: try await unitLines(year: year, on: connection))
    }

    /// Per session of the year: registrations, waitlist and attendance.
    static func sessionLines(year: Int, on connection: PQConnection) async throws -> [TrainingAggregate.SessionLine] {
        try await connection.query(
            """
            SELECT s.id, s.title, s.status, s.starts_at, s.capacity, s.expected_min, s.expected_max,
                   count(*) FILTER (WHERE p.state = 'registered')::int8 AS registered,
                   count(*) FILTER (WHERE p.state = 'waitlisted')::int8 AS waitlisted,
                   count(*) FILTER (WHERE p.state = 'registered' AND p.attendance IN ('present', 'late'))::int8 AS attended
            FROM training_sessions s LEFT JOIN training_participants p ON p.session_id = s.id
            WHERE \(inYear(year))
            GROUP BY s.id ORDER BY s.starts_at NULLS LAST, s.id
            """
        ).map(TrainingAggregate.SessionLine.init(row:))
    }

    static func hasAttendance(_ session: UUID, on connection: PQConnection) async throws -> Bool {
        try await connection.query("SELECT 1 FROM training_participants WHERE session_id = \(session) AND attendance IS NOT NULL LIMIT 1")
            .count == 1
    }

    /// Per unit: people registered in the year's sessions that were not cancelled, people
    /// trained by them (`trained_participants`, the one definition the reports' prefill and the
    /// plan's roll-up use too), and whether the unit is one expected to send people (a
    /// reporting unit valid in the year).
    static func unitLines(year: Int, on connection: PQConnection) async throws -> [(line: TrainingAggregate.UnitLine, expectedToSend: Bool)] {
        try await connection.query(
            """
            SELECT u.id, u.code, u.name,
                   count(p.id) FILTER (WHERE p.state = 'registered')::int8 AS registered,
                   count(tp.participant_id)::int8 AS trained,
                   (u.kind IN ('district_office', 'high_school', 'continuing_education_center')
                    AND (u.valid_from IS NULL OR u.valid_from <= make_date(\(year)::int, 12, 31))
                    AND (u.valid_to IS NULL OR u.valid_to >= make_date(\(year)::int, 1, 1))) AS expected_to_send
            FROM units u
            LEFT JOIN (training_participants p JOIN training_sessions s ON s.id = p.session_id AND s.status <> 'cancelled' AND \(inYear(year)))
                   ON p.unit_id = u.id
            LEFT JOIN trained_participants tp ON tp.participant_id = p.id
            GROUP BY u.id
            ORDER BY u.name COLLATE "vi-x-icu", u.id
            """
        ).map { (try TrainingAggregate.UnitLine(row: $0), try $0.decode("expected_to_send", as: Bool.self)) }
    }
}

extension TrainingRepository {
    /// One session held in a window, with the people it trained (`trained_participants`).
    struct HeldSession: Sendable {
        let id: UUID
        let title: String
        let heldOn: CalendarDate
        let expectedMin: Int?
        let expectedMax: Int?
        let trained: Int
    }

    /// The sessions held between `from` and `to` (by the day held, `ttdn_session_held_on`).
    static func heldSessions(from: CalendarDate, to: CalendarDate, on connection: PQConnection) async throws -> [HeldSession] {
        try await connection.query(
            """
            SELECT s.id, s.title, ttdn_session_held_on(s.status, s.starts_at, s.ends_at, s.planned_year, s.planned_quarter) AS held_on,
                   s.expected_min, s.expected_max, (SELECT count(*) FROM trained_participants tp WHERE tp.session_id = s.id)::int8 AS trained
            FROM training_sessions s
            WHERE ttdn_session_held_on(s.status, s.starts_at, s.ends_at, s.planned_year, s.planned_quarter) BETWEEN \(from) AND \(to)
            ORDER BY held_on, s.id
            """
        ).map {
            HeldSession(
                id: try $0.decode("id"), title: try $0.decode("title"), heldOn: try $0.decode("held_on"),
                expectedMin: try $0.decode("expected_min"), expectedMax: try $0.decode("expected_max"), trained: try $0.decode("trained"))
        }
    }
}
