import Foundation
import Logging
import PQ
import ServiceLifecycle
import TTDNKit

/// Emits the reminders of the day, every `interval`, as a service of the server's service
/// group. `today` is the clock (Hai Phong's day unless a test gives another); several processes
/// may run it, the advisory lock makes their passes take turns, and each reminder's occasion
/// makes it once.
public struct ReminderScheduler: Service {
    let pool: PQPool
    let settings: ReminderSettings
    let logger: Logger
    let today: @Sendable () -> CalendarDate

    public init(pool: PQPool, settings: ReminderSettings, logger: Logger, today: (@Sendable () -> CalendarDate)? = nil) {
        self.pool = pool
        self.settings = settings
        self.logger = logger
        self.today = today ?? { HaiPhong.today() }
    }

    /// One pass: the reminders due today, emitted once.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await ReminderRepository.emit(on: today(), settings: settings, pool: pool)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let emitted = try await runOnce()
                if emitted > 0 { logger.info("reminders emitted", metadata: ["count": .stringConvertible(emitted)]) }
            } catch {
                logger.debug("reminders not emitted", metadata: ["error": .string("\(error)")])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.interval) }
        }
    }
}
