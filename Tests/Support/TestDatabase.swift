import Foundation
import PQ

/// The PostgreSQL the test command started (`TTDN_TEST_DATABASE_URL`), and fresh databases in it.
public enum TestDatabase {
    public static var serverURL: String {
        guard let url = ProcessInfo.processInfo.environment["TTDN_TEST_DATABASE_URL"], !url.isEmpty else {
            fatalError("TTDN_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL")
        }
        return url
    }

    /// `url` with its database name replaced.
    public static func url(_ base: String, database: String) -> String {
        guard var components = URLComponents(string: base) else { return base }
        components.path = "/" + database
        return components.string ?? base
    }

    /// Creates an empty database with a unique name and returns its URL.
    public static func createDatabase(prefix: String) async throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = PQPool(configuration: PQConfiguration(url: serverURL), maxConnections: 1)
        defer { admin.close() }
        try await admin.withConnection { try await $0.runScript("CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8'") }
        return url(serverURL, database: name)
    }
}

/// A PostgreSQL cluster of a test's own, for tests that stop, kill or restart the server
/// without disturbing the tests that run beside them.
public final class PrivateCluster: @unchecked Sendable {
    public let directory: URL
    public let port: Int
    public var url: String { "postgresql://postgres@127.0.0.1:\(port)/postgres" }
    private let binDirectory: String
    private let asRoot = getuid() == 0

    public init() throws {
        binDirectory = try PrivateCluster.shell(["pg_config", "--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines)
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("ttdn-pg-\(UUID().uuidString.prefix(8))")
        port = PrivateCluster.freePort()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if asRoot { _ = try PrivateCluster.shell(["chown", "postgres:postgres", directory.path]) }
        _ = try run("initdb", ["-D", directory.path + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        try start()
    }

    public func start() throws {
        _ = try run(
            "pg_ctl",
            [
                "-D", directory.path + "/data", "-l", directory.path + "/server.log", "-w", "-t", "30",
                "-o", "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
            ])
    }

    /// `mode`: smart, fast or immediate.
    public func stop(mode: String = "fast") throws {
        _ = try run("pg_ctl", ["-D", directory.path + "/data", "-m", mode, "-w", "-t", "30", "stop"])
    }

    public func destroy() {
        try? stop(mode: "immediate")
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let command = [binDirectory + "/" + tool] + arguments
        return try PrivateCluster.shell(asRoot ? ["runuser", "-u", "postgres", "--"] + command : command)
    }

    /// Runs a command and returns its output. posix_spawn and waitpid rather than Foundation's
    /// Process: a server started by the command inherits descriptors that Process watches to see
    /// the child exit, so Process would wait for the server. Output goes through a file for the same reason.
    @discardableResult
    static func shell(_ command: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "/ttdn-shell-\(UUID().uuidString)"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, arguments, environ)
        guard spawned == 0 else { throw ShellFailure(command: command.joined(separator: " "), output: "spawn failed: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitedCleanly = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exitedCleanly else { throw ShellFailure(command: command.joined(separator: " "), output: text) }
        return text
    }

    /// A TCP port nobody listens on right now.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct ShellFailure: Error, CustomStringConvertible {
    public let command: String
    public let output: String
    public var description: String { "`\(command)` failed:\n\(output)" }
}
