import Foundation
import PQ
import TTDNKit

/// An indicator of the catalogue reports are filled against.
public struct ReportIndicator: Codable, Sendable, Audited {
    public var code: String
    public var name: String
    public var unitOfMeasure: String?
    public var aggregation: String
    public var position: Int
    public var active: Bool

    package static let auditType = "report_indicators"
    static let columns = PQQuery(unescaped: "code, name, unit_of_measure, aggregation::text AS aggregation, position, active")

    init(row: PQRow) throws {
        code = try row.decode("code")
        name = try row.decode("name")
        unitOfMeasure = try row.decode("unit_of_measure")
        aggregation = try row.decode("aggregation")
        position = try row.decode("position")
        active = try row.decode("active")
    }
}

/// A new indicator.
struct NewReportIndicator {
    var code: String?, name: String?, unitOfMeasure: String?, aggregation: String?, position: Int

    init(reading reader: inout InputReader) {
        code = reader.required("code", reader.string("code", maxLength: 64))
        if let code, code.range(of: "^[a-z][a-z0-9_]{1,63}$", options: .regularExpression) == nil {
            reader.fail("code", "must be lower-case letters, digits and underscores, starting with a letter")
        }
        name = reader.required("name", reader.string("name", maxLength: 300))
        unitOfMeasure = reader.string("unit_of_measure", maxLength: 50).value
        aggregation = reader.required("aggregation", reader.string("aggregation", maxLength: 10))
        if let aggregation, !["sum", "max", "latest", "text"].contains(aggregation) {
            reader.fail("aggregation", "must be one of: sum, max, latest, text")
        }
        position = reader.integer("position", range: 0...100_000).value ?? 1000
    }
}
