//! Data values (one per period, subject, indicator and field) and occurrences (deductions,
//! bonus items, vetoes, demotions, each with its reason). A write of several values is one
//! transaction with one audit row holding every value before and after.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AuditTx, Db, NewAudit, Result, classify, on_db, write_tx};

/// A value to write: `indicator.field = value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueInput {
    pub indicator: String,
    pub field: String,
    pub value: String,
}

/// A stored value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ValueRow {
    pub period: String,
    pub subject: String,
    pub indicator: String,
    pub field: String,
    pub value: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

/// A stored occurrence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Occurrence {
    pub id: i64,
    pub period: String,
    pub subject: String,
    pub indicator: String,
    /// `count` or `value`.
    pub field: String,
    pub amount: Option<String>,
    pub reason: String,
    pub recorded_ms: i64,
    pub recorded_by: String,
}

/// An occurrence to record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceInput {
    pub indicator: String,
    pub field: String,
    pub amount: Option<String>,
    pub reason: String,
}

/// A row for a bulk load (the demo, imports): a value or an occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BulkRow {
    Value { period: String, subject: String, input: ValueInput },
    Occurrence { period: String, subject: String, input: OccurrenceInput },
}

impl Db {
    /// Writes values of one subject in one period, all or nothing, and returns how many
    /// changed. Unchanged values are not rewritten and not audited.
    pub async fn put_values(&self, plan_key: &str, period: &str, subject: &str, values: &[ValueInput], actor: &str, at_ms: i64) -> Result<usize> {
        let n = write_tx!(self, tx => {
            let old: Vec<(String, String, String)> = sqlx::query_as("SELECT indicator, field, value FROM data_values WHERE plan_key = $1 AND period = $2 AND subject = $3")
                .bind(plan_key).bind(period).bind(subject).fetch_all(&mut *tx).await?;
            let old: BTreeMap<(String, String), String> = old.into_iter().map(|(i, f, v)| ((i, f), v)).collect();
            let mut before = BTreeMap::new();
            let mut after = BTreeMap::new();
            for v in values {
                let k = (v.indicator.clone(), v.field.clone());
                let prev = old.get(&k);
                if prev == Some(&v.value) {
                    continue;
                }
                sqlx::query("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (plan_key, period, subject, indicator, field) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by")
                    .bind(plan_key).bind(period).bind(subject).bind(&v.indicator).bind(&v.field).bind(&v.value).bind(at_ms).bind(actor)
                    .execute(&mut *tx).await?;
                let name = format!("{}.{}", v.indicator, v.field);
                before.insert(name.clone(), prev.cloned());
                after.insert(name, Some(v.value.clone()));
            }
            if !after.is_empty() {
                let audit = NewAudit::new(at_ms, actor, "write", "data_values", format!("{plan_key}/{period}/{subject}")).before(&before).after(&after);
                tx.audit(&audit).await?;
            }
            after.len()
        });
        Ok(n)
    }

    /// Records an occurrence and returns its id.
    pub async fn add_occurrence(&self, plan_key: &str, period: &str, subject: &str, o: &OccurrenceInput, actor: &str, at_ms: i64) -> Result<i64> {
        let id = write_tx!(self, tx => {
            let id: i64 = sqlx::query_scalar("INSERT INTO occurrences (plan_key, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind(plan_key).bind(period).bind(subject).bind(&o.indicator).bind(&o.field).bind(&o.amount).bind(&o.reason).bind(at_ms).bind(actor)
                .fetch_one(&mut *tx).await?;
            tx.audit(&NewAudit::new(at_ms, actor, "create", "occurrence", format!("{plan_key}/{period}/{subject}/{id}")).after(o)).await?;
            id
        });
        Ok(id)
    }

    /// Loads many rows in one transaction with one audit row (count and content hash), for
    /// the demo and for imports into empty periods.
    pub async fn bulk_load(&self, plan_key: &str, rows: &[BulkRow], what: &str, actor: &str, at_ms: i64) -> Result<usize> {
        let mut digest = String::new();
        for r in rows {
            use std::fmt::Write as _;
            let _ = match r {
                BulkRow::Value { period, subject, input } => writeln!(digest, "v|{period}|{subject}|{}|{}|{}", input.indicator, input.field, input.value),
                BulkRow::Occurrence { period, subject, input } => writeln!(digest, "o|{period}|{subject}|{}|{}|{:?}|{}", input.indicator, input.field, input.amount, input.reason),
            };
        }
        let hash = crate::plans::sha256_hex(digest.as_bytes());
        let values: Vec<_> = rows.iter().filter_map(|r| if let BulkRow::Value { period, subject, input } = r { Some((period, subject, input)) } else { None }).collect();
        let occs: Vec<_> = rows.iter().filter_map(|r| if let BulkRow::Occurrence { period, subject, input } = r { Some((period, subject, input)) } else { None }).collect();
        write_tx!(self, tx => {
            for chunk in values.chunks(2000) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) ");
                q.push_values(chunk, |mut b, (period, subject, v)| {
                    b.push_bind(plan_key).push_bind(*period).push_bind(*subject).push_bind(&v.indicator).push_bind(&v.field).push_bind(&v.value).push_bind(at_ms).push_bind(actor);
                });
                q.build().execute(&mut *tx).await.map_err(|e| classify(e, || format!("{what}: a value given twice")))?;
            }
            for chunk in occs.chunks(2000) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO occurrences (plan_key, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by) ");
                q.push_values(chunk, |mut b, (period, subject, o)| {
                    b.push_bind(plan_key).push_bind(*period).push_bind(*subject).push_bind(&o.indicator).push_bind(&o.field).push_bind(&o.amount).push_bind(&o.reason).push_bind(at_ms).push_bind(actor);
                });
                q.build().execute(&mut *tx).await?;
            }
            let audit = NewAudit::new(at_ms, actor, "load", "data_values", format!("{plan_key}/{what}"))
                .after(serde_json::json!({ "values": values.len(), "occurrences": occs.len(), "sha256": hash }));
            tx.audit(&audit).await?;
        });
        Ok(rows.len())
    }

    /// The values of the given periods (for scoring), or of one subject.
    pub async fn values(&self, plan_key: &str, periods: &[String], subject: Option<&str>) -> Result<Vec<ValueRow>> {
        let mut out = Vec::new();
        for period in periods {
            let rows: Vec<ValueRow> = on_db!(self, p => match subject {
                Some(s) => sqlx::query_as("SELECT period, subject, indicator, field, value, updated_ms, updated_by FROM data_values WHERE plan_key = $1 AND period = $2 AND subject = $3 ORDER BY indicator, field")
                    .bind(plan_key).bind(period).bind(s).fetch_all(p).await?,
                None => sqlx::query_as("SELECT period, subject, indicator, field, value, updated_ms, updated_by FROM data_values WHERE plan_key = $1 AND period = $2")
                    .bind(plan_key).bind(period).fetch_all(p).await?,
            });
            out.extend(rows);
        }
        Ok(out)
    }

    pub async fn occurrences(&self, plan_key: &str, periods: &[String], subject: Option<&str>) -> Result<Vec<Occurrence>> {
        let mut out = Vec::new();
        for period in periods {
            let rows: Vec<Occurrence> = on_db!(self, p => match subject {
                Some(s) => sqlx::query_as("SELECT id, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by FROM occurrences WHERE plan_key = $1 AND period = $2 AND subject = $3 ORDER BY id")
                    .bind(plan_key).bind(period).bind(s).fetch_all(p).await?,
                None => sqlx::query_as("SELECT id, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by FROM occurrences WHERE plan_key = $1 AND period = $2 ORDER BY id")
                    .bind(plan_key).bind(period).fetch_all(p).await?,
            });
            out.extend(rows);
        }
        Ok(out)
    }
}
