/// Field rules shared by every door. Each throws `validation_failed` naming the field.
public enum Validation {
    /// Lower-cases and trims an email address, and checks its shape.
    public static func email(_ raw: String, field: String = "email") throws(ConveneError) -> String {
        let email = raw.trimmingWhitespace().lowercased()
        guard !email.isEmpty else { throw .invalid(field, "Enter an email address.") }
        guard email.utf8.count <= 254 else { throw .invalid(field, "An email address has at most 254 characters.") }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
            !local.isEmpty, local.utf8.count <= 64,
            domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains(".."),
            !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw .invalid(field, "That is not an email address.")
        }
        return email
    }

    /// The domain part of a normalised email address.
    public static func domain(ofEmail email: String) -> String {
        String(email.split(separator: "@").last ?? "")
    }

    /// OWASP rules: at least 10 characters, at most 128, no composition rules, not a known common password.
    public static func password(_ password: String, commonPasswords: Set<String>, field: String = "password") throws(ConveneError) {
        let length = password.count
        guard length >= 10 else { throw .invalid(field, "A password needs at least 10 characters.") }
        guard length <= 128 else { throw .invalid(field, "A password has at most 128 characters.") }
        guard !commonPasswords.contains(password.lowercased()) else {
            throw .invalid(field, "That password is one of the most common; choose another.")
        }
    }

    /// A display name: 1–80 characters after trimming, no control characters.
    public static func displayName(_ raw: String, field: String = "display_name") throws(ConveneError) -> String {
        let name = raw.trimmingWhitespace()
        guard !name.isEmpty else { throw .invalid(field, "Enter a name.") }
        guard name.count <= 80 else { throw .invalid(field, "A name has at most 80 characters.") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "A name cannot contain control characters.")
        }
        return name
    }

    /// A slug: 1–60 of a-z, 0-9 and '-', not starting or ending with '-'.
    public static func slug(_ raw: String, field: String = "slug") throws(ConveneError) -> String {
        let allowed = raw.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard !raw.isEmpty, raw.utf8.count <= 60, allowed, !raw.hasPrefix("-"), !raw.hasSuffix("-") else {
            throw .invalid(field, "Use 1–60 lower-case letters, digits and dashes.")
        }
        return raw
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace || first.isNewline { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace || last.isNewline { scalars.removeLast() }
        return String(scalars)
    }
}
