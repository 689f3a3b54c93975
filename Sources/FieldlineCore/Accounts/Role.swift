/// What a person does in the business. Each role carries a fixed set of permissions; technicians
/// additionally carry their own chat permissions (TC5).
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin
    case dispatcher
    case technician
    case marketer

    public var label: String {
        switch self {
        case .admin: "Admin"
        case .dispatcher: "Dispatcher / CSR"
        case .technician: "Technician"
        case .marketer: "Marketer"
        }
    }

    public var permissions: Set<Permission> {
        switch self {
        case .admin:
            Set(Permission.allCases)
        case .dispatcher:
            [
                .viewCustomers, .editCustomers, .viewJobs, .manageJobs, .dispatchJobs, .viewTechnicians,
                .viewCustomerChats, .fullCustomerChats,
            ]
        case .technician:
            [.viewAssignedJobs, .reportArrival]
        case .marketer:
            [.viewCustomers, .viewJobs, .viewTechnicians, .manageMarketing]
        }
    }
}

public enum Permission: String, Sendable, Codable, CaseIterable {
    case manageAccount = "manage_account"
    case manageUsers = "manage_users"
    case manageTechnicians = "manage_technicians"
    case viewTechnicians = "view_technicians"
    case viewCustomers = "view_customers"
    case editCustomers = "edit_customers"
    case viewJobs = "view_jobs"
    case viewAssignedJobs = "view_assigned_jobs"
    case manageJobs = "manage_jobs"
    case dispatchJobs = "dispatch_jobs"
    case reportArrival = "report_arrival"
    case viewCustomerChats = "view_customer_chats"
    case fullCustomerChats = "full_customer_chats"
    case manageMarketing = "manage_marketing"
    case manageIntegrations = "manage_integrations"
    case viewAuditLog = "view_audit_log"

    /// What the permission lets a person do, in the words a refusal uses ("Your role cannot …").
    public var action: String {
        switch self {
        case .manageAccount: "change the business's settings"
        case .manageUsers: "add people or change their access"
        case .manageTechnicians: "manage technicians"
        case .viewTechnicians: "see the technicians"
        case .viewCustomers: "see customers"
        case .editCustomers: "add or change customers"
        case .viewJobs: "see all jobs"
        case .viewAssignedJobs: "see your jobs"
        case .manageJobs: "book or change jobs"
        case .dispatchJobs: "dispatch technicians"
        case .reportArrival: "mark visits arrived or done"
        case .viewCustomerChats: "read customer conversations"
        case .fullCustomerChats: "answer every customer conversation"
        case .manageMarketing: "run marketing campaigns"
        case .manageIntegrations: "manage integrations such as ServiceChannel"
        case .viewAuditLog: "see the audit log"
        }
    }
}
