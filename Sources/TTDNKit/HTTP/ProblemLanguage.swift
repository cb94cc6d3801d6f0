import Foundation
import HTTPTypes
import Hummingbird

/// A problem document's words in another language than the English they are written in: each
/// entry maps an English template (`{}` for each value, in order) to its translation (`{1}`,
/// `{2}` ... for those values, in any order). Values caught by a template are translated too when
/// the catalogue knows them ("the unit" in "{} does not exist"); what it does not know stays as
/// written, so a message is never lost, only left in English.
public struct MessageCatalog: Sendable {
    public let language: String
    /// English template → translation, as given.
    public let entries: [String: String]
    /// The English templates this catalogue translates.
    public var englishTemplates: Set<String> { Set(entries.keys) }
    private let exact: [String: String]
    private let templates: [Template]

    private struct Template: @unchecked Sendable {
        // NSRegularExpression is immutable once made; matching from several tasks is safe.
        let pattern: NSRegularExpression
        let translation: String
    }

    public init(language: String, entries: [String: String]) {
        self.language = language
        self.entries = entries
        exact = entries.filter { !$0.key.contains("{}") }
        // The longest fixed text first: "{} does not exist" before "the file {}".
        templates = entries.filter { $0.key.contains("{}") }
            .sorted {
                ($0.key.replacingOccurrences(of: "{}", with: "").count, $0.key) > ($1.key.replacingOccurrences(of: "{}", with: "").count, $1.key)
            }
            .compactMap { key, value in
                let parts = key.components(separatedBy: "{}").map(NSRegularExpression.escapedPattern(for:))
                guard
                    let pattern = try? NSRegularExpression(
                        pattern: "^" + parts.joined(separator: "(.*?)") + "$", options: [.dotMatchesLineSeparators])
                else { return nil }
                return Template(pattern: pattern, translation: value)
            }
    }

    /// The translation of `english`, nil when the catalogue has none.
    public func translate(_ english: String) -> String? { translate(english, depth: 0) }

    private func translate(_ english: String, depth: Int) -> String? {
        if let found = exact[english] { return found }
        guard depth < 3 else { return nil }
        let range = NSRange(english.startIndex..., in: english)
        for template in templates {
            guard let match = template.pattern.firstMatch(in: english, range: range) else { continue }
            var result = template.translation
            // From the last value down, so that {1} is not replaced inside {10}.
            for index in stride(from: match.numberOfRanges - 1, through: 1, by: -1) {
                let value = Range(match.range(at: index), in: english).map { String(english[$0]) } ?? ""
                result = result.replacingOccurrences(of: "{\(index)}", with: translate(value, depth: depth + 1) ?? value)
            }
            return result
        }
        return nil
    }

    /// The catalogue of the language the current request asked for; nil for English.
    @TaskLocal public static var current: MessageCatalog?
}

extension Problem {
    /// The problem in `catalog`'s language: title, field messages, and the detail (rebuilt from the
    /// translated field messages when it is their list, translated as a whole otherwise).
    public func translated(by catalog: MessageCatalog) -> Problem {
        var copy = self
        copy.title = catalog.translate(title) ?? title
        copy.errors = errors.map { FieldError($0.field, catalog.translate($0.message) ?? $0.message) }
        if !errors.isEmpty, detail == Problem.detail(listing: errors) {
            copy.detail = Problem.detail(listing: copy.errors)
        } else {
            copy.detail = catalog.translate(detail) ?? detail
        }
        return copy
    }

    static func detail(listing errors: [FieldError]) -> String {
        errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
    }
}

/// Picks the language of problem details from `Accept-Language` (RFC 9110 §12.5.4: the highest
/// q-value wins, `*` matches any, `vi-VN` asks for `vi`); English when nothing offered is asked for.
package struct ProblemLanguageMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let catalogs: [MessageCatalog]

    package init(catalogs: [MessageCatalog]) { self.catalogs = catalogs }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let catalog = request.headers[values: .acceptLanguage].isEmpty ? nil : Self.choose(request.headers[values: .acceptLanguage], from: catalogs)
        return try await MessageCatalog.$current.withValue(catalog) { try await next(request, context) }
    }

    /// The catalogue `Accept-Language` prefers over English, nil when English is preferred (or nothing offered is asked for).
    package static func choose(_ fieldValues: [String], from catalogs: [MessageCatalog]) -> MessageCatalog? {
        let offered = ["en"] + catalogs.map(\.language)
        var best: (language: String, quality: Double)?
        for range in fieldValues.flatMap({ $0.split(separator: ",") }) {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = parts.first, !tag.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            guard quality > 0 else { continue }
            let language = tag == "*" ? "en" : offered.first { tag == $0 || tag.hasPrefix($0 + "-") }
            if let language, quality > (best?.quality ?? 0) { best = (language, quality) }
        }
        guard let language = best?.language, language != "en" else { return nil }
        return catalogs.first { $0.language == language }
    }
}
