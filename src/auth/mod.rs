//! Who is calling and what they may do: argon2id passwords, opaque bearer tokens, TOTP, login
//! throttling, client-certificate identities, and the one table of role permissions.

pub mod jurisdiction;
pub(crate) mod member_certificates;
pub mod password;
pub(crate) mod service;
pub mod signing_keys;
pub mod token;
pub mod totp;

pub use service::{AuthError, AuthService, IssuedToken, LoginRequest, NewAccountRequest};

use serde::{Deserialize, Serialize};

crate::store::text_enum::text_enum! {
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, clap::ValueEnum,
    )]
    #[serde(rename_all = "lowercase")]
    pub enum Role {
        Admin = "admin",
        Center = "center",
        Supervisor = "supervisor",
        Expert = "expert",
    }
}

impl Role {
    /// Roles whose misuse harms others most carry a second factor (DESIGN.md §1).
    pub fn requires_totp(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor)
    }
}

/// Everything a caller can ask to do. Every route names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    /// Own account, own session: every role.
    Session,
    /// Create, list, disable accounts and revoke their tokens.
    ManageAccounts,
    /// Read the audit log, its proofs and checkpoints, and which keys are in force.
    ReadAudit,
    /// Import experts and load the specialty classification.
    ManagePool,
    /// See experts' clear attributes and status (never sealed fields).
    ReadExpertRecords,
    /// See counts and aggregates of the pool (never a record).
    ReadPoolStatistics,
    /// Ask to unseal named fields of named experts, and read them once approved.
    RequestUnseal,
    /// Approve or refuse someone else's unseal request (the second person of dual control).
    DecideUnseal,
    /// See and edit one's own expert record.
    OwnExpertRecord,
    /// Ask for a draw (and record replacements in one's own draws).
    RequestDraw,
    /// Nominate a person for the pool: an application filed in the center's name.
    NominateExperts,
    /// Send random bytes to a draw after its intent (its center, or a supervisor).
    ContributeEntropy,
    /// See draws' progress and verification records: one's own as a center, all as a supervisor.
    ViewDraws,
    /// Reports over all draws, such as per-expert draw frequency.
    ReadDrawReports,
    /// See and answer one's own invitations.
    AnswerInvitations,
    /// Approve releasing a draw's committee list (the second person of a publish act).
    ApprovePublication,
    /// Open an evaluation session for one's own completed draw (its host).
    HostSessions,
    /// See and join the sessions one takes part in (host, operator, supervisor, member).
    JoinSessions,
    /// Rate members' conduct after a session one hosted or supervised.
    RateConduct,
    /// Read the venue catalogue and the sub-venue consent requests one may see.
    ReadVenues,
    /// Register and change venues: a center its own, an admin any.
    ManageVenues,
    /// Accept or refuse a request to use one's own venue as a sub-venue.
    AnswerVenueRequests,
    /// Pick centers, supervisors and admins by name (never experts).
    ReadDirectory,
    /// Decide experts' appeals of their ratings.
    DecideAppeals,
    /// Ask to suspend, resume or cancel one's own draw's evaluation.
    RequestInterruption,
    /// Approve or refuse such a request within one's jurisdiction.
    DecideInterruption,
    /// Set the alert rules and run the signals now.
    ConfigureAlerts,
    /// Read the alert rules in force.
    ReadAlertRules,
    /// Read the alerts within one's jurisdiction and work their cases.
    HandleAlerts,
    /// Enrol and list one's own keys for signing evaluation reports (committee members).
    EnrolSigningKeys,
    /// Put a member's further signing key in force (a new device after a lost one).
    ApproveSigningKeys,
    /// End a signing key: a member their own, an admin anyone's.
    RevokeSigningKeys,
    /// Export and list evaluation archive packages: an admin any, a supervisor those within
    /// their jurisdiction (docs/ARCHIVE.md §10).
    ReadArchives,
    /// Delete an archive package once its retention period has passed.
    DeleteArchives,
}

/// The single place that says which role may do what.
pub(crate) fn permits(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        Session => true,
        ManageAccounts => role == Admin,
        ReadAudit => matches!(role, Admin | Supervisor),
        ManagePool => role == Admin,
        ReadExpertRecords => matches!(role, Admin | Supervisor),
        ReadPoolStatistics => matches!(role, Admin | Supervisor | Center),
        RequestUnseal => matches!(role, Admin | Supervisor),
        DecideUnseal => role == Supervisor,
        OwnExpertRecord => role == Expert,
        RequestDraw => role == Center,
        NominateExperts => role == Center,
        ContributeEntropy | ViewDraws => matches!(role, Center | Supervisor),
        ReadDrawReports => role == Supervisor,
        AnswerInvitations => role == Expert,
        ApprovePublication => role == Supervisor,
        HostSessions => role == Center,
        JoinSessions => matches!(role, Center | Supervisor | Expert),
        RateConduct => matches!(role, Center | Supervisor),
        ReadVenues => matches!(role, Admin | Center | Supervisor),
        ManageVenues => matches!(role, Admin | Center),
        AnswerVenueRequests => role == Center,
        ReadDirectory => matches!(role, Admin | Center | Supervisor),
        DecideAppeals => role == Supervisor,
        RequestInterruption => role == Center,
        DecideInterruption => role == Supervisor,
        ConfigureAlerts => role == Admin,
        ReadAlertRules => matches!(role, Admin | Supervisor),
        HandleAlerts => role == Supervisor,
        EnrolSigningKeys => role == Expert,
        ApproveSigningKeys => role == Admin,
        RevokeSigningKeys => matches!(role, Expert | Admin),
        ReadArchives => matches!(role, Admin | Supervisor),
        DeleteArchives => role == Admin,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AuthMethod {
    BearerToken,
    ClientCertificate,
}

/// An authenticated caller. Carries the token digest (never the token) so logout can revoke it.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) account_id: String,
    pub username: String,
    pub role: Role,
    pub center_name: Option<String>,
    pub region_code: Option<String>,
    pub(crate) method: AuthMethod,
    pub(crate) token_digest: Option<[u8; 32]>,
}

impl Principal {
    pub(crate) fn require(&self, permission: Permission) -> Result<(), AuthError> {
        if permits(self.role, permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_accounts_and_only_admins_and_supervisors_read_the_audit_log() {
        for role in Role::ALL {
            assert!(permits(role, Permission::Session));
            assert_eq!(
                permits(role, Permission::ManageAccounts),
                role == Role::Admin
            );
            assert_eq!(
                permits(role, Permission::ReadAudit),
                matches!(role, Role::Admin | Role::Supervisor)
            );
        }
    }

    #[test]
    fn centers_see_pool_statistics_but_never_expert_records() {
        assert!(permits(Role::Center, Permission::ReadPoolStatistics));
        assert!(!permits(Role::Center, Permission::ReadExpertRecords));
        assert!(!permits(Role::Expert, Permission::ReadPoolStatistics));
        assert!(!permits(Role::Supervisor, Permission::ManagePool));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        crate::store::text_enum::assert_serde_is_text::<Role>();
    }
}
