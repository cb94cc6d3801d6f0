import Foundation
import Hummingbird
import NIOCore
import PQ

public enum ParticipantState: String, CaseIterable, Codable, Sendable { case registered, waitlisted, cancelled }
public enum Attendance: String, CaseIterable, Codable, Sendable { case present, late, excused, absent }

public struct Participant: Codable, Sendable {
    public var id: String
    public var sessionId: String
    public var fullName: String
    public var unitId: String
    public var position: String?
    public var email: String
    public var phone: String?
    public var state: ParticipantState
    /// 1 for the next person to be promoted; null unless waitlisted.
    public var waitlistPosition: Int?
    public var attendance: Attendance?
    public var registeredAt: Date
    public var updatedAt: Date
    public var version: Int

    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(unescaped: """
        p.id, p.session_id, p.full_name, p.unit_id, p.position, p.email, p.phone, p.state::text AS state,
        CASE WHEN p.state = 'waitlisted' THEN (SELECT count(*) FROM training_participants w
             WHERE w.session_id = p.session_id AND w.state = 'waitlisted' AND w.seq <= p.seq) END::int8 AS waitlist_position,
        p.attendance::text AS attendance, p.registered_at, p.updated_at, p.version
        """)

    init(row: PQRow) throws {
        id = try row.decode("id", as: UUID.self).lowercased
        sessionId = try row.decode("session_id", as: UUID.self).lowercased
        fullName = try row.decode("full_name")
        unitId = try row.decode("unit_id", as: UUID.self).lowercased
        position = try row.decode("position")
        email = try row.decode("email")
        phone = try row.decode("phone")
        state = ParticipantState(rawValue: try row.decode("state"))!
        waitlistPosition = try row.decode("waitlist_position")
        attendance = try row.decode("attendance", as: String?.self).flatMap(Attendance.init(rawValue:))
        registeredAt = try row.decode("registered_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// A registration as sent: by unit id (JSON) or unit code (CSV).
struct Registration {
    var fullName: String
    var unitID: UUID
    var position: String?
    var email: String
    var phone: String?

    /// Reads one registration; `unit_code` is accepted in place of `unit_id`.
    static func read(_ value: JSONValue, prefix: String = "", connection: PQConnection? = nil) async throws -> Registration {
        var reader = try InputReader(value, prefix: prefix)
        let name = reader.required("full_name", reader.string("full_name", maxLength: 200))
        var unit = reader.uuid("unit_id").value
        let unitCode = reader.string("unit_code", maxLength: 64).value
        let position = reader.string("position", maxLength: 200).value
        let email = reader.required("email", reader.email("email"))
        let phone = reader.phone("phone").value
        if unit == nil, let unitCode, let connection {
            let rows = try await connection.query("SELECT id FROM units WHERE code = \(unitCode)")
            if let row = rows.first { unit = try row.decode("id") } else { reader.fail("unit_code", "no unit has this code") }
        }
        if unit == nil, unitCode == nil { _ = reader.required("unit_id", Field<UUID>.absent) }
        try reader.finish(readOnly: ["id", "state", "attendance", "registered_at", "updated_at", "version", "session_id", "waitlist_position"])
        guard let name, let email, let unit else { throw Problem.validation([FieldError("unit_code", "no unit has this code")]) }
        return Registration(fullName: name, unitID: unit, position: position, email: email.lowercased(), phone: phone)
    }
}

/// `/v1/training-sessions/{id}/participants`: registration with a waitlist, cancellation that
/// promotes the first waitlisted person, attendance recorded by the organiser (admin).
struct ParticipantRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.add(.get, "/v1/training-sessions/{id}/participants", list)
        routes.add(.post, "/v1/training-sessions/{id}/participants", create)
        routes.add(.post, "/v1/training-sessions/{id}/participants/import", importCSV)
        routes.add(.get, "/v1/training-sessions/{id}/participants/{participant_id}", get)
        routes.add(.patch, "/v1/training-sessions/{id}/participants/{participant_id}", update)
    }

    static func find(_ id: UUID, session: UUID, on connection: PQConnection, forUpdate: Bool = false) async throws -> Participant? {
        let lock = PQQuery(unescaped: forUpdate ? " FOR UPDATE" : "")
        return try await connection.query("""
            SELECT \(Participant.columns) FROM training_participants p WHERE p.id = \(id) AND p.session_id = \(session)\(lock)
            """).first.map(Participant.init(row:))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try pathID(context, what: "the training session")
        var query = QueryReader(request)
        let state = query.enumeration("state", ParticipantState.self)
        let unit = query.uuid("unit_id")
        let page = query.page()
        try query.finish()
        var conditions: [PQQuery] = ["p.session_id = \(session)"]
        if let state { conditions.append("p.state = \(state.rawValue)::participant_state") }
        if let unit { conditions.append("p.unit_id = \(unit)") }
        guard try await pool.withConnection({ try await TrainingRoutes.find(session, on: $0) }) != nil else {
            throw Problem.notFound("the training session")
        }
        let pool = self.pool, filter = PQQuery.joined(conditions, separator: " AND ")
        return try await Pagination.list(request: request, page: page, filename: "participants") { cursor, limit in
            var condition = filter
            if let seq = cursor?.first.flatMap(Int.init) { condition = condition + " AND p.seq > \(seq)" }
            let rows = try await pool.query("""
                SELECT \(Participant.columns), p.seq FROM training_participants p WHERE \(condition) ORDER BY p.seq LIMIT \(limit + 1)
                """)
            let items = try rows.map(Participant.init(row:))
            let next = items.count > limit ? [String(try rows[limit - 1].decode("seq", as: Int.self))] : nil
            return (Array(items.prefix(limit)), next)
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try pathID(context, what: "the training session")
        let id = try pathID(context, "participant_id", what: "the participant")
        try QueryReader(request).finish()
        guard let participant = try await pool.withConnection({ try await Self.find(id, session: session, on: $0) }) else {
            throw Problem.notFound("the participant")
        }
        return try Conditional.resource(participant, etag: participant.etag, request: request)
    }

    /// Registers one person on a session already locked FOR UPDATE by this transaction.
    static func register(_ registration: Registration, session: TrainingSession, write: Write) async throws -> Participant {
        switch session.status {
        case .cancelled: throw Problem.conflict("the session is cancelled", slug: "registration-closed")
        case .closed, .held: throw Problem.conflict("registration for this session is closed (status \(session.status.rawValue))", slug: "registration-closed")
        case .planned, .open: break
        }
        if let deadline = session.registrationDeadline, HaiPhong.today() > deadline {
            throw Problem.conflict("the registration deadline (\(deadline)) has passed", slug: "registration-closed")
        }
        if let caller = write.principal, !caller.isAdmin {
            guard let own = caller.unitID, try await Scope.unit(registration.unitID, isWithin: own, on: write.connection) else {
                throw Problem.forbidden("an editor registers people of its own unit only")
            }
        }
        // The session row is locked, so this count is exact; the CHECK on registered_count backs it.
        let state: ParticipantState = session.registeredCount < session.capacity ? .registered : .waitlisted
        let participant: Participant
        do {
            let rows = try await write.query("""
                INSERT INTO training_participants AS p (session_id, full_name, unit_id, position, email, phone, state)
                VALUES (\(UUID(uuidString: session.id)!), \(registration.fullName), \(registration.unitID), \(registration.position),
                        \(registration.email), \(registration.phone), \(state.rawValue)::participant_state)
                RETURNING p.id
                """)
            // Read back: the waitlist position counts rows the INSERT's own snapshot cannot see.
            participant = try await Self.find(try rows[0].decode("id"), session: UUID(uuidString: session.id)!, on: write.connection)!
        } catch let error as PQError where error.constraint == "training_participants_one_per_email" {
            throw Problem.conflict("\(registration.email) is already registered for this session", slug: "already-registered",
                                   errors: [FieldError("email", "is already registered for this session")])
        } catch let error as PQError where error.constraint == "training_participants_unit_fkey" {
            throw Problem.validation([FieldError("unit_id", "does not name an existing unit")])
        }
        try await write.audit(AuditEntry("training_participants", id: participant.id, action: "register", before: Participant?.none, after: participant))
        return participant
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: "the training session")
        try context.caller.requireWriter("register participants")
        try JSONBody.requireJSON(request)
        let body = try await JSONBody.collect(request)
        let value = try JSONBody.parse(body)
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body) { write in
            let registration = try await Registration.read(value, connection: write.connection)
            guard let session = try await TrainingRoutes.find(sessionID, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the training session")
            }
            let participant = try await Self.register(registration, session: session, write: write)
            return try StoredResponse.json(participant, status: .created, headers: [
                "Location": "/v1/training-sessions/\(session.id)/participants/\(participant.id)", "ETag": participant.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: "the training session")
        let id = try pathID(context, "participant_id", what: "the participant")
        let caller = try context.caller
        try caller.requireWriter("change registrations")
        let value = try await JSONBody.read(request, context: context, mediaTypes: ["application/merge-patch+json", "application/json"])
        var reader = try InputReader(value)
        let state = reader.enumeration("state", ParticipantState.self)
        let attendance = reader.enumeration("attendance", Attendance.self)
        let fullName = reader.string("full_name", maxLength: 200)
        let position = reader.string("position", maxLength: 200)
        let phone = reader.phone("phone")
        if case .null = fullName { reader.fail("full_name", "must not be null") }
        reader.notNull("state", state)
        if let state = state.value, state != .cancelled {
            reader.fail("state", "can only be set to cancelled; the waitlist decides registered or waitlisted")
        }
        try reader.finish(readOnly: ["id", "session_id", "unit_id", "email", "registered_at", "updated_at", "version", "waitlist_position"])
        if !attendance.isAbsent, !caller.isAdmin { throw Problem.forbidden("only the organiser (admin) records attendance") }
        let participant = try await context.write(pool) { write -> Participant in
            guard let session = try await TrainingRoutes.find(sessionID, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the training session")
            }
            guard let current = try await Self.find(id, session: sessionID, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the participant")
            }
            if !caller.isAdmin {
                guard let own = caller.unitID, try await Scope.unit(UUID(uuidString: current.unitId)!, isWithin: own, on: write.connection) else {
                    throw Problem.forbidden("an editor changes registrations of its own unit only")
                }
            }
            try Conditional.checkIfMatch(request, etag: current.etag)
            var nextState = current.state
            if state.value == .cancelled { nextState = .cancelled }
            if current.state == .cancelled, !state.isAbsent, state.value != .cancelled {
                throw Problem.conflict("a cancelled registration cannot come back; register again", slug: "invalid-transition")
            }
            let nextAttendance = nextState == .cancelled ? nil : attendance.merged(into: current.attendance)
            if nextAttendance != nil, nextState != .registered {
                throw Problem.conflict("attendance is recorded for registered participants only, not \(nextState.rawValue)",
                                       slug: "invalid-transition", errors: [FieldError("attendance", "needs a registered participant")])
            }
            if attendance.value != nil, session.status == .planned || session.status == .cancelled {
                throw Problem.conflict("attendance is recorded once the session takes place", slug: "invalid-transition")
            }
            let rows = try await write.query("""
                UPDATE training_participants p SET state = \(nextState.rawValue)::participant_state,
                    attendance = \(nextAttendance?.rawValue)::attendance_mark,
                    full_name = \(fullName.merged(into: current.fullName)), position = \(position.merged(into: current.position)),
                    phone = \(phone.merged(into: current.phone)), updated_at = now(), version = p.version + 1
                WHERE p.id = \(id) RETURNING \(Participant.columns)
                """)
            let updated = try Participant(row: rows[0])
            try await write.audit(AuditEntry("training_participants", id: updated.id,
                                             action: nextState == .cancelled && current.state != .cancelled ? "cancel" : "update",
                                             before: current, after: updated))
            if current.state == .registered, nextState == .cancelled {
                try await Self.promoteWaitlisted(session: sessionID, write: write)
            }
            return updated
        }
        return try Conditional.resource(participant, etag: participant.etag, request: request)
    }

    /// Seats came free (a cancellation, a larger capacity): the first `seats` people on the
    /// waitlist, in order of arrival, take them, in the writing transaction.
    static func promoteWaitlisted(session: UUID, seats: Int = 1, write: Write) async throws {
        guard seats > 0 else { return }
        let waiting = try await write.query("""
            SELECT \(Participant.columns) FROM training_participants p
            WHERE p.session_id = \(session) AND p.state = 'waitlisted' ORDER BY p.seq LIMIT \(seats) FOR UPDATE
            """).map(Participant.init(row:))
        for person in waiting {
            let after = try await write.query("""
                UPDATE training_participants p SET state = 'registered', updated_at = now(), version = p.version + 1
                WHERE p.id = \(UUID(uuidString: person.id)!) RETURNING \(Participant.columns)
                """)
            try await write.audit(AuditEntry("training_participants", id: person.id, action: "promote", before: person,
                                             after: try Participant(row: after[0])))
        }
    }

    struct ImportRow: Encodable, Sendable {
        let row: Int
        let email: String?
        var status: String
        var state: String?
        var errors: [FieldError]
    }

    struct ImportReport: ImportOutcome {
        let dryRun: Bool
        let valid: Bool
        let registered: Int
        let waitlisted: Int
        let rows: [ImportRow]
        var rowErrors: [(row: Int, error: FieldError)] { rows.flatMap { row in row.errors.map { (row.row, $0) } } }
        enum CodingKeys: String, CodingKey { case dryRun, valid, registered, waitlisted, rows }
    }

    /// CSV with a header row: full_name, unit_code (or unit_id), position, email, phone.
    /// `dry_run=true` shows who would be registered or waitlisted; a real run is all-or-nothing.
    @Sendable func importCSV(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: "the training session")
        try context.caller.requireWriter("register participants")
        var query = QueryReader(request)
        let dryRun = query.bool("dry_run") ?? false
        try query.finish()
        try JSONBody.requireJSON(request, mediaTypes: ["text/csv"])
        let body = try await JSONBody.collect(request)
        let rows = try BulkImport.rows(body, csv: true, what: "participants")
        let apply: (Write) async throws -> ImportReport = { write in
            guard let session = try await TrainingRoutes.find(sessionID, on: write.connection, forUpdate: true) else {
                throw Problem.notFound("the training session")
            }
            var results: [ImportRow] = []
            var current = session
            for (offset, value) in rows.enumerated() {
                var result = ImportRow(row: offset + 1, email: nil, status: "invalid", state: nil, errors: [])
                do {
                    let registration = try await Registration.read(value, connection: write.connection)
                    result = ImportRow(row: offset + 1, email: registration.email, status: "invalid", state: nil, errors: [])
                    _ = try await write.query("SAVEPOINT import_row")
                    do {
                        let participant = try await Self.register(registration, session: current, write: write)
                        _ = try await write.query("RELEASE SAVEPOINT import_row")
                        result.status = dryRun ? "valid" : "created"
                        result.state = participant.state.rawValue
                        if participant.state == .registered { current.registeredCount += 1 }
                    } catch let problem as Problem {
                        _ = try await write.query("ROLLBACK TO SAVEPOINT import_row")
                        result.errors = problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
                    }
                } catch let problem as Problem {
                    result.errors = problem.errors.isEmpty ? [FieldError("row", problem.detail)] : problem.errors
                }
                results.append(result)
            }
            let valid = results.allSatisfy { $0.errors.isEmpty }
            return ImportReport(dryRun: dryRun, valid: valid,
                                registered: results.filter { $0.state == "registered" }.count,
                                waitlisted: results.filter { $0.state == "waitlisted" }.count, rows: results)
        }
        return try await BulkImport.run(request: request, context: context, pool: pool, body: body, dryRun: dryRun, apply: apply)
    }
}
