/// The HTTP application of `AT+HTTPINIT` … `AT+HTTPTERM` (SIM800 manual chapter 11): whether it
/// is initialised, its parameters, the request body of `AT+HTTPDATA` and the last response.
///
/// The core has no HTTP client: an action ends in a network error status (601) with no body, which
/// is what a real module reports when its bearer cannot reach the server.
struct HTTPSession: Equatable, Sendable {
    /// The answer of the last `AT+HTTPACTION`.
    struct Response: Equatable, Sendable {
        let method: Int
        let status: Int
        let body: [UInt8]
    }

    /// `AT+HTTPPARA` tags (§11.2.3) and their values after `AT+HTTPINIT`.
    static let defaults: [String: String] = [
        "CID": "1", "URL": "", "UA": "SIMCOM_MODULE", "PROIP": "0.0.0.0", "PROPORT": "0", "REDIR": "0",
        "BREAK": "0", "BREAKEND": "0", "TIMEOUT": "120", "CONTENT": "", "USERDATA": "",
    ]
    /// The largest body `AT+HTTPDATA` takes (§11.2.4: 1–319488 bytes).
    static let maximumDataLength = 319_488

    private(set) var initialised = false
    private(set) var parameters = defaults
    private(set) var body: [UInt8] = []
    private(set) var response: Response?

    /// `AT+HTTPINIT`: `false` when already initialised.
    mutating func initialise() -> Bool {
        guard !initialised else { return false }
        self = HTTPSession()
        initialised = true
        return true
    }

    /// `AT+HTTPTERM`: `false` when not initialised.
    mutating func terminate() -> Bool {
        guard initialised else { return false }
        self = HTTPSession()
        return true
    }

    /// `AT+HTTPPARA="<tag>",<value>` (tag checked).
    mutating func set(_ tag: String, to value: String) {
        parameters[tag] = value
    }

    /// `AT+HTTPDATA`'s body arrived.
    mutating func store(body: [UInt8]) {
        self.body = body
    }

    /// `AT+HTTPACTION=<method>` finished with `status` and `body`.
    mutating func finished(method: Int, status: Int, body: [UInt8]) {
        response = Response(method: method, status: status, body: body)
    }
}
