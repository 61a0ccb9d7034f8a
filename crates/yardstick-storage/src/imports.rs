//! Imports: many rows written in one transaction, all or nothing. A row equal to what is
//! stored is not written and not audited, so importing the same file twice changes
//! nothing the second time; each row that does change gets its own audit row, with the
//! state before and after, in the same transaction.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::{Postgres, Sqlite, Transaction};

use crate::accounts::Role;
use crate::registry::{Area, Category, Person, Unit};
use crate::values::{OccurrenceInput, ValueInput, ValuesJob};
use crate::{AuditTx, Db, NewAudit, Result, StorageError, classify, write_tx};

/// A user as an import describes it. A new user gets `password_hash` (the caller makes a
/// password and hashes it); an existing one keeps its password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_key: Option<String>,
    /// `None`: leave the address as it is; `Some("")` is not used (an empty cell is `None`).
    pub email: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
}

/// The registry rows of an import; every list is the desired state of the rows it names.
#[derive(Clone, Debug, Default)]
pub struct RegistryImport {
    pub areas: Vec<Area>,
    pub categories: Vec<Category>,
    pub units: Vec<Unit>,
    pub people: Vec<Person>,
    pub users: Vec<ImportUser>,
}

/// What an import did, per kind of row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What a registry import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RegistryCounts {
    pub areas: Counts,
    pub categories: Counts,
    pub units: Counts,
    pub people: Counts,
    pub users: Counts,
    /// The usernames created (their passwords are the caller's to hand out).
    pub new_users: Vec<String>,
}

/// One unit's part of a data import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitData {
    pub unit: String,
    pub values: Vec<ValueInput>,
    /// Occurrences as the file lists them; those already recorded (the same indicator,
    /// field, amount and reason, counted) are not recorded again.
    pub occurrences: Vec<OccurrenceInput>,
}

/// What a data import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DataCounts {
    /// Values written (new or changed).
    pub values_changed: usize,
    /// Values equal to the stored ones, left alone.
    pub values_unchanged: usize,
    pub occurrences_added: usize,
    pub occurrences_unchanged: usize,
    /// Units with at least one change.
    pub units_changed: usize,
}

macro_rules! upsert {
    ($tx:ident, $counts:expr, $actor:expr, $at:expr, $entity:literal, $key:expr, $new:expr, $ty:ty, $select:literal, $insert:expr, $update:expr) => {{
        let before: Option<$ty> = sqlx::query_as($select).bind($key).fetch_optional(&mut *$tx).await?;
        match before {
            None => {
                $insert.execute(&mut *$tx).await.map_err(|e| classify(e, || format!("{} '{}'", $entity, $key)))?;
                $tx.audit(&NewAudit::new($at, $actor, "import", $entity, $key).after($new)).await?;
                $counts.created += 1;
            }
            Some(b) if b == *$new => $counts.unchanged += 1,
            Some(b) => {
                $update.execute(&mut *$tx).await.map_err(|e| classify(e, || format!("{} '{}'", $entity, $key)))?;
                $tx.audit(&NewAudit::new($at, $actor, "import", $entity, $key).before(&b).after($new)).await?;
                $counts.updated += 1;
            }
        }
    }};
}

/// Writes jobs of values inside an open transaction of either backend.
pub(crate) trait ValuesTx {
    async fn put_job(&mut self, job: &ValuesJob) -> Result<usize>;
}

impl ValuesTx for Transaction<'_, Sqlite> {
    async fn put_job(&mut self, job: &ValuesJob) -> Result<usize> {
        crate::values::put_values_sqlite(self, job).await
    }
}

impl ValuesTx for Transaction<'_, Postgres> {
    async fn put_job(&mut self, job: &ValuesJob) -> Result<usize> {
        crate::values::put_values_pg(self, job).await
    }
}

type OccKey = (String, String, Option<String>, String);

impl Db {
    /// Creates or updates areas, categories, units, people and users in one transaction, in
    /// that order (so a unit may name a category of the same import). With `dry_run` the
    /// transaction is rolled back: the counts say exactly what the import would do.
    pub async fn import_registry(&self, r: &RegistryImport, actor: &str, at_ms: i64, dry_run: bool) -> Result<RegistryCounts> {
        let mut n = RegistryCounts::default();
        write_tx!(self, tx => {
            for a in &r.areas {
                upsert!(tx, n.areas, actor, at_ms, "area", &a.key, a, Area,
                    "SELECT key, name, parent_key FROM areas WHERE key = $1",
                    sqlx::query("INSERT INTO areas (key, name, parent_key) VALUES ($1, $2, $3)").bind(&a.key).bind(&a.name).bind(&a.parent_key),
                    sqlx::query("UPDATE areas SET name = $2, parent_key = $3 WHERE key = $1").bind(&a.key).bind(&a.name).bind(&a.parent_key));
            }
            for c in &r.categories {
                upsert!(tx, n.categories, actor, at_ms, "category", &c.key, c, Category,
                    "SELECT key, name, series, sort FROM categories WHERE key = $1",
                    sqlx::query("INSERT INTO categories (key, name, series, sort) VALUES ($1, $2, $3, $4)").bind(&c.key).bind(&c.name).bind(&c.series).bind(c.sort),
                    sqlx::query("UPDATE categories SET name = $2, series = $3, sort = $4 WHERE key = $1").bind(&c.key).bind(&c.name).bind(&c.series).bind(c.sort));
            }
            for u in &r.units {
                upsert!(tx, n.units, actor, at_ms, "unit", &u.key, u, Unit,
                    "SELECT key, name, category_key, area_key, static_level, active <> 0 AS active FROM units WHERE key = $1",
                    sqlx::query("INSERT INTO units (key, name, category_key, area_key, static_level, active) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&u.key).bind(&u.name).bind(&u.category_key).bind(&u.area_key).bind(u.static_level).bind(i64::from(u.active)),
                    sqlx::query("UPDATE units SET name = $2, category_key = $3, area_key = $4, static_level = $5, active = $6 WHERE key = $1")
                        .bind(&u.key).bind(&u.name).bind(&u.category_key).bind(&u.area_key).bind(u.static_level).bind(i64::from(u.active)));
            }
            for x in &r.people {
                upsert!(tx, n.people, actor, at_ms, "person", &x.key, x, Person,
                    "SELECT key, name, unit_key, post, kind, category_key, section, section_head <> 0 AS section_head FROM people WHERE key = $1",
                    sqlx::query("INSERT INTO people (key, name, unit_key, post, kind, category_key, section, section_head) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)").bind(&x.key).bind(&x.name).bind(&x.unit_key).bind(&x.post).bind(&x.kind).bind(&x.category_key).bind(&x.section).bind(i64::from(x.section_head)),
                    sqlx::query("UPDATE people SET name = $2, unit_key = $3, post = $4, kind = $5, category_key = $6, section = $7, section_head = $8 WHERE key = $1").bind(&x.key).bind(&x.name).bind(&x.unit_key).bind(&x.post).bind(&x.kind).bind(&x.category_key).bind(&x.section).bind(i64::from(x.section_head)));
            }
            for u in &r.users {
                let row: Option<(i64, String, String, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT u.id, u.display_name, u.role, u.unit_key, e.email FROM users u LEFT JOIN user_emails e ON e.user_id = u.id WHERE u.username = $1")
                    .bind(&u.username).fetch_optional(&mut *tx).await?;
                let view = |name: &str, role: &str, unit: &Option<String>, email: &Option<String>| serde_json::json!({
                    "username": u.username, "display_name": name, "role": role, "unit": unit, "email": email,
                });
                match row {
                    None => {
                        let id: i64 = sqlx::query_scalar("INSERT INTO users (username, display_name, password_hash, role, unit_key, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                            .bind(&u.username).bind(&u.display_name).bind(&u.password_hash).bind(u.role.key()).bind(&u.unit_key).bind(at_ms)
                            .fetch_one(&mut *tx).await.map_err(|e| classify(e, || format!("user '{}'", u.username)))?;
                        if let Some(e) = &u.email {
                            sqlx::query("INSERT INTO user_emails (user_id, email, set_ms, set_by) VALUES ($1, $2, $3, $4)").bind(id).bind(e).bind(at_ms).bind(actor).execute(&mut *tx).await?;
                        }
                        tx.audit(&NewAudit::new(at_ms, actor, "import", "user", &u.username).after(view(&u.display_name, u.role.key(), &u.unit_key, &u.email))).await?;
                        n.users.created += 1;
                        n.new_users.push(u.username.clone());
                    }
                    Some((id, name, role, unit, email)) => {
                        let email_after = u.email.clone().or_else(|| email.clone());
                        if name == u.display_name && role == u.role.key() && unit == u.unit_key && email_after == email {
                            n.users.unchanged += 1;
                            continue;
                        }
                        sqlx::query("UPDATE users SET display_name = $2, role = $3, unit_key = $4 WHERE id = $1")
                            .bind(id).bind(&u.display_name).bind(u.role.key()).bind(&u.unit_key).execute(&mut *tx).await?;
                        if email_after != email
                            && let Some(e) = &email_after
                        {
                            sqlx::query("INSERT INTO user_emails (user_id, email, set_ms, set_by) VALUES ($1, $2, $3, $4) \
                                         ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, set_ms = excluded.set_ms, set_by = excluded.set_by")
                                .bind(id).bind(e).bind(at_ms).bind(actor).execute(&mut *tx).await?;
                        }
                        tx.audit(&NewAudit::new(at_ms, actor, "import", "user", &u.username)
                            .before(view(&name, &role, &unit, &email))
                            .after(view(&u.display_name, u.role.key(), &u.unit_key, &email_after))).await?;
                        n.users.updated += 1;
                    }
                }
            }
            if dry_run {
                // Dropping the open transaction rolls it back.
                return Ok(n);
            }
        });
        Ok(n)
    }

    /// Writes a period's values of many units in one transaction, all or nothing: each
    /// unit's values as `put_values` writes them (the period must be open, the unit's
    /// data not locked by a submission; unchanged values are left alone; one audit row per
    /// unit with every value before and after), and the occurrences not yet recorded.
    pub async fn import_values(&self, plan_key: &str, period: &str, units: &[UnitData], actor: &str, at_ms: i64) -> Result<DataCounts> {
        let mut n = DataCounts::default();
        write_tx!(self, tx => {
            let status: Option<String> = sqlx::query_scalar("SELECT status FROM periods WHERE plan_key = $1 AND period = $2")
                .bind(plan_key).bind(period).fetch_optional(&mut *tx).await?;
            if status.as_deref() != Some("open") {
                return Err(StorageError::Refused { code: "period_not_open", zh: format!("期间 {period} 未开放填报"), en: format!("the period {period} is not open for data") });
            }
            // The occurrences already recorded, counted by what they say.
            let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
                "SELECT subject, indicator, field, amount, reason FROM occurrences WHERE plan_key = $1 AND period = $2 AND withdrawn_ms IS NULL")
                .bind(plan_key).bind(period).fetch_all(&mut *tx).await?;
            let mut recorded: BTreeMap<(String, OccKey), usize> = BTreeMap::new();
            for (s, i, f, a, r) in rows {
                *recorded.entry((s, (i, f, a, r))).or_default() += 1;
            }
            for u in units {
                let mut changed = false;
                if !u.values.is_empty() {
                    let job = ValuesJob { plan_key: plan_key.into(), period: period.into(), subject: u.unit.clone(), values: u.values.clone(), actor: actor.into(), at_ms };
                    let c = tx.put_job(&job).await?;
                    n.values_changed += c;
                    n.values_unchanged += u.values.len() - c.min(u.values.len());
                    changed |= c > 0;
                }
                let mut wanted: BTreeMap<OccKey, usize> = BTreeMap::new();
                for o in &u.occurrences {
                    *wanted.entry((o.indicator.clone(), o.field.clone(), o.amount.clone(), o.reason.clone())).or_default() += 1;
                }
                for (key, count) in wanted {
                    let have = recorded.get(&(u.unit.clone(), key.clone())).copied().unwrap_or(0);
                    n.occurrences_unchanged += count.min(have);
                    let (indicator, field, amount, reason) = key;
                    let o = OccurrenceInput { indicator, field, amount, reason };
                    for _ in have..count {
                        let id: i64 = sqlx::query_scalar("INSERT INTO occurrences (plan_key, period, subject, indicator, field, amount, reason, recorded_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                            .bind(plan_key).bind(period).bind(&u.unit).bind(&o.indicator).bind(&o.field).bind(&o.amount).bind(&o.reason).bind(at_ms).bind(actor)
                            .fetch_one(&mut *tx).await?;
                        tx.audit(&NewAudit::new(at_ms, actor, "import", "occurrence", format!("{plan_key}/{period}/{}/{id}", u.unit)).after(&o)).await?;
                        n.occurrences_added += 1;
                        changed = true;
                    }
                }
                n.units_changed += usize::from(changed);
            }
        });
        Ok(n)
    }
}
