import Foundation
import PQ
import TTDNKit

public enum ParticipantState: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case registered, waitlisted, cancelled }
public enum Attendance: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case present, late, excused, absent }

/// A person registered for (or waiting for, or cancelled from) a training session.
public struct Participant: Codable, Sendable, StoredResource {
    public var id: UUID
    public var sessionId: UUID
    public var fullName: String
    public var unitId: UUID
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

    package static let auditType = "training_participants"
    /// The collection is per session: `/v1/training-sessions/{id}/participants`.
    package static let collectionPath = "/v1/training-sessions/{id}/participants"
    static func collectionPath(session: UUID) -> String { "/v1/training-sessions/\(session.text)/participants" }
    package var location: String { "\(Self.collectionPath(session: sessionId))/\(id.text)" }
    public var etag: String { Conditional.etag(version: version) }

    /// The stored columns of a participant, once (`p.` is the table alias); `waitlist_position`
    /// is derived (`ParticipantRepository.columns`).
    static let columnNames = [
        "id", "session_id", "full_name", "unit_id", "position", "email", "phone", "state", "attendance",
        "registered_at", "updated_at", "version",
    ]
    static let columns = PQQuery(unescaped: columnNames.map { "p.\($0)" }.joined(separator: ", "))

    init(row: PQRow) throws {
        id = try row.decode("id")
        sessionId = try row.decode("session_id")
        fullName = try row.decode("full_name")
        unitId = try row.decode("unit_id")
        position = try row.decode("position")
        email = try row.decode("email")
        phone = try row.decode("phone")
        state = try row.decode("state")
        waitlistPosition = try row.decode("waitlist_position")
        attendance = try row.decode("attendance")
        registeredAt = try row.decode("registered_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// A registration as sent: by unit id (JSON) or unit code (CSV).
struct Registration: Sendable {
    var fullName: String
    var unitID: UUID
    var position: String?
    var email: String
    var phone: String?

    /// Fields a registration may carry (a participant read back and sent again) but not set.
    static let readOnly: Set<String> = ["id", "state", "attendance", "registered_at", "updated_at", "version", "session_id", "waitlist_position"]

    /// Reads one registration; `unit_code` is accepted in place of `unit_id`, resolved by `unitByCode`.
    static func read(
        _ value: JSONValue, prefix: String = "",
        unitByCode: (String) async throws -> UUID?
    ) async throws -> Registration {
        var reader = try InputReader(value, prefix: prefix)
        let name = reader.required("full_name", reader.string("full_name", maxLength: 200))
        var unit = reader.uuid("unit_id").value
        let unitCode = reader.string("unit_code", maxLength: 64).value
        let position = reader.string("position", maxLength: 200).value
        let email = reader.required("email", reader.email("email"))
        let phone = reader.phone("phone").value
        if unit == nil, let unitCode {
            if let id = try await unitByCode(unitCode) { unit = id } else { reader.fail("unit_code", "no unit has this code") }
        }
        if unit == nil, unitCode == nil { _ = reader.required("unit_id", Field<UUID>.absent) }
        try reader.finish(readOnly: readOnly)
        guard let name, let email, let unit else { throw Problem.validation([FieldError("unit_code", "no unit has this code")]) }
        return Registration(fullName: name, unitID: unit, position: position, email: email.lowercased(), phone: phone)
    }
}

/// The fields of a participant a merge patch may change: cancellation, attendance (the
/// organiser's), name, position and phone. Registered or waitlisted is the waitlist's to decide.
struct ParticipantChange: Sendable {
    var state: Field<ParticipantState>
    var attendance: Field<Attendance>
    var fullName: Field<String>
    var position: Field<String>
    var phone: Field<String>

    static let readOnly: Set<String> = ["id", "session_id", "unit_id", "email", "registered_at", "updated_at", "version", "waitlist_position"]

    init(reading reader: inout InputReader) throws {
        state = reader.enumeration("state", ParticipantState.self)
        attendance = reader.enumeration("attendance", Attendance.self)
        fullName = reader.string("full_name", maxLength: 200)
        position = reader.string("position", maxLength: 200)
        phone = reader.phone("phone")
        if case .null = fullName { reader.fail("full_name", "must not be null") }
        reader.notNull("state", state)
        if let state = state.value, state != .cancelled {
            reader.fail("state", "can only be set to cancelled; the waitlist decides registered or waitlisted")
        }
        try reader.finish(readOnly: Self.readOnly)
    }
}
