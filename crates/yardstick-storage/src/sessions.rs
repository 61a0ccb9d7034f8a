//! Browser sessions and API tokens. Only SHA-256 hashes of the secrets are stored: a copy
//! of the database does not let anyone sign in.

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, Role, StorageError, on_db, write_tx};

/// Who is signed in, as the server needs to know them on each request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_key: Option<String>,
    /// The session's CSRF token (empty for API tokens, which are not sent by browsers).
    pub csrf: String,
}

/// A user as the administration pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_key: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

type UserTuple = (i64, String, String, String, Option<String>, bool, i64);

fn user_info(t: UserTuple) -> Result<UserInfo> {
    let role = Role::parse(&t.3).ok_or_else(|| StorageError::Database(sqlx::Error::Decode(format!("unknown role '{}'", t.3).into())))?;
    Ok(UserInfo { id: t.0, username: t.1, display_name: t.2, role, unit_key: t.4, disabled: t.5, created_ms: t.6 })
}

impl Db {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, csrf: &str, at_ms: i64, expires_ms: i64) -> Result<()> {
        on_db!(self, p => sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(user_id).bind(csrf).bind(at_ms).bind(expires_ms).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The user of a live session; expired sessions and disabled users give `None`.
    pub async fn session_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<SessionUser>> {
        let row: Option<(i64, String, String, String, Option<String>, String)> = on_db!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.unit_key, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_ms > $2 AND NOT u.disabled")
            .bind(token_hash).bind(now_ms).fetch_optional(p).await?);
        row.map(|(user_id, username, display_name, role, unit_key, csrf)| {
            let role = Role::parse(&role).ok_or_else(|| StorageError::Database(sqlx::Error::Decode(format!("unknown role '{role}'").into())))?;
            Ok(SessionUser { user_id, username, display_name, role, unit_key, csrf })
        })
        .transpose()
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_db!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_sessions(&self, now_ms: i64) -> Result<u64> {
        Ok(on_db!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1").bind(now_ms).execute(p).await?.rows_affected()))
    }

    pub async fn create_api_token(&self, token_hash: &str, user_id: i64, name: &str, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO api_tokens (token_hash, user_id, name, created_ms) VALUES ($1, $2, $3, $4)")
                .bind(token_hash).bind(user_id).bind(name).bind(at_ms).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "create", "api_token", format!("user {user_id}")).after(serde_json::json!({ "name": name }))).await?;
        });
        Ok(())
    }

    pub async fn token_user(&self, token_hash: &str) -> Result<Option<SessionUser>> {
        let row: Option<(i64, String, String, String, Option<String>)> = on_db!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.role, u.unit_key FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked = 0 AND NOT u.disabled")
            .bind(token_hash).fetch_optional(p).await?);
        row.map(|(user_id, username, display_name, role, unit_key)| {
            let role = Role::parse(&role).ok_or_else(|| StorageError::Database(sqlx::Error::Decode(format!("unknown role '{role}'").into())))?;
            Ok(SessionUser { user_id, username, display_name, role, unit_key, csrf: String::new() })
        })
        .transpose()
    }

    pub async fn users(&self) -> Result<Vec<UserInfo>> {
        let rows: Vec<UserTuple> = on_db!(self, p => sqlx::query_as("SELECT id, username, display_name, role, unit_key, disabled, created_ms FROM users ORDER BY id").fetch_all(p).await?);
        rows.into_iter().map(user_info).collect()
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserInfo>> {
        let row: Option<UserTuple> = on_db!(self, p => sqlx::query_as("SELECT id, username, display_name, role, unit_key, disabled, created_ms FROM users WHERE id = $1").bind(id).fetch_optional(p).await?);
        row.map(user_info).transpose()
    }

    /// Enables or disables a user; a disabled user's sessions end at once.
    pub async fn set_user_disabled(&self, id: i64, disabled: bool, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let before: Option<(String, bool)> = sqlx::query_as("SELECT username, disabled FROM users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let (username, was) = before.ok_or_else(|| StorageError::NotFound(format!("user {id}")))?;
            sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1").bind(id).bind(disabled).execute(&mut *tx).await?;
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            }
            tx.audit(&NewAudit::new(at_ms, actor, if disabled { "disable" } else { "enable" }, "user", username)
                .before(serde_json::json!({ "disabled": was })).after(serde_json::json!({ "disabled": disabled }))).await?;
        });
        Ok(())
    }

    /// Sets a new password hash; the user's sessions end. The hash is never logged.
    pub async fn set_password(&self, id: i64, password_hash: &str, actor: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let name: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let name = name.ok_or_else(|| StorageError::NotFound(format!("user {id}")))?;
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(id).bind(password_hash).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "set_password", "user", name)).await?;
        });
        Ok(())
    }
}
