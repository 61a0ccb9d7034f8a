//! Accounts: roles, argon2id password hashes, and creating users (each creation audited in
//! the same transaction).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

/// The roles of DOMAIN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 考评办管理员
    Admin,
    /// 考评办工作人员
    Staff,
    /// 单位填报员
    Reporter,
    /// 单位负责人
    UnitLeader,
    /// 考评责任部门
    Department,
    /// 专家评审
    Expert,
    /// 第三方评估机构
    Surveyor,
    /// 领导
    Viewer,
    /// 审计/纪检
    Auditor,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Staff,
        Role::Reporter,
        Role::UnitLeader,
        Role::Department,
        Role::Expert,
        Role::Surveyor,
        Role::Viewer,
        Role::Auditor,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Reporter => "reporter",
            Role::UnitLeader => "unit_leader",
            Role::Department => "department",
            Role::Expert => "expert",
            Role::Surveyor => "surveyor",
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "考评办管理员",
            Role::Staff => "考评办工作人员",
            Role::Reporter => "单位填报员",
            Role::UnitLeader => "单位负责人",
            Role::Department => "考评责任部门",
            Role::Expert => "专家评审",
            Role::Surveyor => "第三方评估机构",
            Role::Viewer => "领导",
            Role::Auditor => "审计/纪检",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == s)
    }

    /// Whether users of this role belong to one unit (and see only its data).
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Reporter | Role::UnitLeader | Role::Department)
    }
}

/// Hashes a password with argon2id and a random salt (a PHC string). Slow by design: call it
/// off the async threads.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("正确的密码 correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("正确的密码 correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(hash_password("same").unwrap(), hash_password("same").unwrap(), "salts differ");
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
