//! Plans and their versions, and periods. A version, once stored, is never edited: a change
//! is a new version (the database refuses UPDATE and DELETE on `plan_versions`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Plan {
    pub key: String,
    pub year: i64,
    pub name: String,
}

/// A stored version of a plan, without its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PlanVersionInfo {
    pub plan_key: String,
    pub version: i64,
    pub sha256: String,
    pub note: String,
    pub created_ms: i64,
    pub created_by: String,
}

/// A period of a plan that is open for data (or closed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PeriodRow {
    pub plan_key: String,
    pub period: String,
    pub status: String,
    pub opened_ms: i64,
}

pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

impl Db {
    pub async fn create_plan(&self, p: &Plan, actor: &str, at_ms: i64) -> Result<()> {
        let audit = NewAudit::new(at_ms, actor, "create", "plan", &p.key).after(p);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO plans (key, year, name) VALUES ($1, $2, $3)")
                .bind(&p.key).bind(p.year).bind(&p.name)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("plan '{}'", p.key)))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    pub async fn plans(&self) -> Result<Vec<Plan>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT key, year, name FROM plans ORDER BY year DESC, key").fetch_all(p).await?))
    }

    pub async fn plan(&self, key: &str) -> Result<Option<Plan>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT key, year, name FROM plans WHERE key = $1").bind(key).fetch_optional(p).await?))
    }

    /// Stores the next version of a plan's text (checked by the caller) and returns its number.
    pub async fn add_plan_version(&self, plan_key: &str, toml: &str, note: &str, actor: &str, at_ms: i64) -> Result<i64> {
        let hash = sha256_hex(toml.as_bytes());
        let v = write_tx!(self, tx => {
            let exists: Option<String> = sqlx::query_scalar("SELECT key FROM plans WHERE key = $1").bind(plan_key).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(StorageError::NotFound(format!("plan '{plan_key}'")));
            }
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM plan_versions WHERE plan_key = $1").bind(plan_key).fetch_one(&mut *tx).await?;
            let v = last.unwrap_or(0) + 1;
            sqlx::query("INSERT INTO plan_versions (plan_key, version, toml, sha256, note, created_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(plan_key).bind(v).bind(toml).bind(&hash).bind(note).bind(at_ms).bind(actor)
                .execute(&mut *tx).await?;
            let audit = NewAudit::new(at_ms, actor, "create", "plan_version", format!("{plan_key}/v{v}"))
                .after(serde_json::json!({ "plan": plan_key, "version": v, "sha256": hash, "note": note }));
            tx.audit(&audit).await?;
            v
        });
        Ok(v)
    }

    pub async fn plan_versions(&self, plan_key: &str) -> Result<Vec<PlanVersionInfo>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT plan_key, version, sha256, note, created_ms, created_by FROM plan_versions WHERE plan_key = $1 ORDER BY version").bind(plan_key).fetch_all(p).await?))
    }

    /// The text of a version; `None` for the latest.
    pub async fn plan_text(&self, plan_key: &str, version: Option<i64>) -> Result<Option<(i64, String)>> {
        let row: Option<(i64, String)> = on_db!(self, p => match version {
            Some(v) => sqlx::query_as("SELECT version, toml FROM plan_versions WHERE plan_key = $1 AND version = $2").bind(plan_key).bind(v).fetch_optional(p).await?,
            None => sqlx::query_as("SELECT version, toml FROM plan_versions WHERE plan_key = $1 ORDER BY version DESC LIMIT 1").bind(plan_key).fetch_optional(p).await?,
        });
        Ok(row)
    }

    pub async fn open_period(&self, plan_key: &str, period: &str, actor: &str, at_ms: i64) -> Result<()> {
        let row = PeriodRow { plan_key: plan_key.into(), period: period.into(), status: "open".into(), opened_ms: at_ms };
        let audit = NewAudit::new(at_ms, actor, "open", "period", format!("{plan_key}/{period}")).after(&row);
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO periods (plan_key, period, status, opened_ms) VALUES ($1, $2, $3, $4)")
                .bind(plan_key).bind(period).bind("open").bind(at_ms)
                .execute(&mut *tx).await.map_err(|e| classify(e, || format!("period '{period}' of plan '{plan_key}'")))?;
            tx.audit(&audit).await?;
        });
        Ok(())
    }

    pub async fn periods(&self, plan_key: &str) -> Result<Vec<PeriodRow>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT plan_key, period, status, opened_ms FROM periods WHERE plan_key = $1 ORDER BY period").bind(plan_key).fetch_all(p).await?))
    }
}
