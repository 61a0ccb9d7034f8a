//! Democratic evaluations (民主测评, M12): the office's definition (JSON, read by the
//! server), one-time rater codes kept only as SHA-256, and anonymous ballots.
//!
//! Anonymity by construction: a ballot row holds its rater group, its channel and its
//! answers under a random key — no code, no time, no voter — and casting it marks the code
//! used in the same transaction, so a code votes once and no row links the two. The audit
//! row of a phone ballot says only that a ballot of a group was cast; a paper ballot's row
//! names the staff member who entered it and what it says (the paper carries no voter).
//! Opening, closing and issuing codes are audited like every change.

use serde::{Deserialize, Serialize};

use crate::imports::ValuesTx;
use crate::values::{ValueInput, ValuesJob};
use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, on_db, write_tx};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Evaluation {
    pub key: String,
    pub name: String,
    pub year: i64,
    /// The definition: subjects, rater groups, answers, rules, flags (the server's JSON).
    pub config_json: String,
    /// `draft`, `open` (ballots taken) or `closed` (results visible).
    pub status: String,
    /// Ballots cast so far, phone and paper.
    pub ballots: i64,
    pub created_ms: i64,
    pub created_by: String,
    pub opened_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
}

const COLS: &str = "key, name, year, config_json, status, ballots, created_ms, created_by, opened_ms, closed_ms, closed_by";

/// Codes of one rater group: issued and used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CodeCount {
    pub rater_group: String,
    pub issued: i64,
    pub used: i64,
}

/// A one-time code as stored: whose it is, and whether it has voted.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeRow {
    pub evaluation_key: String,
    pub rater_group: String,
    pub used: i64,
}

/// A ballot as stored (no code, no time, no voter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct StoredBallot {
    pub rater_group: String,
    /// `phone` or `paper`.
    pub channel: String,
    pub answers_json: String,
}

/// One evaluation by its key.
fn one() -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM evaluations WHERE key = $1"))
}

fn refused(code: &'static str, zh: String, en: String) -> StorageError {
    StorageError::Refused { code, zh, en }
}

fn not_open(e: &Evaluation) -> StorageError {
    match e.status.as_str() {
        "closed" => refused("evaluation_closed", format!("测评“{}”已结束，不再接受投票", e.name), format!("the evaluation '{}' is closed and takes no more ballots", e.name)),
        _ => refused("evaluation_not_open", format!("测评“{}”尚未开始投票", e.name), format!("the evaluation '{}' is not open for voting yet", e.name)),
    }
}

impl Db {
    pub async fn create_evaluation(&self, key: &str, name: &str, year: i64, config_json: &str, actor: &str, at_ms: i64) -> Result<Evaluation> {
        let e = Evaluation {
            key: key.into(),
            name: name.into(),
            year,
            config_json: config_json.into(),
            status: "draft".into(),
            ballots: 0,
            created_ms: at_ms,
            created_by: actor.into(),
            opened_ms: None,
            closed_ms: None,
            closed_by: None,
        };
        let config: serde_json::Value = serde_json::from_str(config_json).map_err(|e| StorageError::Corrupt(format!("evaluation definition: {e}")))?;
        write_tx!(self, tx => {
            sqlx::query("INSERT INTO evaluations (key, name, year, config_json, status, ballots, created_ms, created_by) VALUES ($1, $2, $3, $4, 'draft', 0, $5, $6)")
                .bind(key).bind(name).bind(year).bind(config_json).bind(at_ms).bind(actor)
                .execute(&mut *tx).await.map_err(|err| classify(err, || format!("evaluation '{key}'")))?;
            tx.audit(&NewAudit::new(at_ms, actor, "create", "evaluation", key).after(serde_json::json!({ "name": name, "year": year, "config": config }))).await?;
        });
        Ok(e)
    }

    /// Every evaluation, newest first.
    pub async fn evaluations(&self) -> Result<Vec<Evaluation>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM evaluations ORDER BY created_ms DESC, key"));
        Ok(on_db!(self, p => sqlx::query_as(sql).fetch_all(p).await?))
    }

    pub async fn evaluation(&self, key: &str) -> Result<Option<Evaluation>> {
        Ok(on_db!(self, p => sqlx::query_as(one()).bind(key).fetch_optional(p).await?))
    }

    /// Opens a draft for voting, or closes an open evaluation (its results become visible).
    pub async fn set_evaluation_status(&self, key: &str, to: &str, actor: &str, at_ms: i64) -> Result<Evaluation> {
        let e = write_tx!(self, tx => {
            let before: Option<Evaluation> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
            let Some(before) = before else { return Err(StorageError::NotFound(format!("evaluation '{key}'"))) };
            let after = match (before.status.as_str(), to) {
                ("draft", "open") => Evaluation { status: "open".into(), opened_ms: Some(at_ms), ..before.clone() },
                ("open", "closed") => Evaluation { status: "closed".into(), closed_ms: Some(at_ms), closed_by: Some(actor.into()), ..before.clone() },
                (from, _) => {
                    return Err(refused(
                        "evaluation_state",
                        format!("测评“{}”当前为{}，不能{}", before.name, status_zh(from), if to == "open" { "开始投票" } else { "结束" }),
                        format!("the evaluation '{}' is {from} and cannot be {}", before.name, if to == "open" { "opened" } else { "closed" }),
                    ));
                }
            };
            // Taking the row in an UPDATE serialises this with ballots being cast (each
            // ballot increments `ballots` only while the status is `open`).
            sqlx::query("UPDATE evaluations SET status = $2, opened_ms = $3, closed_ms = $4, closed_by = $5 WHERE key = $1")
                .bind(key).bind(&after.status).bind(after.opened_ms).bind(after.closed_ms).bind(&after.closed_by)
                .execute(&mut *tx).await?;
            let counted: Evaluation = sqlx::query_as(one()).bind(key).fetch_one(&mut *tx).await?;
            let brief = |e: &Evaluation| serde_json::json!({ "status": e.status, "ballots": e.ballots });
            tx.audit(&NewAudit::new(at_ms, actor, if to == "open" { "open" } else { "close" }, "evaluation", key).before(brief(&before)).after(brief(&counted))).await?;
            counted
        });
        Ok(e)
    }

    /// Stores a batch of one-time codes (their SHA-256) for a rater group; the batch number.
    pub async fn issue_codes(&self, key: &str, group: &str, hashes: &[String], actor: &str, at_ms: i64) -> Result<i64> {
        let batch = write_tx!(self, tx => {
            let e: Option<Evaluation> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
            let Some(e) = e else { return Err(StorageError::NotFound(format!("evaluation '{key}'"))) };
            if e.status == "closed" {
                return Err(not_open(&e));
            }
            let batch: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(batch), 0) + 1 FROM evaluation_codes WHERE evaluation_key = $1").bind(key).fetch_one(&mut *tx).await?;
            for h in hashes {
                sqlx::query("INSERT INTO evaluation_codes (code_hash, evaluation_key, rater_group, batch, used) VALUES ($1, $2, $3, $4, 0)")
                    .bind(h).bind(key).bind(group).bind(batch)
                    .execute(&mut *tx).await.map_err(|err| classify(err, || "a rater code".to_string()))?;
            }
            tx.audit(&NewAudit::new(at_ms, actor, "issue_codes", "evaluation", key).after(serde_json::json!({ "group": group, "count": hashes.len(), "batch": batch }))).await?;
            batch
        });
        Ok(batch)
    }

    /// Codes issued and used, per rater group.
    pub async fn code_counts(&self, key: &str) -> Result<Vec<CodeCount>> {
        let sql = "SELECT rater_group, COUNT(*) AS issued, CAST(COALESCE(SUM(used), 0) AS BIGINT) AS used FROM evaluation_codes WHERE evaluation_key = $1 GROUP BY rater_group ORDER BY rater_group";
        Ok(on_db!(self, p => sqlx::query_as(sql).bind(key).fetch_all(p).await?))
    }

    /// The code with this SHA-256, if one was issued.
    pub async fn code(&self, hash: &str) -> Result<Option<CodeRow>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT evaluation_key, rater_group, used FROM evaluation_codes WHERE code_hash = $1").bind(hash).fetch_optional(p).await?))
    }

    /// Casts the ballot of a code: marks the code used and stores the ballot under `id` (a
    /// random key) in one transaction, only while the evaluation is open. The answers were
    /// checked by the caller against the evaluation's rules.
    pub async fn cast_ballot(&self, hash: &str, id: &str, answers_json: &str, at_ms: i64) -> Result<()> {
        write_tx!(self, tx => {
            let code: Option<CodeRow> = sqlx::query_as("SELECT evaluation_key, rater_group, used FROM evaluation_codes WHERE code_hash = $1").bind(hash).fetch_optional(&mut *tx).await?;
            let Some(code) = code else { return Err(StorageError::NotFound("rater code".into())) };
            let opened = sqlx::query("UPDATE evaluations SET ballots = ballots + 1 WHERE key = $1 AND status = 'open'").bind(&code.evaluation_key).execute(&mut *tx).await?;
            if opened.rows_affected() == 0 {
                let e: Evaluation = sqlx::query_as(one()).bind(&code.evaluation_key).fetch_one(&mut *tx).await?;
                return Err(not_open(&e));
            }
            let used = sqlx::query("UPDATE evaluation_codes SET used = 1 WHERE code_hash = $1 AND used = 0").bind(hash).execute(&mut *tx).await?;
            if used.rows_affected() == 0 {
                return Err(refused("code_used", "此测评码已经投过票，每个码只能投一次".into(), "this code has already voted; each code votes once".into()));
            }
            sqlx::query("INSERT INTO evaluation_ballots (id, evaluation_key, rater_group, channel, answers_json) VALUES ($1, $2, $3, 'phone', $4)")
                .bind(id).bind(&code.evaluation_key).bind(&code.rater_group).bind(answers_json)
                .execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, "anonymous", "cast", "evaluation_ballot", &code.evaluation_key).after(serde_json::json!({ "group": code.rater_group, "channel": "phone" }))).await?;
        });
        Ok(())
    }

    /// Enters a paper ballot of a rater group (the office), only while the evaluation is open.
    pub async fn enter_paper_ballot(&self, key: &str, group: &str, id: &str, answers_json: &str, actor: &str, at_ms: i64) -> Result<()> {
        let answers: serde_json::Value = serde_json::from_str(answers_json).map_err(|e| StorageError::Corrupt(format!("ballot: {e}")))?;
        write_tx!(self, tx => {
            let opened = sqlx::query("UPDATE evaluations SET ballots = ballots + 1 WHERE key = $1 AND status = 'open'").bind(key).execute(&mut *tx).await?;
            if opened.rows_affected() == 0 {
                let e: Option<Evaluation> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
                return Err(e.map_or_else(|| StorageError::NotFound(format!("evaluation '{key}'")), |e| not_open(&e)));
            }
            sqlx::query("INSERT INTO evaluation_ballots (id, evaluation_key, rater_group, channel, answers_json) VALUES ($1, $2, $3, 'paper', $4)")
                .bind(id).bind(key).bind(group).bind(answers_json)
                .execute(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "enter_paper", "evaluation_ballot", key).after(serde_json::json!({ "group": group, "channel": "paper", "answers": answers }))).await?;
        });
        Ok(())
    }

    /// Writes a closed evaluation's results into a plan's period: each subject's values through
    /// the value write of `put_values` (period open, a unit's submission lock, one audit row
    /// per subject with the values before and after), and one audit row of the application
    /// naming every value, all in one transaction; only while the evaluation is closed. The
    /// number of values that changed.
    pub async fn apply_evaluation(&self, key: &str, plan_key: &str, period: &str, writes: &[(String, Vec<ValueInput>)], actor: &str, at_ms: i64) -> Result<usize> {
        let changed = write_tx!(self, tx => {
            let e: Option<Evaluation> = sqlx::query_as(one()).bind(key).fetch_optional(&mut *tx).await?;
            let Some(e) = e else { return Err(StorageError::NotFound(format!("evaluation '{key}'"))) };
            if e.status != "closed" {
                return Err(refused("evaluation_not_closed", format!("测评“{}”尚未结束，不能应用结果", e.name), format!("the evaluation '{}' is not closed; its results cannot be applied", e.name)));
            }
            let mut changed = 0;
            for (subject, values) in writes {
                let job = ValuesJob { plan_key: plan_key.into(), period: period.into(), subject: subject.clone(), values: values.clone(), actor: actor.into(), at_ms };
                changed += tx.put_job(&job).await?;
            }
            let written: std::collections::BTreeMap<&str, std::collections::BTreeMap<String, &str>> = writes
                .iter()
                .map(|(s, vs)| (s.as_str(), vs.iter().map(|v| (format!("{}.{}", v.indicator, v.field), v.value.as_str())).collect()))
                .collect();
            tx.audit(&NewAudit::new(at_ms, actor, "apply", "evaluation", key).after(serde_json::json!({ "plan": plan_key, "period": period, "values": written }))).await?;
            changed
        });
        Ok(changed)
    }

    /// The ballots of an evaluation, in the order of their random keys (not of casting).
    pub async fn ballots(&self, key: &str) -> Result<Vec<StoredBallot>> {
        Ok(on_db!(self, p => sqlx::query_as("SELECT rater_group, channel, answers_json FROM evaluation_ballots WHERE evaluation_key = $1 ORDER BY id").bind(key).fetch_all(p).await?))
    }
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "draft" => "草稿",
        "open" => "投票中",
        _ => "已结束",
    }
}
