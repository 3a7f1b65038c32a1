import Foundation
import Yams

/// A problem with a configuration file or a command-line override, naming the key path.
public struct ConfigurationError: LocalizedError, Equatable {
    public var file: String
    public var message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var errorDescription: String? { "\(file): \(message)" }
}

extension ExperimentConfiguration {
    /// Reads a YAML configuration, fills in defaults and applies `overrides`
    /// (`"training.batchTokens=4096"`-style key paths).
    ///
    /// - Throws: `ConfigurationError` for unreadable YAML, unknown keys and wrong types, naming the key path.
    public static func load(from url: URL, overrides: [String] = []) throws -> ExperimentConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError(file: url.path, "cannot read the configuration file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: url.path, "the configuration file is not UTF-8 text")
        }
        return try parse(yaml: text, file: url.path, overrides: overrides)
    }

    /// Parses a YAML configuration from text (see `load(from:overrides:)`).
    public static func parse(yaml text: String, file: String = "<configuration>", overrides: [String] = []) throws -> ExperimentConfiguration {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw ConfigurationError(file: file, "invalid YAML: \(error)")
        }
        var given: [String: Any] = [:]
        if let loaded {
            guard let mapping = loaded as? [String: Any] else {
                throw ConfigurationError(file: file, "the top level must be a mapping with sections data, tokenizer, model, training, decoding")
            }
            given = mapping
        }
        for override in overrides {
            try apply(override: override, to: &given, file: file)
        }
        let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ExperimentConfiguration())) as! [String: Any]
        let merged = try merge(given, onto: defaults, path: "", file: file)
        let json = try JSONSerialization.data(withJSONObject: merged)
        do {
            return try JSONDecoder().decode(ExperimentConfiguration.self, from: json)
        } catch let error as DecodingError {
            throw ConfigurationError(file: file, describe(error))
        }
    }

    /// Keys whose values are replaced whole rather than merged key by key (their shape depends on a `kind`).
    private static let leafKeys: Set<String> = ["training.schedule"]

    /// Lays `given` over `defaults`, rejecting keys the defaults do not have.
    private static func merge(_ given: [String: Any], onto defaults: [String: Any], path: String, file: String) throws -> [String: Any] {
        var result = defaults
        for (key, value) in given {
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard let fallback = defaults[key] else {
                let known = defaults.keys.sorted().joined(separator: ", ")
                throw ConfigurationError(file: file, "unknown key '\(keyPath)' (known here: \(known))")
            }
            if let section = fallback as? [String: Any], !leafKeys.contains(keyPath) {
                guard let givenSection = value as? [String: Any] else {
                    throw ConfigurationError(file: file, "'\(keyPath)' must be a mapping")
                }
                result[key] = try merge(givenSection, onto: section, path: keyPath, file: file)
            } else {
                result[key] = jsonCompatible(value)
            }
        }
        return result
    }

    /// YAML values that JSON cannot hold as they are (dates, binary) become strings.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let mapping as [String: Any]: return mapping.mapValues(jsonCompatible)
        case let list as [Any]: return list.map(jsonCompatible)
        case is String, is Int, is Double, is Bool, is NSNull: return value
        default: return "\(value)"
        }
    }

    /// Applies one `section.key=value` override (the value is read as YAML).
    private static func apply(override: String, to mapping: inout [String: Any], file: String) throws {
        guard let equals = override.firstIndex(of: "=") else {
            throw ConfigurationError(file: "command line", "override '\(override)' must look like section.key=value")
        }
        let path = override[..<equals].split(separator: ".").map(String.init)
        let valueText = String(override[override.index(after: equals)...])
        let value = (try? Yams.load(yaml: valueText)).flatMap { $0 } ?? valueText
        guard !path.isEmpty else {
            throw ConfigurationError(file: "command line", "override '\(override)' has no key")
        }
        func set(_ keys: ArraySlice<String>, in node: inout [String: Any]) {
            let key = keys.first!
            if keys.count == 1 {
                node[key] = value
            } else {
                var child = node[key] as? [String: Any] ?? [:]
                set(keys.dropFirst(), in: &child)
                node[key] = child
            }
        }
        set(path[...], in: &mapping)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "'\(path(context))' has the wrong type: expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "'\(path(context))' is missing a value of type \(type)"
        case .keyNotFound(let key, let context):
            return "'\(path(context))' is missing key '\(key.stringValue)'"
        case .dataCorrupted(let context):
            return "'\(path(context))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The configuration as YAML, for copying into the model directory.
    public func yaml() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        return try encoder.encode(self)
    }
}
