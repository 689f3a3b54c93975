/// The one error type the application speaks. Each case carries what a person needs to act on it;
/// its code comes from the one vocabulary, `ErrorCode`, and so does its status (`status`), which
/// the API and the pages both answer with.
public enum FieldlineError: Error, Equatable, Sendable {
    /// Input that breaks a rule: `field` names the offending input (e.g. `phone`, `endsAt`).
    case invalid(field: String, message: String)
    /// A record that does not exist in the caller's account (another account's records included).
    case notFound(entity: String, id: String)
    /// The request is valid but collides with the current state (duplicate, wrong status).
    case conflict(code: ErrorCode, message: String)
    /// Signed in, but the role or per-user permissions do not allow this.
    case forbidden(permission: String)
    /// Signed in, but this is not for the caller, for a reason a permission name does not say.
    case refused(code: ErrorCode, message: String)
    /// Not signed in, or the credentials are wrong.
    case unauthenticated(message: String)
    /// Too many attempts in a short time; `retryAfter` seconds until the next one is accepted.
    case rateLimited(message: String, retryAfter: Int)

    public var code: String {
        switch self {
        case .invalid: "invalid_\(Self.snakeCase(fieldName))"
        case .notFound(let entity, _): "\(Self.snakeCase(entity))_not_found"
        case .conflict(let code, _): code.rawValue
        case .forbidden: ErrorCode.forbidden.rawValue
        case .refused(let code, _): code.rawValue
        case .unauthenticated: ErrorCode.unauthenticated.rawValue
        case .rateLimited: ErrorCode.tooManyAttempts.rawValue
        }
    }

    /// The HTTP status the error is answered with, on the API and on a page alike.
    public var status: Int {
        switch self {
        case .invalid: 422
        case .notFound: 404
        case .conflict(let code, _), .refused(let code, _): code.status
        case .forbidden: ErrorCode.forbidden.status
        case .unauthenticated: ErrorCode.unauthenticated.status
        case .rateLimited: ErrorCode.tooManyAttempts.status
        }
    }

    public var message: String {
        switch self {
        case .invalid(_, let message): message
        case .notFound(let entity, let id): "No \(entity) with id \(id) exists in this account."
        case .conflict(_, let message): message
        case .forbidden(let permission):
            // In words a person can take to an admin, never the internal permission name.
            "Your role cannot \(Permission(rawValue: permission)?.action ?? "do this"). Ask an admin if you need to."
        case .refused(_, let message): message
        case .unauthenticated(let message): message
        case .rateLimited(let message, _): message
        }
    }

    /// A rule said no (a conflict or invalid input), as opposed to a missing record, a permission
    /// or sign-in problem.
    public var isRefusal: Bool {
        switch self {
        case .conflict, .invalid: true
        default: false
        }
    }

    private var fieldName: String {
        if case .invalid(let field, _) = self { return field }
        return ""
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result.append("_") }
                result.append(contentsOf: character.lowercased())
            } else if character == " " || character == "-" {
                result.append("_")
            } else {
                result.append(character)
            }
        }
        return result
    }
}
