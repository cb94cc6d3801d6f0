import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TTDNKit

/// `GET /openapi.yaml` and `/openapi.json`: the contract, served from the repository's file;
/// `GET /docs`: the documentation page for people, with its vendored viewer at `/docs/{file}`.
/// No token needed: the contract is public, the page's "Try it out" sends the caller's own token.
struct DocsRoutes {
    let documents: ApiDocuments?

    func register(_ routes: Routes) {
        routes.add(.get, "/openapi.yaml", access: .public) { request, _ in
            try serve(request, \.yaml, type: "application/yaml; charset=utf-8")
        }
        routes.add(.get, "/openapi.json", access: .public) { request, _ in
            try serve(request, \.json, type: "application/json; charset=utf-8")
        }
        routes.add(.get, "/docs", access: .public) { request, _ in
            try serve(request, \.page, type: "text/html; charset=utf-8")
        }
        routes.add(.get, "/docs/{file}", access: .public) { request, context in
            let name = context.parameters.get("file") ?? ""
            guard let documents, let asset = documents.assets[name] else { throw Problem.notFound("the file \(name)") }
            return try Self.response(request, asset.bytes, type: asset.type)
        }
    }

    private func serve(_ request: Request, _ part: KeyPath<ApiDocuments, Data>, type: String) throws -> Response {
        try QueryReader(request).finish()
        guard let documents else { throw Problem.notFound("the documentation") }
        return try Self.response(request, documents[keyPath: part], type: type)
    }

    /// The bytes with a strong ETag of their digest; 304 when the caller has them.
    static func response(_ request: Request, _ bytes: Data, type: String) throws -> Response {
        let etag = "\"v1-" + SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
        if Conditional.notModified(request, etag: etag) { return Conditional.notModifiedResponse(etag: etag) }
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.eTag] = etag
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
