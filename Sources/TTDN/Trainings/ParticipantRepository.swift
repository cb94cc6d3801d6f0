import Foundation
import PQ
import TTDNKit

/// Filters of `GET /v1/training-sessions/{id}/participants`.
struct ParticipantFilter: Sendable {
    var state: ParticipantState?
    var unitID: UUID?
}

/// All the SQL of participants: find, list, the registration's insert, changes and the
/// promotion of the waitlist. Constraint names map to the field errors callers see.
enum ParticipantRepository: ResourceRepository {
    static let noun = "the participant"

    /// What a participant is read with: its columns and, while waitlisted, its place on the
    /// waitlist (1 is promoted next).
    static let columns: PQQuery = """
        \(Participant.columns),
        CASE WHEN p.state = 'waitlisted' THEN (SELECT count(*) FROM training_participants w
             WHERE w.session_id = p.session_id AND w.state = 'waitlisted' AND w.seq <= p.seq) END::int8 AS waitlist_position
        """

    /// By id alone; routes find a participant within its session (`find(_:session:forUpdate:on:)`).
    static func find(_ id: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Participant? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query("SELECT \(columns) FROM training_participants p WHERE p.id = \(id)\(lock)")
        return try rows.first.map(Participant.init(row:))
    }

    static func find(_ id: UUID, session: UUID, forUpdate: Bool = false, on connection: PQConnection) async throws -> Participant? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        let rows = try await connection.query(
            """
            SELECT \(columns) FROM training_participants p WHERE p.id = \(id) AND p.session_id = \(session)\(lock)
            """)
        return try rows.first.map(Participant.init(row:))
    }

    /// A session's participants in order of arrival; the cursor is the last one's `seq`.
    static func list(
        session: UUID, _ filter: ParticipantFilter, after cursor: [String]?, limit: Int,
        on connection: PQConnection
    ) async throws -> (participants: [Participant], next: [String]?) {
        var conditions: [PQQuery] = ["p.session_id = \(session)"]
        if let state = filter.state { conditions.append("p.state = \(state)::participant_state") }
        if let unit = filter.unitID { conditions.append("p.unit_id = \(unit)") }
        if let seq = cursor?.first.flatMap(Int.init) { conditions.append("p.seq > \(seq)") }
        let rows = try await connection.query(
            """
            SELECT \(columns), p.seq FROM training_participants p WHERE \(PQQuery.joined(conditions, separator: " AND "))
            ORDER BY p.seq LIMIT \(limit + 1)
            """)
        let items = try rows.map(Participant.init(row:))
        let next = items.count > limit ? [String(try rows[limit - 1].decode("seq", as: Int.self))] : nil
        return (Array(items.prefix(limit)), next)
    }

    /// The unit a registration names by its code (CSV files name units by code).
    static func unitID(code: String, on connection: PQConnection) async throws -> UUID? {
        let rows = try await connection.query("SELECT id FROM units WHERE code = \(code)")
        return try rows.first?.decode("id")
    }

    /// Inserts a registration in `state`, on a session the caller has locked.
    static func insert(
        _ registration: Registration, session: UUID, state: ParticipantState,
        on connection: PQConnection
    ) async throws -> Participant {
        let rows = try await connection.query(
            """
            INSERT INTO training_participants AS p (session_id, full_name, unit_id, position, email, phone, state)
            VALUES (\(session), \(registration.fullName), \(registration.unitID), \(registration.position),
                    \(registration.email), \(registration.phone), \(state)::participant_state)
            RETURNING p.id
            """)
        // Read back: the waitlist position counts rows the INSERT's own snapshot cannot see.
        guard let participant = try await find(try rows[0].decode("id"), session: session, on: connection) else {
            throw PQError(kind: .decoding, message: "the inserted participant could not be read back")
        }
        return participant
    }

    /// Applies a change to `current`: the next state and attendance as decided by the caller,
    /// the name, position and phone as a merge patch.
    static func update(
        _ current: Participant, state: ParticipantState, attendance: Attendance?, with change: ParticipantChange,
        on connection: PQConnection
    ) async throws -> Participant {
        let rows = try await connection.query(
            """
            UPDATE training_participants p SET state = \(state)::participant_state,
                attendance = \(attendance)::attendance_mark,
                full_name = \(change.fullName.merged(into: current.fullName)), position = \(change.position.merged(into: current.position)),
                phone = \(change.phone.merged(into: current.phone)), updated_at = now(), version = p.version + 1
            WHERE p.id = \(current.id) RETURNING \(columns)
            """)
        return try Participant(row: rows[0])
    }

    /// The first `count` people on a session's waitlist, in order of arrival, locked.
    static func waitlisted(session: UUID, first count: Int, on connection: PQConnection) async throws -> [Participant] {
        try await connection.query(
            """
            SELECT \(columns) FROM training_participants p
            WHERE p.session_id = \(session) AND p.state = 'waitlisted' ORDER BY p.seq LIMIT \(count) FOR UPDATE
            """
        ).map(Participant.init(row:))
    }

    /// Moves a waitlisted person up to registered.
    static func promote(_ person: Participant, on connection: PQConnection) async throws -> Participant {
        let rows = try await connection.query(
            """
            UPDATE training_participants p SET state = 'registered', updated_at = now(), version = p.version + 1
            WHERE p.id = \(person.id) RETURNING \(columns)
            """)
        return try Participant(row: rows[0])
    }

    /// Seats came free (a cancellation, a larger capacity): the first `seats` people on the
    /// waitlist, in order of arrival, take them. Returns each promotion, before and after.
    static func promoteWaitlisted(session: UUID, seats: Int, on connection: PQConnection) async throws -> [(before: Participant, after: Participant)]
    {
        guard seats > 0 else { return [] }
        var promoted: [(before: Participant, after: Participant)] = []
        for person in try await waitlisted(session: session, first: seats, on: connection) {
            promoted.append((person, try await promote(person, on: connection)))
        }
        return promoted
    }

    /// The person already holds a live registration for the session (one per email).
    static func isAlreadyRegistered(_ error: PQError) -> Bool {
        error.constraint == "training_participants_one_per_email"
    }

    /// The field error a database constraint stands for, if it is one of ours.
    static func explain(_ error: PQError) -> FieldError? {
        switch error.constraint {
        case "training_participants_unit_fkey": return FieldError("unit_id", "does not name an existing unit")
        default: return nil
        }
    }
}
