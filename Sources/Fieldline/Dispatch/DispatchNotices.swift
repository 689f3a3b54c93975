import FieldlineCore
import FieldlineProviders
import FieldlineStore
import Foundation
import SQLKit

/// "Your technician is on the way" (DN1–DN6, DN8): the settings, their live preview, and the
/// notice itself, sent when a technician is dispatched — in the dispatch's own transaction, so a
/// dispatch and its notice exist together or not at all.
public struct DispatchNotices: Sendable {
    let app: Fieldline

    /// Whether texts can go out: the account's default number is set up and usable (DN2).
    public struct TextReadiness: Sendable, Equatable {
        public var ready: Bool
        public var number: SenderNumber?
        /// What is wrong and how to fix it, when not ready.
        public var problem: String?
    }

    public struct Overview: Sendable, Equatable {
        public var settings: DispatchNoticeSettings
        public var text: TextReadiness
        /// Whether emails reach a real email service (false: the console, demo mode).
        public var emailDelivered: Bool
        public var trackingLinkLength: Int
    }

    public struct Preview: Sendable, Equatable {
        /// "Job #1042 · Nora Whitaker · Luis Ortega", or nil when the sample values were used.
        public var basedOn: String?
        public var text: String?
        public var textCharacters: Int?
        public var textWorstCase: Int?
        public var subject: String?
        public var emailText: String?
        public var emailHTML: String?
        /// The first template problem, as the save would report it.
        public var problem: FieldlineError?
    }

    // MARK: Settings

    public func overview(by actor: Actor) async throws -> Overview {
        try actor.require(.manageAccount)
        return try await app.database.read { sql in try await overview(of: actor.accountID, sql: sql) }
    }

    public func update(_ settings: DispatchNoticeSettings, by actor: Actor) async throws -> Overview {
        try await update(by: actor) { $0 = settings }
    }

    /// Changes some settings: `change` runs on the saved ones inside the transaction, so two admins
    /// changing different switches at once both keep their change.
    public func update(
        by actor: Actor, _ change: @Sendable (inout DispatchNoticeSettings) -> Void
    ) async throws -> Overview {
        try actor.require(.manageAccount)
        let length = trackingLinkLength
        return try await app.transaction { sql, _ in
            let store = DispatchStore(sql)
            var settings = try await store.settings(of: actor.accountID)
            change(&settings)
            let checked = try DispatchNoticeSettings.validated(settings, trackingLinkLength: length)
            let readiness = try await textReadiness(of: actor.accountID, sql: sql)
            if checked.textEnabled, !readiness.ready {
                throw FieldlineError.conflict(
                    code: .textNotReady,
                    message: "On-the-way texts cannot be turned on yet: \(readiness.problem ?? "no texting number").")
            }
            let before = try await store.settings(of: actor.accountID)
            try await store.save(checked, of: actor.accountID, at: app.clock.now())
            if before != checked {
                try await AuditStore(sql).append(
                    AuditEntry(
                        by: actor, .noticeSettingsChanged,
                        detail:
                            "texts \(checked.textEnabled ? "on" : "off"), emails \(checked.emailEnabled ? "on" : "off")",
                        at: app.clock.now()))
            }
            return try await overview(of: actor.accountID, sql: sql)
        }
    }

    /// The templates filled in from the next real visit (or sample values when there is none),
    /// without saving anything; a template problem is returned, not thrown, so the page can show
    /// it while the person types.
    public func preview(_ settings: DispatchNoticeSettings, by actor: Actor) async throws -> Preview {
        try actor.require(.manageAccount)
        return try await app.database.read { sql in
            let (values, basedOn) = try await previewValues(
                for: actor.accountID, tracking: settings.trackingEnabled, sql: sql)
            var preview = Preview(basedOn: basedOn)
            let length = trackingLinkLength
            do {
                let text = try NoticeTemplate.parse(settings.textTemplate, field: "textTemplate")
                let rendered = text.render(values, forText: true, trackingLinkLength: length)
                preview.text = rendered
                preview.textCharacters = rendered.count
                preview.textWorstCase = text.worstCaseCharacters(trackingLinkLength: length)
                let subject = try NoticeTemplate.parse(settings.emailSubject, field: "emailSubject")
                preview.subject = subject.render(values, forText: false)
                let body = try NoticeTemplate.parse(settings.emailTemplate, field: "emailTemplate")
                preview.emailText = body.render(values, forText: false)
                preview.emailHTML = try await emailHTML(
                    body: preview.emailText ?? "", values: values, accountID: actor.accountID, technician: nil, sql: sql
                )
                _ = try DispatchNoticeSettings.validated(settings, trackingLinkLength: length)
            } catch let error as FieldlineError {
                preview.problem = error
            }
            return preview
        }
    }

    /// The emails sent about a job, oldest first, with their delivery state (office staff only).
    public func emails(ofJob id: JobID, by actor: Actor) async throws -> [Email] {
        try actor.require(.viewJobs)
        return try await app.database.read { sql in try await EmailStore(sql).emails(ofJob: id, in: actor.accountID) }
    }

    var trackingLinkLength: Int { app.publicURL.count + "/t/".count + TrackingRules.tokenLength }

    func overview(of accountID: AccountID, sql: any SQLDatabase) async throws -> Overview {
        Overview(
            settings: try await DispatchStore(sql).settings(of: accountID),
            text: try await textReadiness(of: accountID, sql: sql),
            emailDelivered: !(app.email is ConsoleEmailProvider), trackingLinkLength: trackingLinkLength)
    }

    func textReadiness(of accountID: AccountID, sql: any SQLDatabase) async throws -> TextReadiness {
        let store = SenderNumberStore(sql)
        guard let number = try await store.defaultNumber(in: accountID) else {
            return TextReadiness(
                ready: false, number: nil,
                problem: "there is no default texting number. Add one under Settings → Texting numbers")
        }
        guard number.sends(.transactional) else {
            return TextReadiness(
                ready: false, number: number,
                problem: "\(number.number.displayed) is not a chat number. Make a chat number the default")
        }
        switch number.provider {
        case .console:
            return TextReadiness(ready: true, number: number, problem: nil)
        case .twilio:
            guard app.sms.twilio != nil else {
                return TextReadiness(
                    ready: false, number: number, problem: "this server has no Twilio connection configured")
            }
            guard number.hasCredentials, number.providerAccountID != nil else {
                return TextReadiness(
                    ready: false, number: number,
                    problem: "\(number.number.displayed) has no Twilio credentials. Add its Account SID and Auth Token")
            }
            guard app.secrets != nil else {
                return TextReadiness(
                    ready: false, number: number,
                    problem: "the server cannot open stored credentials. Set FIELDLINE_SECRET_KEY and restart")
            }
            return TextReadiness(ready: true, number: number, problem: nil)
        }
    }

    // MARK: On dispatch

    func handle(_ event: DomainEvent, in sql: any SQLDatabase, effects: AfterCommit) async throws {
        switch event.kind {
        case .technicianDispatched(let jobID, let assignmentID, let technicianID):
            try await dispatched(
                jobID: jobID, assignmentID: assignmentID, technicianID: technicianID, accountID: event.accountID,
                sql: sql, effects: effects)
        case .jobCanceled(let jobID):
            // A canceled visit's tracking page stops at once.
            for assignment in try await JobStore(sql).assignments(ofJobs: [jobID], in: event.accountID) {
                try await DispatchStore(sql).expireLinks(of: assignment.id, in: event.accountID, at: event.occurredAt)
            }
        default:
            break
        }
    }

    private func dispatched(
        jobID: JobID, assignmentID: AssignmentID, technicianID: TechnicianID, accountID: AccountID,
        sql: any SQLDatabase, effects: AfterCommit
    ) async throws {
        let dispatch = DispatchStore(sql)
        let settings = try await dispatch.settings(of: accountID)
        guard settings.textEnabled || settings.emailEnabled else { return }
        let jobs = JobStore(sql)
        guard let job = try await jobs.find(jobID, in: accountID),
            let assignment = try await jobs.assignment(assignmentID, in: accountID),
            let appointment = try await jobs.appointment(assignment.appointmentID, in: accountID),
            let technician = try await TechnicianStore(sql).find(technicianID, in: accountID),
            let customer = try await CustomerStore(sql).find(job.customerID, in: accountID),
            let account = try await AccountStore(sql).find(accountID)
        else { return }
        let now = app.clock.now()

        // DN5: one notice per stretch of someone being at the site.
        try await dispatch.lockSite(job.locationID, in: accountID)
        let site = try await dispatch.visits(at: job.locationID, in: accountID)
        if case .alreadyAtSite = DispatchNoticeRules.decide(
            dispatched: assignmentID, site: site, limitWhenSeveralDispatched: settings.limitWhenSeveralDispatched,
            now: now)
        {
            try await audit(
                job, "No on-the-way notice for \(technician.name): a technician is already on the way or working there",
                at: now, sql: sql)
            return
        }

        var trackingLink: String?
        if settings.trackingEnabled {
            let token = app.tokens.token(bytes: TrackingRules.tokenBytes)
            try await dispatch.insert(
                DispatchStore.TrackingLink(
                    tokenDigest: SecureTokens.digest(token), accountID: accountID, jobID: jobID,
                    assignmentID: assignmentID, technicianID: technicianID, createdAt: now,
                    expiresAt: now.addingTimeInterval(TrackingRules.lifetime)))
            trackingLink = "\(app.publicURL)/t/\(token)"
        }
        let values = NoticeValues(
            customerName: customer.name, technicianName: technician.name, technicianRating: technician.publicRating,
            companyName: account.name, jobNumber: job.number,
            arrivalWindow: TimeText(timeZoneIdentifier: account.timeZone).range(
                appointment.arrivalWindow.start, appointment.arrivalWindow.end),
            trackingLink: trackingLink)
        let templates = try settings.templates()

        if settings.textEnabled {
            let body = templates.text.render(values, forText: true, trackingLinkLength: trackingLinkLength)
            // A landline among them is refused by the gate, and the job's history says so.
            let phones = try await CustomerStore(sql).phones(of: customer.id, in: accountID)
            if phones.isEmpty {
                try await audit(job, "No on-the-way text: \(customer.name) has no phone number", at: now, sql: sql)
            }
            for phone in phones {
                try await attempt(job, sql: sql, what: "On-the-way text to \(phone.number.displayed)", at: now) {
                    // Automatic: it joins a thread only if one exists (CH11); the technician's
                    // photo shows beside it there.
                    try await app.messenger.send(
                        OutboundText(
                            accountID: accountID, to: phone.number, body: body, purpose: .transactional,
                            author: MessageAuthor(
                                kind: .automation, id: technician.id.rawValue, name: technician.name,
                                automation: .dispatchNotice),
                            jobID: jobID, thread: .joinIfExists),
                        in: sql, effects: effects)
                }
            }
        }
        if settings.emailEnabled {
            let addresses = try await CustomerStore(sql).emails(of: customer.id, in: accountID)
            if addresses.isEmpty {
                try await audit(job, "No on-the-way email: \(customer.name) has no email address", at: now, sql: sql)
            }
            let subject = templates.subject.render(values, forText: false)
            let text = templates.email.render(values, forText: false)
            let html = try await emailHTML(
                body: text, values: values, accountID: accountID, technician: technician, sql: sql)
            for address in addresses {
                try await attempt(job, sql: sql, what: "On-the-way email to \(address.address)", at: now) {
                    try await app.messenger.send(
                        OutboundEmail(
                            accountID: accountID, to: address.address, subject: subject, html: html, text: text,
                            purpose: .transactional, automation: .dispatchNotice, jobID: jobID),
                        in: sql, effects: effects)
                }
            }
        }
    }

    /// Runs one send; a refusal (opted out, notifications off, blocked, too long) is written on the
    /// job's trail instead of failing the dispatch. The Messenger refuses before it writes, so a
    /// refusal never leaves a failed statement in the transaction; any other error is real and
    /// rolls the dispatch back.
    private func attempt(
        _ job: Job, sql: any SQLDatabase, what: String, at now: Date, _ send: () async throws -> some Sendable
    ) async throws {
        let outcome: String
        do {
            _ = try await send()
            outcome = "\(what) queued"
        } catch let error as FieldlineError where error.isRefusal {
            outcome = "\(what) not sent: \(error.message)"
        }
        try await audit(job, outcome, at: now, sql: sql)
    }

    private func audit(_ job: Job, _ text: String, at now: Date, sql: any SQLDatabase) async throws {
        try await JobStore(sql).append(
            JobEvent(
                id: UUID().uuidString.lowercased(), accountID: job.accountID, jobID: job.id, occurredAt: now,
                actor: .system, kind: "notice", text: text))
    }

    // MARK: Rendering

    /// The email as HTML: the company, the technician's face and name (and rating when 4 stars or
    /// more, DN4), the body's paragraphs, and a button to the tracking page.
    func emailHTML(
        body: String, values: NoticeValues, accountID: AccountID, technician: Technician?, sql: any SQLDatabase
    ) async throws -> String {
        let photo = technician.map { photoURL(of: $0) }
        let paragraphs = body.components(separatedBy: "\n\n").map { paragraph in
            "<p style=\"margin:0 0 14px;line-height:1.5\">"
                + HTMLText.escape(paragraph).replacingOccurrences(of: "\n", with: "<br>") + "</p>"
        }
        let rating = values.technicianRating.flatMap { $0 >= 4 ? String(format: "%.1f", $0) : nil }
        var card = ""
        if let photo {
            card = """
                <table role="presentation" style="margin:0 0 18px"><tr>\
                <td><img src="\(HTMLText.escape(photo))" width="56" height="56" alt="" style="border-radius:28px;display:block"></td>\
                <td style="padding-left:12px"><div style="font-weight:600;font-size:16px">\(HTMLText.escape(values.technicianName))</div>\
                \(rating.map { "<div style=\"color:#5d6672;font-size:13px\">★ \($0) rating</div>" } ?? "")</td>\
                </tr></table>
                """
        }
        let button = values.trackingLink.map { link in
            """
            <p style="margin:18px 0"><a href="\(HTMLText.escape(link))" style="background:#0e7282;color:#ffffff;\
            padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">\
            Track \(HTMLText.escape(NoticeValues.firstName(values.technicianName)))</a></p>
            """
        }
        return """
            <!doctype html><html><body style="margin:0;background:#f5f6f8;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#12161b">\
            <div style="max-width:560px;margin:0 auto;padding:24px">\
            <div style="font-weight:700;font-size:15px;color:#0b5c69;margin-bottom:12px">\(HTMLText.escape(values.companyName))</div>\
            <div style="background:#ffffff;border:1px solid #e1e4e9;border-radius:10px;padding:24px">\
            \(card)\(paragraphs.joined())\(button ?? "")</div></div></body></html>
            """
    }

    private func photoURL(of technician: Technician) -> String {
        let path = technician.photoURL ?? Avatar.path(for: technician.id)
        return path.hasPrefix("/") ? app.publicURL + path : path
    }

    /// The next visit with a technician, for the preview; sample values when there is none.
    private func previewValues(
        for accountID: AccountID, tracking: Bool, sql: any SQLDatabase
    ) async throws -> (NoticeValues, String?) {
        let account = try await AccountStore(sql).find(accountID)
        let companyName = account?.name ?? "Your company"
        let text = TimeText(timeZoneIdentifier: account?.timeZone ?? "UTC")
        // A link of the real length; it leads to the "link has ended" page.
        let sampleLink = tracking ? "\(app.publicURL)/t/k3Jd9QmX2pLr7VtY0bNw4e" : nil
        let now = app.clock.now()
        let jobs = JobStore(sql)
        let upcoming = try await jobs.appointments(
            overlapping: DateInterval(start: now, duration: 30 * 86400), in: accountID
        ).sorted { $0.startsAt < $1.startsAt }
        for appointment in upcoming {
            guard let job = try await jobs.find(appointment.jobID, in: accountID), !job.status.isClosed,
                let assignment = try await jobs.assignments(ofJobs: [job.id], in: accountID)
                    .first(where: { $0.appointmentID == appointment.id }),
                let technician = try await TechnicianStore(sql).find(assignment.technicianID, in: accountID),
                let customer = try await CustomerStore(sql).find(job.customerID, in: accountID)
            else { continue }
            return (
                NoticeValues(
                    customerName: customer.name, technicianName: technician.name,
                    technicianRating: technician.publicRating, companyName: companyName, jobNumber: job.number,
                    arrivalWindow: text.range(appointment.arrivalWindow.start, appointment.arrivalWindow.end),
                    trackingLink: sampleLink),
                "Job #\(job.number) · \(customer.name) · \(technician.name)"
            )
        }
        return (
            NoticeValues(
                customerName: "Jordan Rivera", technicianName: "Sam Taylor", technicianRating: 4.9,
                companyName: companyName, jobNumber: 1042,
                arrivalWindow: text.range(now.addingTimeInterval(3600), now.addingTimeInterval(3 * 3600)),
                trackingLink: sampleLink),
            nil
        )
    }
}
