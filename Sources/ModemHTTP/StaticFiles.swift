import Foundation
import Hummingbird
import HummingbirdWebSocket

/// The live view's page (Sources/ModemHTTP/Web, shipped as the package's resources), read once at
/// start and served from memory.
struct StaticFiles: Sendable {
    /// File name → (content type, bytes).
    let files: [String: (type: String, bytes: ByteBuffer)]

    /// Reads every file of the resource folder `Web`.
    static func load() throws -> StaticFiles {
        guard let folder = Bundle.module.url(forResource: "Web", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "the live view's files are missing"])
        }
        var files: [String: (type: String, bytes: ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            files[name] = (contentType(name), ByteBuffer(bytes: data))
        }
        return StaticFiles(files: files)
    }

    static func contentType(_ name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    func addRoutes(to router: Router<BasicWebSocketRequestContext>) {
        for (name, file) in files {
            let response = Response(
                status: .ok, headers: [.contentType: file.type, .cacheControl: "no-cache"],
                body: .init(byteBuffer: file.bytes))
            router.get(RouterPath(name)) { _, _ in response }
            if name == "index.html" { router.get("/") { _, _ in response } }
        }
    }
}
