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
                try await connection.runScript("COMMIT")
            } catch {
                try? await connection.runScript("ROLLBACK")
                throw error
            }
        }
        return files.map(\.lastPathComponent)
    }
}
