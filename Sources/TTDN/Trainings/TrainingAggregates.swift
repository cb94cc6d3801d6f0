import Foundation
import Hummingbird
import PQ
import TTDNKit

/// `GET /v1/aggregates/trainings?year=`: sessions by status; per session its registrations,
/// waitlist, attendance and fill against the expected class size (80–120 in the 2023 plan);
/// per unit the people registered and trained, and the reporting units that sent nobody.
struct TrainingAggregateRoutes {
    let pool: PQPool

    struct SessionLine: Encodable, Sendable {
        let sessionId: String
        let title: String
        let status: String
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
    }

    struct UnitLine: Encodable, Sendable {
        let unitId: String
        let code: String
        let name: String
        let registered: Int
        let trained: Int
    }

    struct Report: Encodable, Sendable {
        let year: Int
        let sessions: [String: Int]
        let perSession: [SessionLine]
        let perUnit: [UnitLine]
        let unitsWithoutParticipants: [UnitLine]
    }

    @Sendable func aggregate(_ request: Request, context: AppRequestContext) async throws -> Response {
        var query = QueryReader(request)
        let year = query.integer("year", range: 2000...2100)
        if year == nil, query.errors.isEmpty { query.fail("year", "is required") }
        try query.finish()
        guard let year else { throw Problem.invalidQuery([FieldError("year", "is required")]) }
        let report = try await pool.withConnection { connection -> Report in
            // A session belongs to the year it starts in (in Hai Phong), or to its planned year.
            let inYear: PQQuery = """
                coalesce(extract(year FROM s.starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int, s.planned_year) = \(year)
                """
            let sessions = try await connection.query("""
                SELECT s.id, s.title, s.status::text AS status, s.starts_at, s.capacity, s.expected_min, s.expected_max,
                       count(*) FILTER (WHERE p.state = 'registered')::int8 AS registered,
                       count(*) FILTER (WHERE p.state = 'waitlisted')::int8 AS waitlisted,
                       count(*) FILTER (WHERE p.state = 'registered' AND p.attendance IN ('present', 'late'))::int8 AS attended
                FROM training_sessions s LEFT JOIN training_participants p ON p.session_id = s.id
                WHERE \(inYear)
                GROUP BY s.id ORDER BY s.starts_at NULLS LAST, s.id
                """)
            var byStatus = Dictionary(uniqueKeysWithValues: TrainingStatus.allCases.map { ($0.rawValue, 0) })
            var lines: [SessionLine] = []
            for row in sessions {
                let status: String = try row.decode("status")
                byStatus[status, default: 0] += 1
                let registered: Int = try row.decode("registered"), attended: Int = try row.decode("attended")
                let counted = status == "held" ? attended : registered
                let min: Int? = try row.decode("expected_min"), max: Int? = try row.decode("expected_max")
                lines.append(SessionLine(
                    sessionId: try row.decode("id", as: UUID.self).lowercased, title: try row.decode("title"), status: status,
                    startsAt: try row.decode("starts_at"), capacity: try row.decode("capacity"), expectedMin: min, expectedMax: max,
                    registered: registered, waitlisted: try row.decode("waitlisted"), attended: attended,
                    fillRate: max.flatMap { $0 > 0 ? (Double(counted) / Double($0) * 1000).rounded() / 1000 : nil },
                    underMin: min.map { counted < $0 } ?? false, overMax: max.map { counted > $0 } ?? false))
            }
            let units = try await connection.query("""
                SELECT u.id, u.code, u.name,
                       count(p.id) FILTER (WHERE p.state = 'registered')::int8 AS registered,
                       count(p.id) FILTER (WHERE p.state = 'registered' AND p.attendance IN ('present', 'late'))::int8 AS trained,
                       (u.kind IN ('district_office', 'high_school', 'continuing_education_center')
                        AND (u.valid_from IS NULL OR u.valid_from <= make_date(\(year)::int, 12, 31))
                        AND (u.valid_to IS NULL OR u.valid_to >= make_date(\(year)::int, 1, 1))) AS expected_to_send
                FROM units u
                LEFT JOIN (training_participants p JOIN training_sessions s ON s.id = p.session_id AND s.status <> 'cancelled' AND \(inYear))
                       ON p.unit_id = u.id
                GROUP BY u.id
                ORDER BY u.name COLLATE "vi-x-icu", u.id
                """)
            var perUnit: [UnitLine] = [], nobody: [UnitLine] = []
            for row in units {
                let line = UnitLine(unitId: try row.decode("id", as: UUID.self).lowercased, code: try row.decode("code"),
                                    name: try row.decode("name"), registered: try row.decode("registered"), trained: try row.decode("trained"))
                if line.registered > 0 { perUnit.append(line) }
                else if try row.decode("expected_to_send", as: Bool.self) { nobody.append(line) }
            }
            return Report(year: year, sessions: byStatus, perSession: lines, perUnit: perUnit, unitsWithoutParticipants: nobody)
        }
        if CSVOutput.wanted(by: request) {
            var rows: [[String?]] = report.perSession.map {
                ["session", $0.sessionId, $0.title, $0.status, String($0.registered), String($0.waitlisted), String($0.attended),
                 $0.fillRate.map { String($0) }, String($0.underMin), String($0.overMax)]
            }
            rows += report.perUnit.map { ["unit", $0.unitId, $0.name, nil, String($0.registered), nil, String($0.trained), nil, nil, nil] }
            rows += report.unitsWithoutParticipants.map { ["unit_without_participants", $0.unitId, $0.name, nil, "0", nil, "0", nil, nil, nil] }
            return CSVOutput.response(header: ["scope", "id", "name", "status", "registered", "waitlisted", "attended", "fill_rate", "under_min", "over_max"],
                                      rows: rows, filename: "training-aggregate")
        }
        return try JSONOutput.response(report)
    }
}
