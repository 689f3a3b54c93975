import Foundation
import Mustache

/// The files shipped with the server (templates, CSS/JS, the OpenAPI document), read once at
/// start-up from the module's resource bundle.
struct ServerResources: Sendable {
    let templates: MustacheLibrary
    let openAPIDocument: String
    let publicFiles: [String: (contentType: String, data: Data)]

    static func load() async throws -> ServerResources {
        // For work on the pages: FIELDLINE_RESOURCES_DIR names a source `Resources` folder to read
        // instead, so a changed template or stylesheet needs a restart, not a rebuild.
        if let override = ProcessInfo.processInfo.environment["FIELDLINE_RESOURCES_DIR"], !override.isEmpty {
            return try await load(from: URL(fileURLWithPath: override))
        }
        // Foundation on Linux reports the copied `Resources` folder itself as the resource URL,
        // Darwin reports its parent; accept either.
        guard let root = Bundle.module.resourceURL,
            let base = [root.appendingPathComponent("Resources"), root].first(where: {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent("Templates").path)
            })
        else {
            throw ConfigurationError(
                message: "The server's resource bundle (templates, styles, openapi.yaml) is missing.")
        }
        return try await load(from: base)
    }

    private static func load(from base: URL) async throws -> ServerResources {
        guard FileManager.default.fileExists(atPath: base.appendingPathComponent("Templates").path) else {
            throw ConfigurationError(message: "No Templates folder in \(base.path).")
        }
        let templates = try await MustacheLibrary(directory: base.appendingPathComponent("Templates").path)
        let openAPI = try String(contentsOf: base.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var files: [String: (String, Data)] = [:]
        let publicDirectory = base.appendingPathComponent("Public")
        for name in try FileManager.default.contentsOfDirectory(atPath: publicDirectory.path) {
            let data = try Data(contentsOf: publicDirectory.appendingPathComponent(name))
            files[name] = (contentType(of: name), data)
        }
        return ServerResources(templates: templates, openAPIDocument: openAPI, publicFiles: files)
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
