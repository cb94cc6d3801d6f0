import Foundation
import Hummingbird
import PQ
import TTDNKit

/// The training aggregate of a year: sessions by status; per session its registrations,
/// waitlist, attendance and fill against the expected class size (80–120 in the 2023 plan);
/// per unit the people registered and trained, and the reporting units that sent nobody.
struct TrainingAggregate: Encodable, Sendable {
    struct SessionLine: Encodable, Sendable {
        let sessionId: UUID
        let title: String
        let status: TrainingStatus
        let startsAt: Date?
        let capacity: Int
        let expectedMin: Int?
        let expectedMax: Int?
        let registered: Int
        let waitlisted: Int
        let attended: Int
        /// Registered (or, once held, attended) over expected_max.
        let fillRate: Double?
        let underMin: Bool
        let overMax: Bool

        init(row: PQRow) throws {
            sessionId = try row.decode("id")
            title = try row.decode("title")
            status = try row.decode("status")
            startsAt = try row.decode("starts_at")
            capacity = try row.decode("capacity")
            expectedMin = try row.decode("expected_min")
            expectedMax = try row.decode("expected_max")
            registered = try row.decode("registered")
            waitlisted = try row.decode("waitlisted")
            attended = try row.decode("attended")
            let counted = status == .held ? attended : registered
            fillRate = expectedMax.flatMap { $0 > 0 ? (Double(counted) / Double($0) * 1000).rounded() / 1000 : nil }
            underMin = expectedMin.map { counted < $0 } ?? false
            overMax = expectedMax.map { counted > $0 } ?? false
        }
    }

    struct UnitLine: Encodable, Sendable {
        let unitId: UUID
        let code: String
        let name: String
        let registered: Int
        let trained: Int

        init(row: PQRow) throws {
            unitId = try row.decode("id")
            code = try row.decode("code")
            name = try row.decode("name")
            registered = try row.decode("registered")
            trained = try row.decode("trained")
        }
    }

    let year: Int
    let sessions: [String: Int]
    let perSession: [SessionLine]
    let perUnit: [UnitLine]
    let unitsWithoutParticipants: [UnitLine]

    /// Units with registrations go to `per_unit`; units expected to send people that sent
    /// nobody go to `units_without_participants`.
    init(year: Int, sessions lines: [SessionLine], units: [(line: UnitLine, expectedToSend: Bool)]) {
        var byStatus = Dictionary(uniqueKeysWithValues: TrainingStatus.allCases.map { ($0.rawValue, 0) })
        for line in lines { byStatus[line.status.rawValue, default: 0] += 1 }
        self.year = year
        sessions = byStatus
        perSession = lines
        perUnit = units.filter { $0.line.registered > 0 }.map(\.line)
        unitsWithoutParticipants = units.filter { $0.line.registered == 0 && $0.expectedToSend }.map(\.line)
    }

    static let csvHeader = ["scope", "id", "name", "status", "registered", "waitlisted", "attended", "fill_rate", "under_min", "over_max"]

    var csvRows: [[String?]] {
        var rows: [[String?]] = perSession.map {
            [
                "session", $0.sessionId.text, $0.title, $0.status.rawValue, String($0.registered), String($0.waitlisted), String($0.attended),
                $0.fillRate.map { String($0) }, String($0.underMin), String($0.overMax),
            ]
        }
        rows += perUnit.map { ["unit", $0.unitId.text, $0.name, nil, String($0.registered), nil, String($0.trained), nil, nil, nil] }
        rows += unitsWithoutParticipants.map { ["unit_without_participants", $0.unitId.text, $0.name, nil, "0", nil, "0", nil, nil, nil] }
        return rows
    }
}

/// `GET /v1/aggregates/trainings?year=`: the year's `TrainingAggregate`, as JSON or CSV.
struct TrainingAggregateRoutes {
    let pool: PQPool

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, query.errors.isEmpty { query.fail("year", "is required") }
        try query.finish()
        guard let year else { throw Problem.invalidQuery([FieldError("year", "is required")]) }
        let report = try await pool.withSharedConnection { try await TrainingRepository.aggregate(year: year, on: $0) }
        if CSVOutput.wanted(by: request) {
            return CSVOutput.response(header: TrainingAggregate.csvHeader, rows: report.csvRows, filename: "training-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
