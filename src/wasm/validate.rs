//! The full build's async methods of `AssetIdValidator` (feature `lookup`): format, then the
//! CMDB lookup the core plans, performed by the driver in `lookup`; and `search`.

use super::class::{check_entity, entity_js, AssetIdValidator};
use super::convert::{get, js_error, names, scheme_option, to_js, type_error, type_name};
use super::lookup::{self, Scheduler};
use super::types::*;
use crate::catalog::EntityCheck;
use crate::validator::{Input, Validator};
use crate::verdict::{Error, Verdict};
use js_sys::{Array, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

/// Check one JS value.
#[inline(never)]
fn check_one(
    validator: &Validator,
    v: &JsValue,
    scheme: Option<&[&str]>,
) -> Result<Verdict, Error> {
    if let Some(s) = v.as_string() {
        validator.check_format(Input::Str(&s), scheme)
    } else if v.is_null() || v.is_undefined() {
        validator.check_format(Input::Missing, scheme)
    } else {
        let t = type_name(v);
        validator.check_format(Input::Other(&t), scheme)
    }
}

#[wasm_bindgen]
impl AssetIdValidator {
    /// Give the validator the CMDB credentials of its lookup source (Node: the backend's
    /// `assetId.credentials`): `{ servicenow?, http?, registry? }`, each `{ username, password }`,
    /// `{ token }` or (ServiceNow) `{ clientId, clientSecret }`. Only the policy's source's
    /// credential is used, only for requests the core allows (the source's URLs, HTTPS or a
    /// loopback host reached without the environment's proxy). `options`: `configKey` (how
    /// messages name the credentials, default `credentials`), `env` and `execArgv` (Node's
    /// `process.env`, `process.execArgv`: whether fetch goes through a proxy), `onRejected(message)`
    /// (told once per rejected OAuth token request). Returns the configuration problems (each a
    /// credential that is never sent); replaces earlier credentials.
    #[wasm_bindgen(js_name = useCredentials)]
    pub fn use_credentials(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CmdbCredentials")] credentials: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UseCredentialsOptions | undefined")]
        options: JsValue,
    ) -> Result<Vec<String>, JsValue> {
        let (installed, problems) =
            super::credentials::install(&self.lookups.engine.borrow(), &credentials, &options)?;
        *self.lookups.credentials.borrow_mut() = installed;
        Ok(problems)
    }

    /// Format, then CMDB lookup (cached; concurrent identical lookups share one request).
    /// Lookup faults never reject: they are `lookup_unavailable` issues.
    pub fn validate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        options: Option<ValidateOptionsArg>,
    ) -> VerdictPromise {
        self.run(Job::One, Array::of1(&value).into(), options)
            .unchecked_into()
    }

    /// Validate many values; lookups are deduplicated and batched.
    #[wasm_bindgen(js_name = validateMany)]
    pub fn validate_many(
        &self,
        values: ValuesArg,
        options: Option<ValidateOptionsArg>,
    ) -> VerdictsPromise {
        self.run(Job::Many, values.into(), options).unchecked_into()
    }

    /// `checkEntity` for many entities, then one batched lookup for their distinct valid IDs
    /// (as `validateMany`); the checks come back in input order.
    #[wasm_bindgen(js_name = validateEntities)]
    pub fn validate_entities(
        &self,
        #[wasm_bindgen(unchecked_param_type = "unknown[]")] entities: JsValue,
        options: Option<ValidateOptionsArg>,
    ) -> EntityChecksPromise {
        self.run(Job::Entities, entities, options).unchecked_into()
    }

    /// Find records by (part of) their name or ID (`lookup.search`): one request, every row
    /// re-checked by the core (format, `scheme`, every word in a search field, retired left out).
    /// Rejects (`invalid_argument`) without `lookup.search`, for a text shorter than
    /// `minLength` or longer than 64 characters, or a `limit` that is not a positive number; a
    /// CMDB outage is a `lookup_unavailable` issue, never a rejection.
    pub fn search(&self, text: String, options: Option<SearchOptionsArg>) -> SearchPromise {
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let (validator, lookups) = (self.validator.clone(), self.lookups.clone());
        future_to_promise(search(validator, lookups, text, options)).unchecked_into()
    }
}

impl AssetIdValidator {
    /// The three async methods share one future (one state machine in the `.wasm`).
    fn run(&self, job: Job, input: JsValue, options: Option<ValidateOptionsArg>) -> Promise {
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let (validator, lookups) = (self.validator.clone(), self.lookups.clone());
        future_to_promise(run(validator, lookups, job, input, options))
    }
}

async fn search(
    validator: Rc<Validator>,
    lookups: Rc<Scheduler>,
    text: String,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let scheme = scheme_option(&options)?;
    let planned = plan_search(&validator, &lookups, &text, &options, &scheme)?;
    let answer = match &planned.request {
        Some(req) => Some(lookup::fetch_one(&lookups, req, &options).await),
        None => None,
    };
    let names = names(&scheme);
    let result =
        lookups
            .engine
            .borrow()
            .finish_search(&planned, &validator, names.as_deref(), answer);
    Ok(to_js(&result))
}

#[inline(never)]
fn plan_search(
    validator: &Validator,
    lookups: &Scheduler,
    text: &str,
    options: &JsValue,
    scheme: &Option<Vec<String>>,
) -> Result<crate::lookup::search::Search, JsValue> {
    validator
        .check_scheme(names(scheme).as_deref())
        .map_err(|e| js_error(&e))?;
    let limit = get(options, "limit");
    let limit = if limit.is_undefined() || limit.is_null() {
        None
    } else {
        match limit.as_f64() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => Some(n.min(1e6) as usize),
            _ => {
                return Err(type_error(
                    "options.limit must be a whole number of at least 1",
                ))
            }
        }
    };
    lookups
        .engine
        .borrow_mut()
        .search(text, limit)
        .map_err(|e| js_error(&e))
}

// The async function below only awaits; what it does between awaits is in small functions that
// are never inlined, so that its state machine (this crate is built for speed) stays small.

/// What an async method was asked.
#[derive(Clone, Copy)]
enum Job {
    /// `validate`: one value.
    One,
    /// `validateMany`: an array of values.
    Many,
    /// `validateEntities`: an array of entities.
    Entities,
}

/// What to make of the looked-up verdicts: for entities, their checks and which ones the
/// verdicts belong to.
enum Finish {
    One,
    Many,
    Entities(Vec<EntityCheck>, Vec<usize>),
}

async fn run(
    validator: Rc<Validator>,
    lookups: Rc<Scheduler>,
    job: Job,
    input: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let (verdicts, finish) = prepare(&validator, job, &input, &options)?;
    let verdicts = lookup::look_up(&lookups, verdicts, &options).await;
    Ok(finish_job(finish, verdicts))
}

/// The format verdicts of a job (entities: of their annotations).
#[inline(never)]
fn prepare(
    validator: &Validator,
    job: Job,
    input: &JsValue,
    options: &JsValue,
) -> Result<(Vec<Verdict>, Finish), JsValue> {
    let scheme = scheme_option(options)?;
    let scheme = names(&scheme);
    let scheme = scheme.as_deref();
    if !Array::is_array(input) {
        return Err(type_error(match job {
            Job::Entities => "validateEntities expects an array",
            _ => "validateMany expects an array",
        }));
    }
    let items: &Array = input.unchecked_ref();
    let mut verdicts = Vec::with_capacity(items.length() as usize);
    if let Job::Entities = job {
        let mut checks = Vec::with_capacity(verdicts.capacity());
        let mut at = Vec::new();
        for (i, e) in items.iter().enumerate() {
            let mut check = check_entity(validator, &e, scheme)?;
            if let Some(v) = check.verdict.take() {
                at.push(i);
                verdicts.push(v);
            }
            checks.push(check);
        }
        return Ok((verdicts, Finish::Entities(checks, at)));
    }
    for v in items.iter() {
        verdicts.push(check_one(validator, &v, scheme).map_err(|e| js_error(&e))?);
    }
    Ok((
        verdicts,
        if let Job::One = job {
            Finish::One
        } else {
            Finish::Many
        },
    ))
}

/// The job's answer from its looked-up verdicts.
#[inline(never)]
fn finish_job(finish: Finish, mut verdicts: Vec<Verdict>) -> JsValue {
    match finish {
        Finish::One => verdicts.pop().map_or(JsValue::NULL, |v| to_js(&v)),
        Finish::Many => to_js(&verdicts),
        Finish::Entities(mut checks, at) => {
            for (i, v) in at.into_iter().zip(verdicts) {
                checks[i].verdict = Some(v);
            }
            let out = Array::new();
            for c in &checks {
                out.push(&entity_js(c));
            }
            out.into()
        }
    }
}
