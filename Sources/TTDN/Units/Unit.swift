import Foundation
import PQ
import TTDNKit

public enum UnitKind: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable {
    case department, departmentOffice = "department_office", districtOffice = "district_office",
        highSchool = "high_school", continuingEducationCenter = "continuing_education_center",
        affiliatedUnit = "affiliated_unit", external
}

/// The unit's foreign-information officer (cán bộ phụ trách TTĐN).
public struct Officer: Codable, Sendable, Equatable {
    public var name: String?
    public var position: String?
    public var phone: String?
    public var email: String?
}

/// A unit as the API shows it.
public struct Unit: Codable, Sendable, Equatable, StoredResource {
    public var id: UUID
    public var code: String
    public var name: String
    public var kind: UnitKind
    public var parentId: UUID?
    public var district: String?
    public var address: String?
    public var phone: String?
    public var email: String?
    public var website: String?
    public var officer: Officer
    public var active: Bool
    public var validFrom: CalendarDate?
    public var validTo: CalendarDate?
    public var successorId: UUID?
    /// The days the unit must send periodic reports (null `reporting_from`: it never must).
    public var reportingFrom: CalendarDate?
    public var reportingTo: CalendarDate?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "units"
    package static let collectionPath = "/v1/units"
    public var etag: String { Conditional.etag(version: version) }

    /// The columns of a unit, once: the CSV header, and the SELECT list (`u.` is the table
    /// alias) in the order of the JSON fields and named as them, so that a unit is written as
    /// JSON from its row (`RowJSON`): the officer's columns are `officer.name` and so on (the
    /// members of `officer`), the kind is read as `text`.
    static let columnNames = [
        "id", "code", "name", "kind", "parent_id", "district", "address", "phone", "email", "website",
        "officer_name", "officer_position", "officer_phone", "officer_email", "active",
        "valid_from", "valid_to", "successor_id", "reporting_from", "reporting_to", "created_at", "updated_at", "version",
    ]
    static let columns = PQQuery(
        unescaped: columnNames.map { name in
            if name == "kind" { return "u.kind::text AS kind" }
            if name.hasPrefix("officer_") { return "u.\(name) AS \"officer.\(name.dropFirst("officer_".count))\"" }
            return "u.\(name)"
        }.joined(separator: ", "))
    static var csvHeader: [String] { columnNames }

    init(row: PQRow) throws {
        id = try row.decode("id")
        code = try row.decode("code")
        name = try row.decode("name")
        kind = try row.decode("kind")
        parentId = try row.decode("parent_id")
        district = try row.decode("district")
        address = try row.decode("address")
        phone = try row.decode("phone")
        email = try row.decode("email")
        website = try row.decode("website")
        officer = Officer(
            name: try row.decode("officer.name"), position: try row.decode("officer.position"),
            phone: try row.decode("officer.phone"), email: try row.decode("officer.email"))
        active = try row.decode("active")
        validFrom = try row.decode("valid_from")
        validTo = try row.decode("valid_to")
        successorId = try row.decode("successor_id")
        reportingFrom = try row.decode("reporting_from")
        reportingTo = try row.decode("reporting_to")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }

    /// In the order of `columnNames` (a test holds the two together).
    var csvRow: [String?] {
        [
            id.text, code, name, kind.rawValue, parentId?.text, district, address, phone, email, website,
            officer.name, officer.position, officer.phone, officer.email, String(active),
            validFrom?.description, validTo?.description, successorId?.text, reportingFrom?.description, reportingTo?.description,
            PQTimestamp.format(createdAt), PQTimestamp.format(updatedAt), String(version),
        ]
    }
}

/// The writable fields of a unit, as read from a create body, a merge patch or an import row.
struct UnitFields: Sendable, ResourceInput {
    static let requiredOnCreate = ["code", "name", "kind"]

    var code: Field<String> = .absent
    var name: Field<String> = .absent
    var kind: Field<UnitKind> = .absent
    var parentID: Field<UUID> = .absent
    var district: Field<String> = .absent
    var address: Field<String> = .absent
    var phone: Field<String> = .absent
    var email: Field<String> = .absent
    var website: Field<String> = .absent
    var officerName: Field<String> = .absent
    var officerPosition: Field<String> = .absent
    var officerPhone: Field<String> = .absent
    var officerEmail: Field<String> = .absent
    var active: Field<Bool> = .absent
    var validFrom: Field<CalendarDate> = .absent
    var validTo: Field<CalendarDate> = .absent
    var successorID: Field<UUID> = .absent
    var reportingFrom: Field<CalendarDate> = .absent
    var reportingTo: Field<CalendarDate> = .absent

    /// Fields only an admin may change: they shape the organisation, not the unit's contact data.
    static let structural = ["code", "kind", "parent_id", "active", "valid_from", "valid_to", "successor_id", "reporting_from", "reporting_to"]

    var structuralFieldsPresent: [String] {
        var present: [String] = []
        if !code.isAbsent { present.append("code") }
        if !kind.isAbsent { present.append("kind") }
        if !parentID.isAbsent { present.append("parent_id") }
        if !active.isAbsent { present.append("active") }
        if !validFrom.isAbsent { present.append("valid_from") }
        if !validTo.isAbsent { present.append("valid_to") }
        if !successorID.isAbsent { present.append("successor_id") }
        if !reportingFrom.isAbsent { present.append("reporting_from") }
        if !reportingTo.isAbsent { present.append("reporting_to") }
        return present
    }

    /// Reads a JSON object; `officer` is a nested object merged field by field.
    init(reading reader: inout InputReader) {
        let body = reader.body
        code = reader.string("code", maxLength: 64)
        if let value = code.value, value.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) == nil {
            reader.fail("code", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        name = reader.string("name", maxLength: 300)
        kind = reader.enumeration("kind", UnitKind.self)
        parentID = reader.uuid("parent_id")
        district = reader.string("district", maxLength: 100)
        address = reader.string("address", maxLength: 500)
        phone = reader.phone("phone")
        email = reader.email("email")
        website = reader.url("website")
        active = reader.bool("active")
        validFrom = reader.date("valid_from")
        validTo = reader.date("valid_to")
        successorID = reader.uuid("successor_id")
        reportingFrom = reader.date("reporting_from")
        reportingTo = reader.date("reporting_to")
        reader.notNull("code", code)
        reader.notNull("name", name)
        reader.notNull("kind", kind)
        reader.notNull("active", active)
        if case .object(let object) = body, let officer = object["officer"] {
            switch officer {
            case .null:
                officerName = .null; officerPosition = .null; officerPhone = .null; officerEmail = .null
                reader.markKnown("officer")
            case .object:
                do {
                    var nested = try InputReader(officer, prefix: "officer")
                    officerName = nested.string("name", maxLength: 200)
                    officerPosition = nested.string("position", maxLength: 200)
                    officerPhone = nested.phone("phone")
                    officerEmail = nested.email("email")
                    do { try nested.finish(readOnly: []) } catch let problem as Problem {
                        problem.errors.forEach { reader.fail($0.field, $0.message) }
                    } catch {}
                    reader.markKnown("officer")
                } catch {}
            default:
                reader.markKnown("officer")
                reader.fail("officer", "must be an object with name, position, phone and email")
            }
        }
    }

    init() {}
}
