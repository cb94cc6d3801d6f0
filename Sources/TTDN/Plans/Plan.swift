import Foundation
import PQ
import TTDNKit

public enum PlanStatus: String, CaseIterable, Codable, Sendable, PQEncodable, PQDecodable { case draft, active, closed }

/// A document the plan implements (Nghị định, Thông tư, Kế hoạch ...).
public struct LegalBasis: Codable, Sendable, Equatable {
    public var number: String
    public var date: CalendarDate?
    public var issuer: String?
    public var title: String?
}

/// A year plan (kế hoạch năm), as the API shows it.
public struct Plan: Codable, Sendable, StoredResource {
    public var id: UUID
    public var year: Int
    public var number: String?
    public var title: String
    public var issuingUnitId: UUID
    public var signer: String?
    public var signerTitle: String?
    public var issuedOn: CalendarDate?
    public var legalBases: [LegalBasis]
    public var purposes: [String]
    public var requirements: [String]
    public var status: PlanStatus
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int

    package static let auditType = "plans"
    package static let collectionPath = "/v1/plans"
    public var etag: String { Conditional.etag(version: version) }

    static let columns = PQQuery(
        unescaped: """
            p.id, p.year, p.number, p.title, p.issuing_unit_id, p.signer, p.signer_title, p.issued_on,
            p.legal_bases, p.purposes::text[] AS purposes, p.requirements::text[] AS requirements,
            p.status, p.created_at, p.updated_at, p.version
            """)

    init(row: PQRow) throws {
        id = try row.decode("id")
        year = try row.decode("year")
        number = try row.decode("number")
        title = try row.decode("title")
        issuingUnitId = try row.decode("issuing_unit_id")
        signer = try row.decode("signer")
        signerTitle = try row.decode("signer_title")
        issuedOn = try row.decode("issued_on")
        legalBases = try row.decode("legal_bases", as: PQJSON<[LegalBasis]>.self).value
        purposes = try row.decode("purposes")
        requirements = try row.decode("requirements")
        status = try row.decode("status")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        version = try row.decode("version")
    }
}

/// The writable fields of a plan.
struct PlanFields: ResourceInput {
    static let requiredOnCreate = ["year", "title", "issuing_unit_id"]

    var year: Field<Int> = .absent
    var number: Field<String> = .absent
    var title: Field<String> = .absent
    var issuingUnitID: Field<UUID> = .absent
    var signer: Field<String> = .absent
    var signerTitle: Field<String> = .absent
    var issuedOn: Field<CalendarDate> = .absent
    var legalBases: Field<[LegalBasis]> = .absent
    var purposes: Field<[String]> = .absent
    var requirements: Field<[String]> = .absent
    var status: Field<PlanStatus> = .absent

    init(reading reader: inout InputReader) {
        let body = reader.body
        year = reader.integer("year", range: 2000...2100)
        number = reader.string("number", maxLength: 100)
        title = reader.string("title", maxLength: 500)
        issuingUnitID = reader.uuid("issuing_unit_id")
        signer = reader.string("signer", maxLength: 200)
        signerTitle = reader.string("signer_title", maxLength: 200)
        issuedOn = reader.date("issued_on")
        purposes = reader.stringArray("purposes", maxCount: 50, maxLength: 5000)
        requirements = reader.stringArray("requirements", maxCount: 50, maxLength: 5000)
        status = reader.enumeration("status", PlanStatus.self)
        for (key, isNull) in [("year", year.isNull), ("title", title.isNull), ("issuing_unit_id", issuingUnitID.isNull), ("status", status.isNull)]
        where isNull {
            reader.fail(key, "must not be null")
        }
        reader.markKnown("legal_bases")
        guard case .object(let object) = body, let raw = object["legal_bases"] else { return }
        switch raw {
        case .null: legalBases = .null
        case .array(let items) where items.count <= 100:
            var bases: [LegalBasis] = []
            for (index, item) in items.enumerated() {
                guard var nested = try? InputReader(item, prefix: "legal_bases[\(index)]") else {
                    reader.fail("legal_bases[\(index)]", "must be an object with number, date, issuer and title")
                    continue
                }
                let number = nested.required("number", nested.string("number", maxLength: 100))
                let basis = LegalBasis(
                    number: number ?? "", date: nested.date("date").value,
                    issuer: nested.string("issuer", maxLength: 300).value,
                    title: nested.string("title", maxLength: 1000).value)
                do { try nested.finish(readOnly: []) } catch let problem as Problem {
                    problem.errors.forEach { reader.fail($0.field, $0.message) }
                } catch {}
                bases.append(basis)
            }
            legalBases = .value(bases)
        default:
            reader.fail("legal_bases", "must be an array of at most 100 document references")
        }
    }
}
