import Foundation
import Testing

@testable import TTDN
@testable import TTDNKit

/// Input rules read without Foundation's dear paths, held to those paths.
@Suite("Input read by shortcut, as the long way reads it")
struct InputShortcutTests {
    /// Every scalar the shortcut takes is its own NFC, alone and after a letter, and random
    /// strings of them (with blanks at the ends) trim and normalise exactly as Foundation does.
    @Test func plainTextIsNFCAndTrimsAsFoundationDoes() {
        let taken = (0..<0x300).compactMap(Unicode.Scalar.init) + (0x1EA0...0x1EF9).compactMap(Unicode.Scalar.init)
        for scalar in taken {
            for text in [String(scalar), "a" + String(scalar), String(scalar) + String(scalar)] {
                #expect(InputReader.isPlainlyNFC(text))
                #expect(text.precomposedStringWithCanonicalMapping == text, "U+\(String(scalar.value, radix: 16))")
            }
        }
        #expect(!InputReader.isPlainlyNFC("Ha\u{0300}"))
        #expect(!InputReader.isPlainlyNFC("Hải Phòng".decomposedStringWithCanonicalMapping))
        #expect(InputReader.isPlainlyNFC("Sở Giáo dục và Đào tạo Hải Phòng"))
        var generator = SystemRandomNumberGenerator()
        let blanks: [Unicode.Scalar] = ["\t", "\n", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}"]
        for _ in 0..<3_000 {
            var scalars: [Unicode.Scalar] = []
            for _ in 0..<Int.random(in: 0...3, using: &generator) { scalars.append(blanks.randomElement(using: &generator)!) }
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                scalars.append(Bool.random(using: &generator) ? blanks.randomElement(using: &generator)! : taken.randomElement(using: &generator)!)
            }
            for _ in 0..<Int.random(in: 0...3, using: &generator) { scalars.append(blanks.randomElement(using: &generator)!) }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            #expect(InputReader.isPlainlyNFC(text))
            let long = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(InputReader.trimmedPlainly(text) == long, "\(text.unicodeScalars.map { $0.value })")
            #expect(Array(InputReader.trimmedPlainly(text).unicodeScalars) == Array(long.unicodeScalars))
        }
    }

    @Test func countryAndLanguageCodesAreTheRegularExpressions() {
        let alphabet: [Character] = ["a", "Z", "0", "-", "é", "\n"]
        var samples = [""]
        var frontier = [""]
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            samples += frontier
        }
        samples += ["vi", "en", "zh-Hans", "zh-hans-CN", "vie", "viet", "v", "vi-", "vi--x", "vi-x", "vi-abcdefgh", "vi-abcdefghi", "VN", "vn", "V1"]
        // The expressions' `$` also matches before a final line feed; the values reach these
        // checks trimmed (`InputReader.text`), so no such value is ever asked about.
        for text in samples where !text.hasSuffix("\n") {
            #expect(MediaFields.isCountryCode(text) == (text.range(of: "^[A-Za-z]{2}$", options: .regularExpression) != nil), "\(text)")
            #expect(
                MediaFields.isLanguageTag(text) == (text.range(of: "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", options: .regularExpression) != nil),
                "\(text)")
        }
    }
}
