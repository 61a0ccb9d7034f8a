//! Data values (one per period, subject, indicator and field) and occurrences (deductions,
//! bonus items, vetoes, demotions, each with its reason). A write of several values is one
//! transaction with one audit row holding every value before and after.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sqlx::{Postgres, Sqlite, Transaction};

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
    /// changed. Unchanged values are not rewritten and not audited; a value named twice
    /// counts once, the last one. On SQLite, writes that arrive together share one
    /// transaction (group commit), each in its own savepoint: one write's failure leaves
    /// the others whole, and each is acknowledged only after the shared commit.
    pub async fn put_values(&self, plan_key: &str, period: &str, subject: &str, values: &[ValueInput], actor: &str, at_ms: i64) -> Result<usize> {
        let job = ValuesJob { plan_key: plan_key.into(), period: period.into(), subject: subject.into(), values: values.to_vec(), actor: actor.into(), at_ms };
        match self {
            Db::Sqlite(pool) => group::submit(pool, job).await,
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let n = put_values_pg(&mut tx, &job).await?;
                tx.commit().await?;
                Ok(n)
            }
        }
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
                Some(s) => sqlx::query_as("SELECT id, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by FROM occurrences WHERE plan_key = $1 AND period = $2 AND subject = $3 AND withdrawn_ms IS NULL ORDER BY id")
                    .bind(plan_key).bind(period).bind(s).fetch_all(p).await?,
                None => sqlx::query_as("SELECT id, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by FROM occurrences WHERE plan_key = $1 AND period = $2 AND withdrawn_ms IS NULL ORDER BY id")
                    .bind(plan_key).bind(period).fetch_all(p).await?,
            });
            out.extend(rows);
        }
        Ok(out)
    }
}

/// One subject's values to write in one period, by one actor.
pub(crate) struct ValuesJob {
    pub(crate) plan_key: String,
    pub(crate) period: String,
    pub(crate) subject: String,
    pub(crate) values: Vec<ValueInput>,
    pub(crate) actor: String,
    pub(crate) at_ms: i64,
}

/// Defines the write of a [`ValuesJob`] inside an open transaction of one backend: read the
/// old values of the fields written, upsert those that change in one statement, and append
/// one audit row with every value before and after.
macro_rules! put_values_in {
    ($name:ident, $db:ty) => {
        pub(crate) async fn $name(tx: &mut Transaction<'_, $db>, job: &ValuesJob) -> Result<usize> {
            // The period must be open and the unit's submission not submitted or accepted,
            // checked here, inside the write, so that no value slips in after either.
            let period: Option<String> = sqlx::query_scalar("SELECT status FROM periods WHERE plan_key = $1 AND period = $2")
                .bind(&job.plan_key).bind(&job.period).fetch_optional(&mut **tx).await?;
            if period.is_some_and(|s| s != "open") {
                return Err(crate::StorageError::Refused { code: "period_not_open", zh: format!("期间 {} 未开放填报", job.period), en: format!("the period {} is not open for data", job.period) });
            }
            let sub: Option<String> = sqlx::query_scalar("SELECT status FROM submissions WHERE plan_key = $1 AND period = $2 AND unit_key = $3")
                .bind(&job.plan_key).bind(&job.period).bind(&job.subject).fetch_optional(&mut **tx).await?;
            if let Some(st) = sub.filter(|s| s != "returned") {
                return Err(crate::StorageError::Refused {
                    code: "values_locked",
                    zh: format!("{} 的 {} 数据{}，已锁定；如需修改，请先退回", job.subject, job.period, crate::cycle::status_zh(&st)),
                    en: format!("the {} data of {} is {st} and locked; it must be returned before it can change", job.period, job.subject),
                });
            }
            let wanted: BTreeMap<(&str, &str), &str> = job.values.iter().map(|v| ((v.indicator.as_str(), v.field.as_str()), v.value.as_str())).collect();
            let indicators: std::collections::BTreeSet<&str> = wanted.keys().map(|(i, _)| *i).collect();
            let mut q = sqlx::QueryBuilder::new("SELECT indicator, field, value FROM data_values WHERE plan_key = ");
            q.push_bind(&job.plan_key).push(" AND period = ").push_bind(&job.period).push(" AND subject = ").push_bind(&job.subject).push(" AND indicator IN (");
            let mut list = q.separated(", ");
            for i in &indicators {
                list.push_bind(*i);
            }
            q.push(")");
            let old: Vec<(String, String, String)> = q.build_query_as().fetch_all(&mut **tx).await?;
            let old: BTreeMap<(String, String), String> = old.into_iter().map(|(i, f, v)| ((i, f), v)).collect();
            let mut before = BTreeMap::new();
            let mut after = BTreeMap::new();
            let mut changed = Vec::new();
            for ((indicator, field), value) in &wanted {
                let prev = old.get(&(indicator.to_string(), field.to_string()));
                if prev.map(String::as_str) == Some(*value) {
                    continue;
                }
                let name = format!("{indicator}.{field}");
                before.insert(name.clone(), prev.cloned());
                after.insert(name, Some(value.to_string()));
                changed.push((*indicator, *field, *value));
            }
            for chunk in changed.chunks(1000) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO data_values (plan_key, period, subject, indicator, field, value, updated_ms, updated_by) ");
                q.push_values(chunk, |mut b, (indicator, field, value)| {
                    b.push_bind(&job.plan_key).push_bind(&job.period).push_bind(&job.subject).push_bind(*indicator).push_bind(*field).push_bind(*value).push_bind(job.at_ms).push_bind(&job.actor);
                });
                q.push(" ON CONFLICT (plan_key, period, subject, indicator, field) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by");
                q.build().execute(&mut **tx).await?;
            }
            if !after.is_empty() {
                let audit = NewAudit::new(job.at_ms, &job.actor, "write", "data_values", format!("{}/{}/{}", job.plan_key, job.period, job.subject)).before(&before).after(&after);
                tx.audit(&audit).await?;
            }
            Ok(changed.len())
        }
    };
}

put_values_in!(put_values_sqlite, Sqlite);
put_values_in!(put_values_pg, Postgres);

/// Group commit of value writes on SQLite. Each write hands its job to a task of its own
/// (so that a caller that goes away never leaves a job half-done) and waits for the reply.
/// The task waits its turn in the file's writer queue; when its turn comes it takes every
/// job waiting at that moment (up to a bound), runs each in a savepoint of one transaction,
/// commits once and replies to each. A task that finds its job already taken by an earlier
/// one just lets the queue go on. While one batch commits the next one gathers, so under
/// load many writes share one fsync, and a lone write is committed at once.
mod group {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Arc, LazyLock, Mutex};

    use sqlx::{Connection, SqlitePool};
    use tokio::sync::oneshot;

    use super::{ValuesJob, put_values_sqlite};
    use crate::{Result, StorageError, sqlite_writer};

    /// At most this many values go into one transaction (the rest wait for the next one).
    const MAX_VALUES: usize = 20_000;

    type Waiting = Mutex<Vec<(ValuesJob, oneshot::Sender<Result<usize>>)>>;

    fn waiting(pool: &SqlitePool) -> Arc<Waiting> {
        static QUEUES: LazyLock<Mutex<HashMap<PathBuf, Arc<Waiting>>>> = LazyLock::new(Default::default);
        let file = pool.connect_options().get_filename().to_path_buf();
        QUEUES.lock().unwrap_or_else(|e| e.into_inner()).entry(file).or_default().clone()
    }

    pub(crate) async fn submit(pool: &SqlitePool, job: ValuesJob) -> Result<usize> {
        let (reply, answer) = oneshot::channel();
        let queue = waiting(pool);
        queue.lock().unwrap_or_else(|e| e.into_inner()).push((job, reply));
        let pool = pool.clone();
        tokio::spawn(async move {
            let _turn = sqlite_writer(&pool).lock_owned().await;
            let jobs = {
                let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                let mut n = 0;
                let take = q.iter().take_while(|(j, _)| {
                    n += j.values.len();
                    n <= MAX_VALUES
                }).count().max(1).min(q.len());
                q.drain(..take).collect::<Vec<_>>()
            };
            if !jobs.is_empty() {
                run(&pool, jobs).await;
            }
        });
        answer.await.unwrap_or_else(|_| Err(StorageError::Commit("the write was interrupted before its transaction ended".into())))
    }

    async fn run(pool: &SqlitePool, jobs: Vec<(ValuesJob, oneshot::Sender<Result<usize>>)>) {
        let mut outcomes = Vec::with_capacity(jobs.len());
        let done: Result<()> = async {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            for (job, _) in &jobs {
                let mut sp = tx.begin().await?;
                match put_values_sqlite(&mut sp, job).await {
                    Ok(n) => {
                        sp.commit().await?;
                        outcomes.push(Ok(n));
                    }
                    Err(e) => {
                        sp.rollback().await?;
                        outcomes.push(Err(e));
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        match done {
            Ok(()) => {
                for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let mut first = Some(e);
                for (_, reply) in jobs {
                    let _ = reply.send(Err(first.take().unwrap_or_else(|| StorageError::Commit(msg.clone()))));
                }
            }
        }
    }
}
