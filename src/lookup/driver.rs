//! The batch driver, sans-IO: what every edge does around the [`Engine`] for one batch of values,
//! written once. An edge (the WASM class, the native CLI, the native test suite) only performs
//! requests, sleeps and runs requests side by side; everything it decides is here:
//!
//! 1. [`wanted`]: the IDs a batch of format verdicts needs looked up (each distinct valid value
//!    once, in order of first appearance; none when the policy has no lookup).
//! 2. [`Lookup`]: the rounds of planning for those IDs. Each [`Round`] lists the requests to
//!    perform and the tickets of requests already in flight (planned by a concurrent batch) whose
//!    answers it shares; the outcomes the edge gets back go to [`Lookup::take`].
//! 3. [`Attempts`]: one planned request's attempts within `lookup.timeoutMs` (and a run's
//!    [`Deadline`], natively): send within the time left, sleep when rate limited (429 with
//!    `Retry-After` or `X-RateLimit-Reset`) and send again, or stop, as the engine says.
//! 4. [`apply_all`]: every verdict gets its value's outcome (`not_found`, `retired`, ...).
//!
//! Time is passed in: milliseconds since the Unix epoch (the cache expires on it, and
//! `X-RateLimit-Reset` is in epoch seconds), monotonic where the edge can make it so.
//!
//! ```
//! use asset_id::lookup::{driver::{self, Attempts, Lookup, Step}, Engine, Response};
//! use asset_id::{Input, Validator};
//! let v = Validator::from_json_str(r#"{"schemes":[{"name":"a","pattern":"A\\d"}],
//!   "lookup":{"source":"servicenow","servicenow":{"baseUrl":"https://cmdb.example"}}}"#).unwrap();
//! let mut engine = Engine::new(v.policy());
//! let mut verdicts: Vec<_> = ["A1", "A1", "x"].iter()
//!     .map(|s| v.check_format(Input::Str(s), None).unwrap()).collect();
//! let mut lookup = Lookup::new(driver::wanted(&engine, &verdicts));
//! let mut now = 1_000;
//! while let Some(round) = lookup.next_round(&mut engine, now) {
//!     for req in round.requests {
//!         let mut a = Attempts::new(req, engine.limits(), now);
//!         let mut step = a.next(&mut engine, now);
//!         let outcomes = loop {
//!             step = match step {
//!                 // The edge performs the request (here: a scripted answer).
//!                 Step::Send { .. } => a.answer(&mut engine, Ok(Response {
//!                     status: 200, headers: vec![], body: r#"{"result":[]}"#.into() }), now),
//!                 Step::Sleep { ms } => { now += ms; a.next(&mut engine, now) }
//!                 Step::Done(outcomes) => break outcomes,
//!             };
//!         };
//!         lookup.take(&outcomes);
//!     }
//! }
//! driver::apply_all(&engine, &mut verdicts, &lookup.finish());
//! assert_eq!(verdicts[0].issues[0].code, asset_id::IssueCode::NotFound);
//! assert_eq!(verdicts[2].issues[0].code, asset_id::IssueCode::PatternMismatch);
//! ```

use super::{Completion, Engine, Fault, Outcome, Request, Response, Ticket};
use crate::policy::{DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_MS};
use crate::verdict::Verdict;
use std::collections::{HashMap, HashSet};

/// Rounds of planning per lookup. A second round only happens for IDs whose shared answer did
/// not list them (a registry fetched for another batch), so three always suffice.
pub const ROUNDS: u8 = 3;

/// What bounds a lookup's requests, from the policy (or its defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time budget per request, 429 retries included (`lookup.timeoutMs`).
    pub timeout_ms: u64,
    /// Cap on one answer's body (`lookup.maxResponseBytes`).
    pub max_response_bytes: u64,
    /// Requests in flight at once (`lookup.maxConcurrency`).
    pub max_concurrency: usize,
}

impl Engine {
    /// The limits every request of this engine runs under.
    pub fn limits(&self) -> Limits {
        match self.spec() {
            Some(s) => Limits {
                timeout_ms: s.timeout_ms,
                max_response_bytes: s.max_response_bytes,
                max_concurrency: s.max_concurrency as usize,
            },
            None => Limits {
                timeout_ms: DEFAULT_TIMEOUT_MS,
                max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                max_concurrency: DEFAULT_MAX_CONCURRENCY as usize,
            },
        }
    }
}

/// The IDs `verdicts` need looked up: each distinct valid value once, in order of first
/// appearance; none when the policy has no lookup.
pub fn wanted<'a>(engine: &Engine, verdicts: impl IntoIterator<Item = &'a Verdict>) -> Vec<String> {
    if !engine.enabled() {
        return Vec::new();
    }
    let mut seen: HashSet<&str> = HashSet::new();
    verdicts
        .into_iter()
        .filter_map(|v| v.value.as_deref())
        .filter(|id| seen.insert(id))
        .map(str::to_string)
        .collect()
}

/// Add to every verdict the outcome of its value (verdicts without one are left as they are).
pub fn apply_all<'a>(
    engine: &Engine,
    verdicts: impl IntoIterator<Item = &'a mut Verdict>,
    outcomes: &HashMap<String, Outcome>,
) {
    for v in verdicts {
        if let Some(o) = v.value.as_ref().and_then(|id| outcomes.get(id)) {
            super::apply(v, o, engine.spec());
        }
    }
}

/// One round of a [`Lookup`]: perform `requests` (each through [`Attempts`]), wait for the
/// requests in flight under `waiting`, and hand every outcome to [`Lookup::take`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    pub requests: Vec<Request>,
    /// Tickets of requests planned earlier (by a concurrent batch) that this round shares, once each.
    pub waiting: Vec<Ticket>,
}

/// The lookup of one batch's IDs, round by round, to an outcome for every ID.
#[derive(Debug)]
pub struct Lookup {
    /// IDs without an outcome yet, in order (the order batches them).
    remaining: Vec<String>,
    results: HashMap<String, Outcome>,
    rounds_left: u8,
}

impl Lookup {
    /// A lookup of `ids` (a duplicate is planned once).
    pub fn new(ids: Vec<String>) -> Lookup {
        Lookup {
            remaining: ids,
            results: HashMap::new(),
            rounds_left: ROUNDS,
        }
    }

    /// Plan the IDs still without an outcome. `None` when every ID has one (or the rounds ran
    /// out: [`Lookup::finish`] then says so). IDs answered without I/O (cache, registry, unsafe
    /// IDs) get their outcome here.
    pub fn next_round(&mut self, engine: &mut Engine, now_ms: u64) -> Option<Round> {
        loop {
            let results = &self.results;
            self.remaining.retain(|id| !results.contains_key(id));
            if self.remaining.is_empty() || self.rounds_left == 0 {
                return None;
            }
            self.rounds_left -= 1;
            let plan = engine.plan(&self.remaining, now_ms);
            self.take(&plan.resolved);
            // The IDs of one request come together: few tickets, each once.
            let mut waiting: Vec<Ticket> = Vec::new();
            for (_, t) in &plan.waiting {
                if waiting.last() != Some(t) && !waiting.contains(t) {
                    waiting.push(*t);
                }
            }
            if !plan.requests.is_empty() || !waiting.is_empty() {
                return Some(Round {
                    requests: plan.requests,
                    waiting,
                });
            }
        }
    }

    /// Outcomes a performed (or shared) request produced. The first outcome of an ID counts; a
    /// shared request may also answer IDs this lookup did not ask for, which nothing reads.
    pub fn take(&mut self, outcomes: &[(String, Outcome)]) {
        for (id, o) in outcomes {
            self.results.entry(id.clone()).or_insert_with(|| o.clone());
        }
    }

    /// The caller stopped waiting: every ID without an outcome is `lookup_unavailable` (the
    /// requests in flight go on for whoever shares them).
    pub fn cancel(&mut self) {
        self.fill("the lookup was cancelled");
    }

    /// The outcome of every ID asked for.
    pub fn finish(mut self) -> HashMap<String, Outcome> {
        self.fill("the lookup did not complete");
        self.results
    }

    fn fill(&mut self, why: &str) {
        for id in self.remaining.drain(..) {
            self.results
                .entry(id)
                .or_insert_with(|| Outcome::Unavailable(why.into()));
        }
    }
}

/// When a whole run's lookups must be over (the CLI's `--lookup-deadline`), in the clock's
/// milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub at_ms: u64,
    /// The whole budget, for messages.
    pub budget_ms: u64,
}

impl Deadline {
    /// `budget_ms` from `now_ms`.
    pub fn after(budget_ms: u64, now_ms: u64) -> Deadline {
        Deadline {
            at_ms: now_ms.saturating_add(budget_ms),
            budget_ms,
        }
    }
}

/// What the edge does next with a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Perform [`Attempts::request`] within this many milliseconds, then [`Attempts::answer`].
    Send { timeout_ms: u64 },
    /// Wait this long (rate limited), then [`Attempts::next`].
    Sleep { ms: u64 },
    /// The request's outcomes, for [`Lookup::take`].
    Done(Vec<(String, Outcome)>),
}

/// One planned request's attempts: the edge loops on [`Step`] until `Done`.
#[derive(Debug)]
pub struct Attempts {
    request: Request,
    attempt: u32,
    started_ms: u64,
    timeout_ms: u64,
    deadline: Deadline,
    /// Whether the last send was cut short by the deadline rather than the request's budget.
    capped: bool,
}

impl Attempts {
    /// The request's attempts, its time budget starting at `now_ms`.
    pub fn new(request: Request, limits: Limits, now_ms: u64) -> Attempts {
        Attempts {
            request,
            attempt: 1,
            started_ms: now_ms,
            timeout_ms: limits.timeout_ms,
            deadline: Deadline {
                at_ms: u64::MAX,
                budget_ms: u64::MAX,
            },
            capped: false,
        }
    }

    /// No attempt starts after `deadline`, none runs past it.
    pub fn with_deadline(mut self, deadline: Deadline) -> Attempts {
        self.deadline = deadline;
        self
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The attempt being made (1 first).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Send within the time left (at least 1 ms), or, past the deadline, the outcomes without
    /// sending.
    pub fn next(&mut self, engine: &mut Engine, now_ms: u64) -> Step {
        let left = self
            .timeout_ms
            .saturating_sub(now_ms.saturating_sub(self.started_ms))
            .max(1);
        let Some(until) = self.deadline.at_ms.checked_sub(now_ms).filter(|&u| u > 0) else {
            let fault = Fault::Deadline {
                ms: self.deadline.budget_ms,
            };
            return self.complete(engine, Err(fault), now_ms);
        };
        self.capped = until < left;
        Step::Send {
            timeout_ms: left.min(until),
        }
    }

    /// The edge's answer to the last send: the outcomes, or a wait before the next attempt.
    pub fn answer(
        &mut self,
        engine: &mut Engine,
        result: Result<Response, Fault>,
        now_ms: u64,
    ) -> Step {
        let result = match result {
            // The deadline, not the CMDB's slowness, ended it.
            Err(Fault::Timeout) if self.capped && now_ms >= self.deadline.at_ms => {
                Err(Fault::Deadline {
                    ms: self.deadline.budget_ms,
                })
            }
            r => r,
        };
        self.complete(engine, result, now_ms)
    }

    fn complete(
        &mut self,
        engine: &mut Engine,
        result: Result<Response, Fault>,
        now_ms: u64,
    ) -> Step {
        let elapsed = now_ms.saturating_sub(self.started_ms);
        match engine.complete(&self.request, result, self.attempt, elapsed, now_ms) {
            Completion::Done(outcomes) => Step::Done(outcomes),
            Completion::Retry { after_ms } => {
                self.attempt += 1;
                Step::Sleep {
                    ms: after_ms.min(self.deadline.at_ms.saturating_sub(now_ms)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Input, Validator};

    fn engine(lookup: &str) -> (Validator, Engine) {
        let v = Validator::from_json_str(&format!(
            r#"{{"schemes":[{{"name":"a","pattern":"A\\d+"}}],"lookup":{lookup}}}"#
        ))
        .unwrap();
        let e = Engine::new(v.policy());
        (v, e)
    }

    const SN: &str = r#"{"source":"servicenow","servicenow":{"baseUrl":"https://x","batchSize":2},"timeoutMs":1000}"#;

    fn ok(body: &str) -> Result<Response, Fault> {
        Ok(Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        })
    }

    fn limited(retry_after: &str) -> Result<Response, Fault> {
        Ok(Response {
            status: 429,
            headers: vec![("Retry-After".into(), retry_after.into())],
            body: "{}".into(),
        })
    }

    #[test]
    fn wanted_ids_are_distinct_valid_values_in_order() {
        let (v, e) = engine(SN);
        let verdicts: Vec<Verdict> = ["A2", "x", "A1", "A2", " A1 "]
            .iter()
            .map(|s| v.check_format(Input::Str(s), None).unwrap())
            .collect();
        assert_eq!(wanted(&e, &verdicts), ["A2", "A1"]);
        let (v, e) = engine(r#"{"source":"none"}"#);
        let one = [v.check_format(Input::Str("A1"), None).unwrap()];
        assert!(wanted(&e, &one).is_empty(), "no lookup, no IDs");
    }

    #[test]
    fn rounds_batch_and_share_requests_in_flight() {
        let (_, mut e) = engine(SN);
        let ids = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let mut first = Lookup::new(ids(&["A1", "A2", "A3", "A1"]));
        let r1 = first.next_round(&mut e, 0).unwrap();
        assert_eq!(r1.requests.len(), 2, "3 distinct IDs, batch size 2");
        // A concurrent batch asking for A3 and A4 shares A3's request and sends one for A4.
        let mut second = Lookup::new(ids(&["A3", "A4"]));
        let r2 = second.next_round(&mut e, 0).unwrap();
        assert_eq!(r2.requests.len(), 1);
        assert_eq!(r2.waiting, vec![r1.requests[1].ticket]);
        for req in r1.requests.iter().chain(&r2.requests) {
            let mut a = Attempts::new(req.clone(), e.limits(), 0);
            assert_eq!(a.next(&mut e, 0), Step::Send { timeout_ms: 1000 });
            let rows: Vec<String> = req
                .ids
                .iter()
                .map(|id| format!(r#"{{"number":"{id}","name":"n{id}"}}"#))
                .collect();
            let Step::Done(out) = a.answer(
                &mut e,
                ok(&format!(r#"{{"result":[{}]}}"#, rows.join(","))),
                5,
            ) else {
                panic!("done")
            };
            first.take(&out);
            second.take(&out);
        }
        assert!(first.next_round(&mut e, 10).is_none());
        assert!(second.next_round(&mut e, 10).is_none());
        let (a, b) = (first.finish(), second.finish());
        for (out, asked) in [(&a, &["A1", "A2", "A3"][..]), (&b, &["A3", "A4"][..])] {
            for id in asked {
                assert!(
                    matches!(&out[*id], Outcome::Found(r) if r.name == Some(format!("n{id}"))),
                    "{id}: {out:?}"
                );
            }
        }
        // Within the TTL the cache answers: no round at all.
        let mut again = Lookup::new(ids(&["A1", "A4"]));
        assert!(again.next_round(&mut e, 20).is_none());
        assert_eq!(again.finish().len(), 2);
    }

    #[test]
    fn rate_limited_requests_sleep_then_retry_within_the_budget() {
        let (_, mut e) = engine(SN);
        let mut l = Lookup::new(vec!["A1".into()]);
        let req = l.next_round(&mut e, 0).unwrap().requests.remove(0);
        let mut a = Attempts::new(req, e.limits(), 0);
        assert_eq!(a.next(&mut e, 0), Step::Send { timeout_ms: 1000 });
        assert_eq!(a.answer(&mut e, limited("0"), 100), Step::Sleep { ms: 0 });
        assert_eq!(a.attempt(), 2);
        // The second attempt gets what is left of the budget.
        assert_eq!(a.next(&mut e, 100), Step::Send { timeout_ms: 900 });
        // Asked to wait 1 s with 900 ms left: over.
        match a.answer(&mut e, limited("1"), 100) {
            Step::Done(o) => {
                assert!(
                    matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("429")),
                    "{o:?}"
                )
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn nothing_starts_after_the_deadline_and_a_timeout_it_caused_says_so() {
        let (_, mut e) = engine(SN);
        let mut l = Lookup::new(vec!["A1".into(), "A2".into(), "A3".into()]);
        let mut reqs = l.next_round(&mut e, 0).unwrap().requests;
        let d = Deadline::after(300, 0);
        let mut a = Attempts::new(reqs.remove(0), e.limits(), 0).with_deadline(d);
        assert_eq!(a.next(&mut e, 0), Step::Send { timeout_ms: 300 });
        match a.answer(&mut e, Err(Fault::Timeout), 300) {
            Step::Done(o) => assert!(
                matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("deadline (300 ms)")),
                "{o:?}"
            ),
            s => panic!("{s:?}"),
        }
        let mut b = Attempts::new(reqs.remove(0), e.limits(), 400).with_deadline(d);
        match b.next(&mut e, 400) {
            Step::Done(o) => assert_eq!(o.len(), 1, "A3, never sent"),
            s => panic!("{s:?}"),
        }
        // A timeout within the request's own budget stays a timeout.
        let mut l = Lookup::new(vec!["A9".into()]);
        let req = l.next_round(&mut e, 0).unwrap().requests.remove(0);
        let mut c = Attempts::new(req, e.limits(), 0).with_deadline(Deadline::after(60_000, 0));
        match (
            c.next(&mut e, 0),
            c.answer(&mut e, Err(Fault::Timeout), 1000),
        ) {
            (Step::Send { timeout_ms: 1000 }, Step::Done(o)) => assert!(
                matches!(&o[0].1, Outcome::Unavailable(m) if m.contains("within 1000 ms")),
                "{o:?}"
            ),
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn cancel_and_unfinished_rounds_are_unavailable() {
        let (_, mut e) = engine(SN);
        let mut l = Lookup::new(vec!["A1".into()]);
        assert!(l.next_round(&mut e, 0).is_some());
        l.cancel();
        assert!(l.next_round(&mut e, 0).is_none());
        let out = l.finish();
        assert!(matches!(&out["A1"], Outcome::Unavailable(m) if m.contains("cancelled")));
        // A request that never answers (in flight for another batch): the rounds run out.
        let mut l = Lookup::new(vec!["A1".into()]);
        for _ in 0..ROUNDS {
            let r = l.next_round(&mut e, 0).unwrap();
            assert_eq!(r.waiting.len(), 1);
        }
        assert!(l.next_round(&mut e, 0).is_none());
        assert!(
            matches!(&l.finish()["A1"], Outcome::Unavailable(m) if m.contains("did not complete"))
        );
    }

    #[test]
    fn limits_come_from_the_policy() {
        let (_, e) = engine(
            r#"{"source":"http","http":{"url":"https://x/{id}"},"timeoutMs":250,"maxResponseBytes":4096,"maxConcurrency":2}"#,
        );
        assert_eq!(
            e.limits(),
            Limits {
                timeout_ms: 250,
                max_response_bytes: 4096,
                max_concurrency: 2
            }
        );
    }
}
