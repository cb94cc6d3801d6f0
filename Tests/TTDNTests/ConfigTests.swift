import Foundation
import TTDN
import Testing

/// Where settings come from (swift-configuration's providers) and which one wins.
@Suite("Configuration sources")
struct ConfigTests {
    private func file(_ lines: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ttdn-\(UUID().uuidString).env")
        try lines.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func optionsThenArgumentsThenEnvironmentThenFile() async throws {
        let path = try file(
            """
            # a comment, as in .env.example
            PORT=9001
            HOST=0.0.0.0
            TTDN_POOL_SIZE=2
            TTDN_RATE_LIMIT_RPS=7
            TTDN_REMINDER_DAYS=5,1
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = await AppConfig.load(
            options: ["PORT": "9100"],
            arguments: ["--port", "9200", "--host", "::1", "--ttdn-cors-origins", "https://a.example,https://b.example", "--ttdn-token-cache-ms=0"],
            configFile: path,
            environment: ["HOST": "10.0.0.1", "TTDN_RATE_LIMIT_RPS": "9", "DATABASE_URL": "postgres://db.example/ttdn"])
        #expect(config.invalidSettings.isEmpty)
        #expect(config.port == 9100)  // the command's own option over a --name argument
        #expect(config.host == "::1")  // an argument over the environment
        #expect(config.rateLimitPerSecond == 9)  // the environment over the file
        #expect(config.poolSize == 2)  // the file over the default
        #expect(config.reminders.daysBefore == [5, 1])
        #expect(config.corsOrigins == ["https://a.example", "https://b.example"])
        #expect(config.tokenCacheLifetime == .zero)
        #expect(config.databaseURL == "postgres://db.example/ttdn")
        #expect(config.statementTimeoutMilliseconds == AppConfig().statementTimeoutMilliseconds)
    }

    @Test func theEnvironmentNamesTheConfigFile() async throws {
        let path = try file("TTDN_POOL_SIZE=3\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = await AppConfig.load(environment: ["TTDN_CONFIG_FILE": path])
        #expect(config.invalidSettings.isEmpty)
        #expect(config.poolSize == 3)
    }

    @Test func badValuesFromAnySourceAreRefusedByName() async throws {
        let path = try file("TTDN_STATEMENT_TIMEOUT_MS=soon\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = await AppConfig.load(
            arguments: ["--ttdn-pool-size", "0", "--prot", "8080"], configFile: path, environment: ["LOG_FORMAT": "xml"])
        #expect(
            Set(config.invalidSettings) == [
                "--prot (not a setting of ttdn; the settings are listed in .env.example)",
                "TTDN_POOL_SIZE=0 (an integer of at least 1)",
                "TTDN_STATEMENT_TIMEOUT_MS=soon (an integer of at least 1)",
                "LOG_FORMAT=xml (text or json)",
            ])
        // Nothing bad is replaced by its default silently: the refused value is not taken either.
        #expect(config.poolSize == AppConfig().poolSize)
    }

    @Test func aConfigFileThatCannotBeReadIsRefused() async {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("ttdn-missing-\(UUID().uuidString).env").path
        let config = await AppConfig.load(configFile: missing, environment: [:])
        #expect(config.invalidSettings == ["TTDN_CONFIG_FILE=\(missing) (a readable file of NAME=value lines, as .env.example)"])
        let stray = await AppConfig.load(arguments: ["8080"], environment: [:])
        #expect(stray.invalidSettings == ["8080 (an argument ttdn does not take)"])
    }

    /// Every setting has one entry in `.env.example` and the list ttdn knows; none is forgotten in either.
    @Test func theExampleListsEverySettingTtdnKnows() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".env.example")
        let names = try String(contentsOf: example, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") && $0.contains("=") }.map { String($0.prefix { $0 != "=" }) }
        #expect(Set(names) == Set(AppConfig.settingNames))
        #expect(names.count == AppConfig.settingNames.count)
    }
}
