import Foundation
import Yams

/// The contract and the documentation page, read once at start: `openapi.yaml` as written,
/// the same as JSON, and the page with its vendored viewer (`docs/`).
public struct ApiDocuments: Sendable {
    let yaml: Data
    let json: Data
    let page: Data
    /// Vendored assets by name: their bytes and media type.
    let assets: [String: (bytes: Data, type: String)]

    static let assetTypes = [
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
        "LICENSE": "text/plain; charset=utf-8",
    ]

    public init(openapi: URL, directory: URL) throws {
        yaml = try Data(contentsOf: openapi)
        json = try JSONSerialization.data(
            withJSONObject: try Self.json(from: String(decoding: yaml, as: UTF8.self)), options: [.sortedKeys, .withoutEscapingSlashes])
        page = try Data(contentsOf: directory.appendingPathComponent("index.html"))
        var assets: [String: (bytes: Data, type: String)] = [:]
        for (name, type) in Self.assetTypes {
            assets[name] = (try Data(contentsOf: directory.appendingPathComponent("swagger-ui").appendingPathComponent(name)), type)
        }
        self.assets = assets
    }

    /// The YAML document as JSON values: scalars by their YAML 1.2 core tag (a date-like
    /// scalar stays the string it is written as, as OpenAPI means it).
    static func json(from yaml: String) throws -> Any {
        guard let node = try Yams.compose(yaml: yaml) else { return NSNull() }
        return value(of: node)
    }

    private static func value(of node: Node) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.string ?? String(describing: key)] = Self.value(of: value) }
            return object
        case .sequence(let sequence):
            return sequence.map { value(of: $0) }
        case .scalar(let scalar):
            switch node.tag.description {
            case "tag:yaml.org,2002:null": return NSNull()
            case "tag:yaml.org,2002:bool": return node.bool ?? scalar.string
            case "tag:yaml.org,2002:int": return node.int ?? scalar.string
            case "tag:yaml.org,2002:float": return node.float ?? scalar.string
            default: return scalar.string
            }
        case .alias(let alias):
            return String(describing: alias)
        }
    }
}
