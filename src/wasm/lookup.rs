//! The WASM edge of the core's lookup driver ([`crate::lookup::driver`]): what only an async JS
//! host can do. One tick's IDs planned together, requests shared while in flight (JS promises),
//! `lookup.maxConcurrency` slots, sleeping when the core says so, and the fetch adapter
//! (js/transport.js) whose answers go back to the core. Rounds, attempts, the time budget and
//! 429 retries are the core's.

use super::convert::{get, now};
use crate::lookup::driver::{self, Attempts, Lookup, Round, Step};
use crate::lookup::{Engine, Fault, Outcome, Request, Response, Ticket};
use crate::verdict::Verdict;
use js_sys::{Array, Function, Promise};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

// The I/O: js/transport.js (wasm-bindgen copies it into pkg/<target>/snippets/).
#[wasm_bindgen(module = "/js/transport.js")]
extern "C" {
    fn sleep(ms: f64) -> Promise;
    /// Resolves when the caller's `AbortSignal` fires (at once if it has); undefined without one.
    #[wasm_bindgen(js_name = whenAborted)]
    fn when_aborted(signal: &JsValue) -> JsValue;
}

/// One validator's lookup state, owned here (the class holds it): the core's engine (plans,
/// cache), the requests in flight and the `lookup.maxConcurrency` slots.
pub(super) struct Scheduler {
    pub(super) engine: RefCell<Engine>,
    inflight: RefCell<Vec<(Ticket, Flight)>>,
    /// Requests being performed now (at most `lookup.maxConcurrency`) ...
    active: Cell<u64>,
    /// ... and the ones waiting for a slot, in order (each a promise's resolve function).
    queue: RefCell<VecDeque<Function>>,
    tick: RefCell<Option<Tick>>,
    /// The source's CMDB credential (`useCredentials`), if any.
    pub(super) credentials: RefCell<Option<Rc<super::credentials::Credentials>>>,
}

impl Scheduler {
    pub(super) fn new(engine: Engine) -> Scheduler {
        Scheduler {
            engine: RefCell::new(engine),
            inflight: RefCell::default(),
            active: Cell::new(0),
            queue: RefCell::default(),
            tick: RefCell::default(),
            credentials: RefCell::default(),
        }
    }
}

type Outcomes = Rc<RefCell<Vec<(String, Outcome)>>>;

/// A request in flight: a JS promise that settles once `perform` has stored its outcomes.
/// (JS promises instead of `futures-util`'s `Shared` + `join_all`: same sharing, less code.)
#[derive(Clone)]
struct Flight {
    done: Promise,
    outcomes: Outcomes,
}

/// IDs gathered during one tick, by fetch function; planned together when `done` resolves.
struct Tick {
    done: Promise,
    groups: Vec<(JsValue, Vec<String>)>,
}

/// Look up the distinct valid values of `verdicts` (none without a lookup) and apply the outcomes.
pub(super) async fn look_up(
    inner: &Rc<Scheduler>,
    mut verdicts: Vec<Verdict>,
    options: &JsValue,
) -> Vec<Verdict> {
    let ids = driver::wanted(&inner.engine.borrow(), &verdicts);
    if ids.is_empty() {
        return verdicts;
    }
    let outcomes = lookup_ids(inner, ids, &get(options, "fetch"), &get(options, "signal")).await;
    driver::apply_all(&inner.engine.borrow(), &mut verdicts, &outcomes);
    verdicts
}

/// The core's rounds ([`Lookup`]); each round's requests start here, those in flight for other
/// callers are awaited, and the caller's `AbortSignal` ends only its own wait.
async fn lookup_ids(
    inner: &Rc<Scheduler>,
    ids: Vec<String>,
    fetch: &JsValue,
    signal: &JsValue,
) -> HashMap<String, Outcome> {
    if let Some(tick) = join_tick(inner, &ids, fetch) {
        let _ = JsFuture::from(tick.clone()).await;
        plan_tick(inner, &tick);
    }
    let mut lookup = Lookup::new(ids);
    loop {
        let round = lookup.next_round(&mut inner.engine.borrow_mut(), now());
        let Some(round) = round else { break };
        let (all, slots) = start_round(inner, round, fetch);
        let abort = when_aborted(signal).dyn_into::<Promise>().ok();
        let all = match &abort {
            Some(abort) => Promise::race(&Array::of2(&all, abort)),
            None => all,
        };
        let _ = JsFuture::from(all).await;
        for slot in &slots {
            lookup.take(&slot.borrow());
        }
        if abort.is_some() && get(signal, "aborted").as_bool() == Some(true) {
            lookup.cancel();
        }
    }
    lookup.finish()
}

/// Start the round's requests and find the flights it waits on: a promise for all of them, and
/// where their outcomes will be.
#[inline(never)]
fn start_round(inner: &Rc<Scheduler>, round: Round, fetch: &JsValue) -> (Promise, Vec<Outcomes>) {
    let pending = Array::new();
    let mut slots: Vec<Outcomes> = Vec::new();
    for req in round.requests {
        let f = start(inner, req, fetch);
        pending.push(&f.done);
        slots.push(f.outcomes);
    }
    for (t, f) in inner.inflight.borrow().iter() {
        if round.waiting.contains(t) {
            pending.push(&f.done);
            slots.push(f.outcomes.clone());
        }
    }
    (Promise::all(&pending), slots)
}

/// Concurrent validations in one tick share requests: the IDs that need one wait for the end of
/// the tick (a zero timer; the promise returned), then whoever resumes first plans all of them
/// together ([`plan_tick`]), so that a batching source (ServiceNow `IN`) asks for them in few
/// requests. Each caller then finds its IDs in flight. IDs answered without I/O (cache,
/// registry) do not wait.
#[inline(never)]
fn join_tick(inner: &Scheduler, ids: &[String], fetch: &JsValue) -> Option<Promise> {
    let t = now();
    let fresh: Vec<String> = {
        let engine = inner.engine.borrow();
        ids.iter()
            .filter(|id| engine.needs_request(id, t))
            .cloned()
            .collect()
    };
    if fresh.is_empty() {
        return None;
    }
    let mut tick = inner.tick.borrow_mut();
    let tick = tick.get_or_insert_with(|| Tick {
        done: sleep(0.0),
        groups: Vec::new(),
    });
    // Requests are performed with the fetch of the callers they serve.
    match tick.groups.iter_mut().find(|(f, _)| f == fetch) {
        Some((_, group)) => group.extend(fresh),
        None => tick.groups.push((fetch.clone(), fresh)),
    }
    Some(tick.done.clone())
}

#[inline(never)]
fn plan_tick(inner: &Rc<Scheduler>, done: &Promise) {
    let mine = inner
        .tick
        .borrow()
        .as_ref()
        .is_some_and(|t| JsValue::from(&t.done) == JsValue::from(done));
    let Some(tick) = inner.tick.borrow_mut().take().filter(|_| mine) else {
        return;
    };
    for (fetch, ids) in tick.groups {
        let plan = inner.engine.borrow_mut().plan(&ids, now());
        for req in plan.requests {
            start(inner, req, &fetch);
        }
    }
}

/// Start performing a planned request; later callers wait on its [`Flight`].
#[inline(never)]
fn start(inner: &Rc<Scheduler>, req: Request, fetch: &JsValue) -> Flight {
    let outcomes: Outcomes = Rc::default();
    let ticket = req.ticket;
    // The request is shared with later callers, so it runs with its own time budget only:
    // one caller's AbortSignal ends that caller's wait, never the shared request.
    let (inner2, slot, fetch) = (inner.clone(), outcomes.clone(), fetch.clone());
    let done = future_to_promise(async move {
        *slot.borrow_mut() = perform(inner2, req, fetch).await;
        Ok(JsValue::UNDEFINED)
    });
    let flight = Flight { done, outcomes };
    inner.inflight.borrow_mut().push((ticket, flight.clone()));
    flight
}

/// Perform one planned request, its attempts as the core's [`Step`]s say, and feed the answers
/// back. It first waits for one of the validator's `maxConcurrency` slots; its time budget
/// starts then.
async fn perform(inner: Rc<Scheduler>, req: Request, fetch: JsValue) -> Vec<(String, Outcome)> {
    if let Some(turn) = take_slot(&inner) {
        let _ = JsFuture::from(turn).await;
    }
    let limits = inner.engine.borrow().limits();
    let ticket = req.ticket;
    let mut a = Attempts::new(req, limits, now());
    let mut step = a.next(&mut inner.engine.borrow_mut(), now());
    let outcomes = loop {
        step = match step {
            Step::Send { timeout_ms } => {
                let creds = inner.credentials.borrow().clone();
                let result = super::credentials::exchange(
                    creds,
                    a.request(),
                    &fetch,
                    timeout_ms,
                    limits.max_response_bytes,
                )
                .await;
                a.answer(&mut inner.engine.borrow_mut(), result, now())
            }
            Step::Sleep { ms } => {
                let _ = JsFuture::from(sleep(ms as f64)).await;
                a.next(&mut inner.engine.borrow_mut(), now())
            }
            Step::Done(outcomes) => break outcomes,
        };
    };
    release(&inner, ticket);
    outcomes
}

/// One request outside the batch driver (a search): one attempt within `lookup.timeoutMs`, in
/// one of the `maxConcurrency` slots, ended early by the caller's `AbortSignal` (a timeout).
pub(super) async fn fetch_one(
    inner: &Rc<Scheduler>,
    req: &Request,
    options: &JsValue,
) -> Result<Response, Fault> {
    if let Some(turn) = take_slot(inner) {
        let _ = JsFuture::from(turn).await;
    }
    let limits = inner.engine.borrow().limits();
    // The exchange (with its token request, if any) as a promise, raced with the abort.
    let slot: Rc<RefCell<Option<Result<Response, Fault>>>> = Rc::default();
    let (lookups, planned, fetch, out) = (
        inner.clone(),
        req.clone(),
        get(options, "fetch"),
        slot.clone(),
    );
    let sent = future_to_promise(async move {
        let creds = lookups.credentials.borrow().clone();
        let got = super::credentials::exchange(
            creds,
            &planned,
            &fetch,
            limits.timeout_ms,
            limits.max_response_bytes,
        )
        .await;
        *out.borrow_mut() = Some(got);
        Ok(JsValue::UNDEFINED)
    });
    let abort = when_aborted(&get(options, "signal"))
        .dyn_into::<Promise>()
        .ok();
    let sent = match &abort {
        Some(abort) => Promise::race(&Array::of2(&sent, abort)),
        None => sent,
    };
    let _ = JsFuture::from(sent).await;
    release(inner, req.ticket);
    if abort.is_some() && get(&get(options, "signal"), "aborted").as_bool() == Some(true) {
        return Err(Fault::Network("the search was aborted".into()));
    }
    let got = slot.borrow_mut().take();
    got.unwrap_or_else(|| Err(Fault::Network("the search was aborted".into())))
}

/// One of the `maxConcurrency` slots (`None`), or the promise of a turn in the queue.
#[inline(never)]
fn take_slot(inner: &Scheduler) -> Option<Promise> {
    let slots = inner.engine.borrow().limits().max_concurrency as u64;
    if inner.active.get() < slots {
        inner.active.set(inner.active.get() + 1);
        None
    } else {
        // release() hands its slot over by calling `resolve`.
        Some(Promise::new(&mut |resolve, _| {
            inner.queue.borrow_mut().push_back(resolve)
        }))
    }
}

#[inline(never)]
fn release(inner: &Scheduler, ticket: Ticket) {
    let next = inner.queue.borrow_mut().pop_front();
    match next {
        Some(resolve) => drop(resolve.call0(&JsValue::UNDEFINED)),
        None => inner.active.set(inner.active.get() - 1),
    }
    inner.inflight.borrow_mut().retain(|(t, _)| *t != ticket);
}
