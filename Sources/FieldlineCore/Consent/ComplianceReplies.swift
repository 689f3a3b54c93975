import Foundation

/// The automatic answers to keywords (CH13), worded for the carriers' rules: a HELP answer names
/// the business and program, how to get help, message frequency, that rates may apply, and how to
/// stop. Every answer fits one 160-character text; a long company name is shortened to fit.
public enum ComplianceReplies {
    public static func text(
        for automation: Automation, scope: ConsentScope, company: String, contactNumber: PhoneNumber
    ) -> String? {
        let template: String
        switch (automation, scope) {
        case (.optOutConfirmation, .all):
            template = "{company}: You're unsubscribed and will get no more texts from us. Reply START to resubscribe."
        case (.optOutConfirmation, .marketing):
            template = "{company}: You're unsubscribed from promotional texts. Reply START to resubscribe."
        case (.optInConfirmation, .all):
            template = "{company}: You're subscribed to texts again. Reply HELP for help, STOP to unsubscribe."
        case (.optInConfirmation, .marketing):
            template =
                "{company}: You're subscribed to promotional texts. Msg frequency varies. Msg&data rates may apply. Reply STOP to cancel."
        case (.helpReply, _):
            template =
                "{company} customer care: reply here or call \(contactNumber.displayed). Msg frequency varies. Msg&data rates may apply. Reply STOP to cancel."
        default:
            return nil
        }
        let room = MessageText.maximumCharacters - (template.count - "{company}".count)
        // "..." rather than "…": one character outside the GSM alphabet would make it three segments.
        let name = company.count <= room ? company : String(company.prefix(max(1, room - 3))) + "..."
        return template.replacingOccurrences(of: "{company}", with: name)
    }
}
