import Foundation
import PQ
import TTDNKit

/// All the SQL of the indicator catalogue.
enum ReportIndicatorRepository {
    static func all(on connection: PQConnection) async throws -> [ReportIndicator] {
        try await connection.query("SELECT \(ReportIndicator.columns) FROM report_indicators ORDER BY position, code").map(ReportIndicator.init(row:))
    }

    static func insert(_ new: NewReportIndicator, on connection: PQConnection) async throws -> ReportIndicator {
        try ReportIndicator(
            row: try await connection.query(
                """
                INSERT INTO report_indicators (code, name, unit_of_measure, aggregation, position)
                VALUES (\(new.code), \(new.name), \(new.unitOfMeasure), \(new.aggregation)::indicator_aggregation, \(new.position))
                RETURNING \(ReportIndicator.columns)
                """)[0])
    }

    static func explain(_ error: PQError) -> FieldError? {
        error.constraint == "report_indicators_pkey" ? FieldError("code", "is already in the catalogue") : nil
    }
}
