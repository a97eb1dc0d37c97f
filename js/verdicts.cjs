'use strict';
// checkFormat / checkFormatMany for the npm entries (node.cjs, web.js, format.cjs, format.js): the
// core's answer crosses the boundary as one compact string (see
// src/wasm/codec.rs; keep the two in step) and the objects are built here. JSON text
// + JSON.parse and one boundary crossing per value cost more than the checks themselves.

// IssueCode, in the order of the Rust enum (IssueCode::ALL; a Rust test, tests/vocabulary.rs,
// fails when the two differ): the index is the wire format.
const CODES = [
  'empty', 'invalid_type', 'too_long', 'invalid_characters', 'pattern_mismatch', 'checksum_mismatch',
  'not_found', 'retired', 'ambiguous', 'lookup_unavailable', 'missing_annotation', 'invalid_yaml',
  'unreadable_file', 'invalid_location', 'invalid_placeholder', 'duplicate_asset_id',
];
// Non-string kinds (src/wasm/codec.rs KINDS); lengths at or above KIND are kinds.
const KIND = 0xffffff00;
const KINDS = { number: 1, boolean: 2, object: 3, bigint: 5, symbol: 6, function: 7 };
const one = new Uint32Array(1);
// The joined text goes to WASM as UTF-8 bytes written by the native encoder into one reused
// buffer (wasm-bindgen would copy a string argument character by character in JS: 16% of
// checkFormatMany's time on valid IDs, docs/performance.md). Lone surrogates become U+FFFD, as
// they would through wasm-bindgen.
const encoder = new TextEncoder();
let bytes = new Uint8Array(1024);
function utf8(s) {
  if (bytes.length < s.length * 3) bytes = new Uint8Array(s.length * 3);
  return bytes.subarray(0, encoder.encodeInto(s, bytes).written);
}
const kindOf = (x) => (x == null ? 0 : Array.isArray(x) ? 4 : KINDS[typeof x]);

let t = '';
let p = 0;

function text() {
  const n = (t.charCodeAt(p) << 15) | t.charCodeAt(p + 1);
  const s = t.slice(p + 2, p + 2 + n);
  p += 2 + n;
  return s;
}

function verdict(input, names, expected) {
  const f = t.charCodeAt(p++);
  const scheme = f & 32 ? names[t.charCodeAt(p++)] : null;
  if (f & 16) input = text();
  else if (!(f & 8)) input = null;
  const value = f & 2 ? (f & 4 ? input : text()) : null;
  const n = t.charCodeAt(p++);
  const issues = [];
  for (let i = 0; i < n; i += 1) {
    const c = t.charCodeAt(p++);
    const code = CODES[c & 15];
    const severity = c & 16 ? 'warning' : 'error';
    const message = c & 64 ? text() + expected : text();
    issues.push(c & 32 ? { code, severity, message, hint: text() } : { code, severity, message });
  }
  return { input, valid: (f & 1) === 1, value, scheme, issues };
}

// A caller's mistake in an argument's type: a TypeError with the CallerErrorCode of the core.
function argumentError(message) {
  const e = new TypeError(message);
  e.code = 'invalid_argument';
  return e;
}

// The `scheme` option as given (a name or a list of names): the core checks it.
function schemeOf(options) {
  if (options === null || typeof options !== 'object') return undefined;
  return options.scheme;
}

// Per validator: its scheme names and the common tail of pattern_mismatch messages.
const constants = new WeakMap();
function constantsOf(validator) {
  let c = constants.get(validator);
  if (c === undefined) {
    c = { names: validator.schemeNames(), expected: validator.expected() };
    constants.set(validator, c);
  }
  return c;
}

// A lone surrogate at either end of a value could pair up with its neighbour once joined; the
// text encoder replaces lone surrogates with U+FFFD anyway, so do that here first.
function wellFormedEnds(s) {
  const last = s.charCodeAt(s.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) s = `${s.slice(0, -1)}\ufffd`;
  const first = s.charCodeAt(0);
  if (first >= 0xdc00 && first <= 0xdfff) s = `\ufffd${s.slice(1)}`;
  return s;
}

/** Replace the class's checkFormat/checkFormatMany with the packed versions. */
function install(AssetIdValidator) {
  const proto = AssetIdValidator.prototype;
  // The only checkFormat/checkFormatMany there are (the .wasm exports no other).
  if (typeof proto.checkManyPacked !== 'function') throw new TypeError('asset-id: the .wasm lacks checkManyPacked');
  proto.checkFormat = function checkFormat(value, options) {
    const scheme = schemeOf(options);
    const str = typeof value === 'string';
    one[0] = str ? value.length : KIND + kindOf(value);
    t = this.checkManyPacked(utf8(str ? value : ''), one, scheme);
    p = 0;
    const c = constantsOf(this);
    return verdict(str ? value : null, c.names, c.expected);
  };
  proto.checkFormatMany = function checkFormatMany(values, options) {
    const scheme = schemeOf(options);
    if (!Array.isArray(values)) {
      // A bad scheme option is reported first, as by the other methods.
      this.checkManyPacked(utf8(''), new Uint32Array(0), scheme);
      throw argumentError('checkFormatMany expects an array');
    }
    const n = values.length;
    const lens = new Uint32Array(n);
    let joined = '';
    for (let i = 0; i < n; i += 1) {
      const x = values[i];
      if (typeof x === 'string') {
        const s = wellFormedEnds(x);
        lens[i] = s.length;
        joined += s;
      } else {
        lens[i] = KIND + kindOf(x);
      }
    }
    t = this.checkManyPacked(utf8(joined), lens, scheme);
    p = 0;
    const c = constantsOf(this);
    const out = new Array(n);
    for (let i = 0; i < n; i += 1) {
      const x = values[i];
      out[i] = verdict(typeof x === 'string' ? x : null, c.names, c.expected);
    }
    return out;
  };
}

module.exports = { install };
