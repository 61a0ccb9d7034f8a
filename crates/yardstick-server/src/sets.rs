//! What is read from computed result sets, kept in memory. A result set is never changed
//! (a correction is a new set, published as a new version), so its rows and statistics can
//! be kept without ever going stale; only memory bounds the cache. Authorization is the
//! caller's business: the cache answers for a set id whoever asks.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use yardstick_storage::results::ResultRow;
use yardstick_storage::{Db, StorageError};

/// Per category of a set: (category, scored rows, sum of scores in cents, top in cents).
pub type CategoryStats = Vec<(String, i64, i64, i64)>;

type Key = (i64, Option<String>);

#[derive(Default)]
struct Inner {
    rows: HashMap<Key, Arc<Vec<ResultRow>>>,
    stats: HashMap<i64, Arc<CategoryStats>>,
    /// Insertion order, for eviction (oldest first).
    order: VecDeque<Key>,
    held: usize,
}

pub struct SetCache {
    inner: Mutex<Inner>,
    /// At most this many rows are held (a province's month is 10,000).
    budget: usize,
}

impl SetCache {
    pub fn new(budget: usize) -> SetCache {
        SetCache { inner: Mutex::new(Inner::default()), budget }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rows of a set in order, of one category or all (category, then position).
    pub async fn rows(&self, db: &Db, set_id: i64, category: Option<&str>) -> Result<Arc<Vec<ResultRow>>, StorageError> {
        let key = (set_id, category.map(str::to_string));
        if let Some(r) = self.lock().rows.get(&key) {
            return Ok(r.clone());
        }
        let rows = Arc::new(db.result_rows(set_id, category, 0, i64::MAX).await?);
        let mut g = self.lock();
        if !g.rows.contains_key(&key) {
            g.held += rows.len();
            g.rows.insert(key.clone(), rows.clone());
            g.order.push_back(key);
            while g.held > self.budget && g.order.len() > 1 {
                let Some(old) = g.order.pop_front() else { break };
                if let Some(r) = g.rows.remove(&old) {
                    g.held -= r.len();
                }
            }
        }
        Ok(rows)
    }

    /// Each category's count, sum and top score of a set (exact cents).
    pub async fn stats(&self, db: &Db, set_id: i64) -> Result<Arc<CategoryStats>, StorageError> {
        if let Some(s) = self.lock().stats.get(&set_id) {
            return Ok(s.clone());
        }
        let s = Arc::new(db.category_stats(set_id).await?);
        let mut g = self.lock();
        if g.stats.len() >= 4096 {
            g.stats.clear();
        }
        g.stats.insert(set_id, s.clone());
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yardstick_storage::results::Explanation;

    fn row(s: &str, cat: &str, pos: i64) -> (ResultRow, Explanation) {
        let r = ResultRow { subject: s.into(), category: cat.into(), position: pos, score: Some(format!("{}.00", 90 - pos)), rank: Some(pos + 1), tied: false, grade: None, vetoed: false, lost: "0.00".into() };
        (r, Explanation::pack("{}"))
    }

    #[tokio::test]
    async fn rows_are_kept_per_set_and_category_within_the_budget() {
        let path = std::env::temp_dir().join(format!("ys-setcache-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = Db::connect(&format!("sqlite://{}", path.display())).await.unwrap();
        let rows: Vec<_> = (0..5).map(|i| row(&format!("U{i}"), if i < 3 { "A" } else { "B" }, i % 3)).collect();
        let s1 = db.save_result_set("p", "2026-01", 1, &rows, "t", 1).await.unwrap();
        let s2 = db.save_result_set("p", "2026-02", 1, &rows[..2], "t", 2).await.unwrap();
        let cache = SetCache::new(4);
        let a = cache.rows(&db, s1, Some("A")).await.unwrap();
        assert_eq!(a.iter().map(|r| r.subject.as_str()).collect::<Vec<_>>(), ["U0", "U1", "U2"]);
        assert!(Arc::ptr_eq(&a, &cache.rows(&db, s1, Some("A")).await.unwrap()), "the second read is the cached one");
        assert_eq!(cache.rows(&db, s1, None).await.unwrap().len(), 5);
        // 3 + 5 rows exceed the budget of 4: the oldest entry went.
        assert_eq!(cache.lock().held, 5);
        assert!(!Arc::ptr_eq(&a, &cache.rows(&db, s1, Some("A")).await.unwrap()));
        assert_eq!(cache.rows(&db, s2, Some("B")).await.unwrap().len(), 0);
        assert_eq!(cache.rows(&db, s2, Some("A")).await.unwrap().len(), 2, "sets are told apart");
        let st = cache.stats(&db, s1).await.unwrap();
        assert_eq!(*st, vec![("A".to_string(), 3, 9000 + 8900 + 8800, 9000), ("B".to_string(), 2, 9000 + 8900, 9000)]);
        let _ = std::fs::remove_file(&path);
    }
}
