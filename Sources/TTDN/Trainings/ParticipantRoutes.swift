import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `/v1/training-sessions/{id}/participants`: registration with a waitlist, cancellation that
/// promotes the first waitlisted person, attendance recorded by the organiser (admin).
struct ParticipantRoutes {
    let pool: PQPool

    func register(_ routes: Routes) {
        routes.publishChanges(of: Participant.self)
        routes.list("/v1/training-sessions/{id}/participants", list)
        routes.add(.post, "/v1/training-sessions/{id}/participants", create)
        routes.add(.post, "/v1/training-sessions/{id}/participants/import", importCSV)
        routes.add(.get, "/v1/training-sessions/{id}/participants/{participant_id}", get)
        routes.add(.patch, "/v1/training-sessions/{id}/participants/{participant_id}", update)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try pathID(context, what: TrainingRepository.noun)
        var query = QueryReader(request)
        let filter = ParticipantFilter(state: query.enumeration("state", ParticipantState.self), unitID: query.uuid("unit_id"))
        let page = query.page()
        try query.finish()
        guard try await pool.withSharedConnection({ try await TrainingRepository.find(session, on: $0) }) != nil else {
            throw Problem.notFound(TrainingRepository.noun)
        }
        let pool = self.pool
        return try await Pagination.list(request: request, page: page, filename: "participants") { cursor, limit in
            try await pool.withSharedConnection {
                try await ParticipantRepository.list(session: session, filter, after: cursor, limit: limit, on: $0)
            }
        }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Response {
        let session = try pathID(context, what: TrainingRepository.noun)
        let id = try pathID(context, "participant_id", what: ParticipantRepository.noun)
        try QueryReader(request).finish()
        guard let participant = try await pool.withSharedConnection({ try await ParticipantRepository.find(id, session: session, on: $0) }) else {
            throw Problem.notFound(ParticipantRepository.noun)
        }
        return try Conditional.resource(participant, etag: participant.etag, request: request)
    }

    /// The session, locked for this transaction: registrations and changes of one session
    /// queue behind each other, so its count of seats is exact.
    static func lockSession(_ id: UUID, write: Write) async throws -> TrainingSession {
        guard let session = try await TrainingRepository.find(id, forUpdate: true, on: write.connection) else {
            throw Problem.notFound(TrainingRepository.noun)
        }
        return session
    }

    /// An editor registers, and changes the registrations of, people of its own unit (and the
    /// units below it); an admin anyone's.
    static func requireWithinOwnUnit(_ unit: UUID, write: Write, _ refusal: String) async throws {
        guard let caller = write.principal, !caller.isAdmin else { return }
        guard let own = caller.unitID, try await Scope.unit(unit, isWithin: own, on: write.connection) else {
            throw Problem.forbidden(refusal)
        }
    }

    static func authorizeRegistration(_ registration: Registration, write: Write) async throws {
        try await requireWithinOwnUnit(registration.unitID, write: write, "an editor registers people of its own unit only")
    }

    static func authorizeChange(_ current: Participant, write: Write) async throws {
        try await requireWithinOwnUnit(current.unitId, write: write, "an editor changes registrations of its own unit only")
    }

    /// Registers one person on a session this transaction has locked (`lockSession`).
    static func register(_ registration: Registration, session: TrainingSession, write: Write) async throws -> Participant {
        switch session.status {
        case .cancelled: throw Problem.conflict("the session is cancelled", slug: "registration-closed")
        case .closed, .held:
            throw Problem.conflict("registration for this session is closed (status \(session.status.rawValue))", slug: "registration-closed")
        case .planned, .open: break
        }
        if let deadline = session.registrationDeadline, HaiPhong.today() > deadline {
            throw Problem.conflict("the registration deadline (\(deadline)) has passed", slug: "registration-closed")
        }
        try await authorizeRegistration(registration, write: write)
        // The session row is locked, so this count is exact; the CHECK on registered_count backs it.
        let state: ParticipantState = session.registeredCount < session.capacity ? .registered : .waitlisted
        let participant: Participant
        do {
            participant = try await ParticipantRepository.explaining {
                try await ParticipantRepository.insert(registration, session: session.id, state: state, on: write.connection)
            }
        } catch let error as PQError where ParticipantRepository.isAlreadyRegistered(error) {
            throw Problem.conflict(
                "\(registration.email) is already registered for this session", slug: "already-registered",
                errors: [FieldError("email", "is already registered for this session")])
        }
        try await write.record("register", before: nil, after: participant)
        return participant
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: TrainingRepository.noun)
        try context.caller.requireWriter("register participants")
        let body = try await JSONRequestBody.json(request)
        return try await Idempotency.run(request: request, context: context, pool: pool, body: body.bytes) { write in
            let registration = try await Registration.read(body.value) {
                try await ParticipantRepository.unitID(code: $0, on: write.connection)
            }
            let session = try await Self.lockSession(sessionID, write: write)
            let participant = try await Self.register(registration, session: session, write: write)
            try await Self.recordSessionChange(from: session, write: write)
            return try StoredResponse.json(
                participant, status: .created,
                headers: ["Location": participant.location, "ETag": participant.etag])
        }
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sessionID = try pathID(context, what: TrainingRepository.noun)
        let id = try pathID(context, "participant_id", what: ParticipantRepository.noun)
        let caller = try context.caller
        try caller.requireWriter("change registrations")
        let body = try await JSONRequestBody.mergePatch(request)
        var reader = try body.reader()
        let change = try ParticipantChange(reading: &reader)
        if !change.attendance.isAbsent, !caller.isAdmin { throw Problem.forbidden("only the organiser (admin) records attendance") }
        let participant = try await context.write(pool) { write -> Participant in
            let session = try await Self.lockSession(sessionID, write: write)
            guard let current = try await ParticipantRepository.find(id, session: sessionID, forUpdate: true, on: write.connection) else {
                throw Problem.notFound(ParticipantRepository.noun)
            }
            try await Self.authorizeChange(current, write: write)
            try Conditional.checkIfMatch(request, etag: current.etag)
            var nextState = current.state
            if change.state.value == .cancelled { nextState = .cancelled }
            if current.state == .cancelled, !change.state.isAbsent, change.state.value != .cancelled {
                throw Problem.conflict("a cancelled registration cannot come back; register again", slug: "invalid-transition")
            }
            let nextAttendance = nextState == .cancelled ? nil : change.attendance.merged(into: current.attendance)
            if nextAttendance != nil, nextState != .registered {
                throw Problem.conflict(
                    "attendance is recorded for registered participants only, not \(nextState.rawValue)",
                    slug: "invalid-transition", errors: [FieldError("attendance", "needs a registered participant")])
            }
            if change.attendance.value != nil, session.status == .planned || session.status == .cancelled {
                throw Problem.conflict("attendance is recorded once the session takes place", slug: "invalid-transition")
            }
            let updated = try await ParticipantRepository.update(
                current, state: nextState, attendance: nextAttendance,
                with: change, on: write.connection)
            try await write.record(
                nextState == .cancelled && current.state != .cancelled ? "cancel" : "update",
                before: current, after: updated)
            if current.state == .registered, nextState == .cancelled {
                try await Self.promoteWaitlisted(session: sessionID, write: write)
            }
            try await Self.recordSessionChange(from: session, write: write)
            return updated
        }
        return try Conditional.resource(participant, etag: participant.etag, request: request)
    }

    /// A registration changes the session's counts: the session's own change goes in the audit
    /// log and the change feed too, so that a mirror built from the feed counts what the API does.
    static func recordSessionChange(from before: TrainingSession, write: Write) async throws {
        guard let after = try await TrainingRepository.find(before.id, forUpdate: false, on: write.connection) else { return }
        try await write.record("update", before: before, after: after)
    }

    /// Seats came free (a cancellation, a larger capacity): the first `seats` people on the
    /// waitlist, in order of arrival, take them, in the writing transaction, each with its
    /// `promote` audit row.
    static func promoteWaitlisted(session: UUID, seats: Int = 1, write: Write) async throws {
        for promotion in try await ParticipantRepository.promoteWaitlisted(session: session, seats: seats, on: write.connection) {
            try await write.record("promote", before: promotion.before, after: promotion.after)
        }
    }
}
