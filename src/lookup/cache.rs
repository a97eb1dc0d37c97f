//! TTL cache of lookup outcomes; time is passed in.

use super::Outcome;
use std::collections::HashMap;

/// Entries kept at most; past this, expired entries go first, then everything.
const CAPACITY: usize = 10_000;

#[derive(Debug, Default)]
pub(super) struct Cache {
    entries: HashMap<String, (Outcome, u64)>,
}

impl Cache {
    pub fn get(&self, id: &str, now_ms: u64) -> Option<Outcome> {
        self.entries
            .get(id)
            .filter(|(_, exp)| now_ms < *exp)
            .map(|(o, _)| o.clone())
    }

    pub fn has(&self, id: &str, now_ms: u64) -> bool {
        self.entries.get(id).is_some_and(|(_, exp)| now_ms < *exp)
    }

    pub fn put(&mut self, id: &str, outcome: Outcome, now_ms: u64, ttl_ms: u64) {
        if ttl_ms == 0 {
            return;
        }
        if self.entries.len() >= CAPACITY {
            self.entries.retain(|_, (_, exp)| now_ms < *exp);
            if self.entries.len() >= CAPACITY {
                self.entries.clear();
            }
        }
        self.entries
            .insert(id.to_string(), (outcome, now_ms.saturating_add(ttl_ms)));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires() {
        let mut c = Cache::default();
        c.put("A", Outcome::NotFound, 1000, 500);
        assert_eq!(c.get("A", 1499), Some(Outcome::NotFound));
        assert_eq!(c.get("A", 1500), None);
        assert!(c.has("A", 1499) && !c.has("A", 1500));
        c.put("B", Outcome::NotFound, 0, 0);
        assert_eq!(c.get("B", 0), None);
    }

    #[test]
    fn bounded() {
        let mut c = Cache::default();
        for i in 0..(CAPACITY + 5) {
            c.put(&i.to_string(), Outcome::NotFound, 0, 10);
        }
        assert!(c.len() <= CAPACITY);
    }
}
