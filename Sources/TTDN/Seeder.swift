import Foundation
import Logging
import PQ
import TTDNKit

/// `ttdn seed`: runs `sql/seed/*.sql` in name order, in one transaction. Every file is written
/// to be idempotent (ON CONFLICT on stable codes), so seeding twice changes nothing.
public enum Seeder {
    public static func seed(_ config: AppConfig, pool: PQPool, logger: Logger) async throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(at: config.seedDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        try await pool.withConnection { connection in
            try await connection.runScript("BEGIN")
            do {
                for file in files {
                    try await connection.runScript(try String(contentsOf: file, encoding: .utf8))
                    logger.info("seeded", metadata: ["file": .string(file.lastPathComponent)])
                }
                let recorded = try await recordSeeded(Write(connection: connection, principal: nil, requestID: "seed"))
                logger.info("seeded rows recorded in the change feed", metadata: ["count": .stringConvertible(recorded)])
                try await connection.runScript("COMMIT")
            } catch {
                try? await connection.runScript("ROLLBACK")
                throw error
            }
        }
        return files.map(\.lastPathComponent)
    }

    /// Seeding writes its changes like any other write: every seeded row the audit log has never
    /// seen gets its `create`, so the change feed from the start rebuilds the whole database.
    /// Seeding again records nothing new.
    static func recordSeeded(_ write: Write) async throws -> Int {
        var count = 0
        count += try await recordUnaudited(UnitRepository.self, order: "valid_from NULLS FIRST, code", write: write)
        count += try await recordUnaudited(PlanRepository.self, order: "created_at, id", write: write)
        count += try await recordUnaudited(PlanTaskRepository.self, order: "plan_id, position, code", write: write)
        count += try await recordUnaudited(AssignmentRepository.self, order: "task_id, unit_id", write: write)
        count += try await recordUnaudited(EventRepository.self, order: "code, id", write: write)
        count += try await recordUnaudited(TrainingRepository.self, order: "created_at, id", write: write)
        count += try await recordUnaudited(ReportPeriodRepository.self, order: "starts_on, id", write: write) { $0 }
        for indicator in try await ReportIndicatorRepository.all(on: write.connection) {
            let seen = try await write.connection.query(
                "SELECT 1 FROM audit_events WHERE resource_type = \(ReportIndicator.auditType) AND resource_id = \(indicator.code) LIMIT 1")
            guard seen.isEmpty else { continue }
            try await write.audit(
                AuditEntry(ReportIndicator.auditType, id: indicator.code, action: "create", before: ReportIndicator?.none, after: indicator))
            count += 1
        }
        return count
    }

    /// Records a `create` for each row of `R`'s table (its audit type) without an audit event.
    private static func recordUnaudited<R: ResourceRepository>(
        _ repository: R.Type, order: String, write: Write, id: (String) -> R.Resource.ID? = { UUID(uuidString: $0) as? R.Resource.ID }
    ) async throws -> Int {
        let table = R.Resource.auditType
        let rows = try await write.connection.query(
            """
            SELECT t.id::text AS id FROM \(identifier: table) t
            WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.resource_type = \(table) AND a.resource_id = t.id::text)
            ORDER BY \(unescaped: order)
            """)
        var count = 0
        for row in rows {
            guard let key = id(try row.decode("id")), let resource = try await R.find(key, forUpdate: false, on: write.connection) else { continue }
            try await write.record("create", before: nil, after: resource)
            count += 1
        }
        return count
    }
}
