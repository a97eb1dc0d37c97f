//! Unicode case mapping: the same results as Rust's `char::to_uppercase` / `char::to_lowercase` and
//! `str::to_uppercase` / `str::to_lowercase` (Final_Sigma included), from compact tables.
//!
//! `core`'s own case tables cost about 17 KiB of the browsers' gzipped `.wasm` (28 KiB raw); these
//! (`case/table.rs`) are generated from `core` itself and hold the same mappings in 8.4 KiB raw:
//! one-to-one mappings as runs of equal offset (every character, or every other one), the
//! multi-character expansions (`ß` -> `SS`) listed, and the three character classes Final_Sigma
//! needs. The tests prove every function here equal to `core`'s for every Unicode scalar value, and
//! that the tables are what this toolchain's `core` gives (a toolchain with new Unicode data fails
//! that test until the tables are regenerated).

mod table;

/// The characters a character maps to: one to three, like `core`'s `ToUppercase`.
#[derive(Clone, Debug)]
pub struct Mapped {
    chars: [char; 3],
    next: u8,
    len: u8,
}

impl Mapped {
    fn one(c: char) -> Self {
        Mapped {
            chars: [c, '\0', '\0'],
            next: 0,
            len: 1,
        }
    }

    /// True when the mapping is the character itself.
    fn is_identity(&self, c: char) -> bool {
        self.len == 1 && self.chars[0] == c
    }
}

impl Iterator for Mapped {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if self.next >= self.len {
            return None;
        }
        self.next += 1;
        Some(self.chars[usize::from(self.next - 1)])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.len - self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Mapped {}

/// A run: `start | (len - 1) << 21 | (step - 1) << 28`, and the offset added to each of its
/// characters (`start`, `start + step`, ... `len` of them).
fn in_runs(c: char, runs: &[(u32, i32)]) -> Option<char> {
    let u = c as u32;
    let i = runs.partition_point(|&(packed, _)| packed & 0x1F_FFFF <= u);
    let &(packed, offset) = runs.get(i.checked_sub(1)?)?;
    let (start, len, step) = (
        packed & 0x1F_FFFF,
        (packed >> 21 & 0x7F) + 1,
        (packed >> 28) + 1,
    );
    let k = u - start;
    if k % step != 0 || k / step >= len {
        return None;
    }
    char::from_u32(u.wrapping_add_signed(offset))
}

fn map(c: char, runs: &[(u32, i32)], multi: &[(u16, [u16; 3])]) -> Mapped {
    if let Some(m) = in_runs(c, runs) {
        return Mapped::one(m);
    }
    let expansion = u16::try_from(c as u32)
        .ok()
        .and_then(|u| multi.binary_search_by_key(&u, |&(from, _)| from).ok());
    match expansion {
        Some(i) => {
            let to = multi[i].1;
            let chars = to.map(|u| char::from_u32(u32::from(u)).unwrap_or('\0'));
            Mapped {
                chars,
                next: 0,
                len: to.iter().take_while(|&&u| u != 0).count() as u8,
            }
        }
        None => Mapped::one(c),
    }
}

/// `char::to_uppercase`.
pub fn upper(c: char) -> Mapped {
    if c.is_ascii() {
        return Mapped::one(c.to_ascii_uppercase());
    }
    map(c, &table::UPPER, &table::UPPER_MULTI)
}

/// `char::to_lowercase`.
pub fn lower(c: char) -> Mapped {
    if c.is_ascii() {
        return Mapped::one(c.to_ascii_lowercase());
    }
    map(c, &table::LOWER, &table::LOWER_MULTI)
}

/// True when [`to_upper`] changes a text holding `c`.
pub fn upper_changes(c: char) -> bool {
    !upper(c).is_identity(c)
}

/// True when [`to_lower`] changes a text holding `c` (`Σ` too: it becomes `σ` or `ς`).
pub fn lower_changes(c: char) -> bool {
    !lower(c).is_identity(c)
}

/// `str::to_uppercase`.
pub fn to_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    let mut out = String::with_capacity(s.len());
    out.extend(s.chars().flat_map(upper));
    out
}

/// `str::to_lowercase`: [`lower`] of each character, except that a capital sigma at the end of a
/// word is the final `ς` (Unicode's Final_Sigma: a cased letter before it and none after it, both
/// looked for past case-ignorable characters).
pub fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        if c == 'Σ' {
            let word_final = cased_past_ignorable(s[..i].chars().rev())
                && !cased_past_ignorable(s[i + 'Σ'.len_utf8()..].chars());
            out.push(if word_final { 'ς' } else { 'σ' });
        } else {
            out.extend(lower(c));
        }
    }
    out
}

/// Final_Sigma's classes: 0 neither, 1 cased (and not case-ignorable), 2 case-ignorable.
fn sigma_class(c: char) -> u32 {
    let u = c as u32;
    let i = table::SIGMA.partition_point(|&packed| packed >> 2 <= u);
    i.checked_sub(1).map_or(0, |i| table::SIGMA[i] & 3)
}

/// The first character that is not case-ignorable is cased.
fn cased_past_ignorable(mut chars: impl Iterator<Item = char>) -> bool {
    chars
        .find(|&c| sigma_class(c) != 2)
        .is_some_and(|c| sigma_class(c) == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        assert_eq!(to_upper("straße"), "STRASSE");
        assert_eq!(to_lower("İ"), "i\u{307}");
        assert_eq!(to_lower("ΟΔΟΣ ΟΔΟΣ."), "οδος οδος.");
        assert_eq!(to_lower("ΑΣ'Σ"), "ασ'ς");
        assert_eq!(to_lower("Σ"), "σ");
        assert_eq!(upper('ᾳ').collect::<String>(), "ΑΙ");
        assert_eq!(upper('ﬃ').len(), 3);
        assert!(upper_changes('ß') && !upper_changes('ª') && lower_changes('Σ'));
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod against_core {
        use super::super::*;
        use proptest::prelude::*;

        fn every_scalar() -> impl Iterator<Item = char> {
            (0..=0x10FFFFu32).filter_map(char::from_u32)
        }

        /// `core`'s one-to-one mappings as runs (see [`in_runs`]), its expansions, in code order.
        #[allow(clippy::type_complexity)]
        fn derive(f: fn(char) -> Vec<char>) -> (Vec<(u32, i32)>, Vec<(u16, [u16; 3])>) {
            let mapped: Vec<(char, Vec<char>)> = every_scalar()
                .map(|c| (c, f(c)))
                .filter(|(c, m)| *m != [*c])
                .collect();
            let changes = |u: u32| mapped.binary_search_by_key(&u, |(c, _)| *c as u32).is_ok();
            let (mut runs, mut multi): (Vec<(u32, u32, u32, i32)>, Vec<(u16, [u16; 3])>) =
                (Vec::new(), Vec::new());
            for (c, m) in &mapped {
                let u = *c as u32;
                if m.len() > 1 {
                    let from = u16::try_from(u).expect("expansions are in the BMP");
                    let mut to = [0u16; 3];
                    for (t, &x) in to.iter_mut().zip(m) {
                        *t = u16::try_from(x as u32).expect("expansions are in the BMP");
                    }
                    assert!(m.len() <= 3);
                    multi.push((from, to));
                    continue;
                }
                let offset = m[0] as i32 - u as i32;
                if let Some(run) = runs.last_mut() {
                    let (start, len, step, off) = *run;
                    let last = start + (len - 1) * step;
                    // A run of every other character only over characters that map to themselves.
                    let gap_free = |step: u32| step == 1 || !changes(last + 1);
                    if off == offset && len < 128 {
                        if len == 1 && (u == last + 1 || (u == last + 2 && gap_free(2))) {
                            *run = (start, 2, u - last, off);
                            continue;
                        }
                        if len > 1 && step <= 2 && u == last + step && gap_free(step) {
                            run.1 += 1;
                            continue;
                        }
                    }
                }
                runs.push((u, 1, 1, offset));
            }
            let packed = runs
                .into_iter()
                .map(|(start, len, step, off)| (start | (len - 1) << 21 | (step - 1) << 28, off))
                .collect();
            (packed, multi)
        }

        /// The class of `c` for Final_Sigma, read off `core`'s `str::to_lowercase`: `XΣ` ends in
        /// `ς` when X is cased and not case-ignorable; `AXΣ` when X is either.
        fn core_sigma_class(c: char) -> u32 {
            let final_after = |s: String| s.to_lowercase().ends_with('ς');
            if final_after(format!("{c}Σ")) {
                1
            } else if final_after(format!("A{c}Σ")) {
                2
            } else {
                0
            }
        }

        /// `case/table.rs` as this toolchain's `core` gives it.
        fn generate() -> String {
            let (upper, upper_multi) = derive(|c| c.to_uppercase().collect());
            let (lower, lower_multi) = derive(|c| c.to_lowercase().collect());
            let mut sigma: Vec<u32> = Vec::new();
            for c in every_scalar() {
                let k = core_sigma_class(c);
                if sigma.last().map_or(k != 0, |&last| last & 3 != k) {
                    sigma.push((c as u32) << 2 | k);
                }
            }
            let (major, minor, update) = char::UNICODE_VERSION;
            let mut out = format!(
                "//! Generated from Rust's `core` (Unicode {major}.{minor}.{update}) by `case::tests`, which proves\n\
                 //! it equal to `core` for every scalar value. Regenerate with\n\
                 //! `cargo test --lib case::tests::against_core::regenerate -- --ignored`.\n"
            );
            let runs = |out: &mut String, name: &str, what: &str, runs: &[(u32, i32)]| {
                out.push_str(&format!(
                    "\n/// {what}: `(start | (len - 1) << 21 | (step - 1) << 28, offset)`.\n\
                     #[rustfmt::skip]\npub(super) static {name}: [(u32, i32); {}] = [\n",
                    runs.len()
                ));
                for row in runs.chunks(6) {
                    let row: Vec<String> =
                        row.iter().map(|(p, o)| format!("(0x{p:X}, {o})")).collect();
                    out.push_str(&format!("    {},\n", row.join(", ")));
                }
                out.push_str("];\n");
            };
            let multi = |out: &mut String, name: &str, what: &str, multi: &[(u16, [u16; 3])]| {
                out.push_str(&format!(
                    "\n/// {what}: the character and its expansion (0 ends it).\n\
                     #[rustfmt::skip]\npub(super) static {name}: [(u16, [u16; 3]); {}] = [\n",
                    multi.len()
                ));
                for row in multi.chunks(4) {
                    let row: Vec<String> = row
                        .iter()
                        .map(|(c, [a, b, d])| format!("(0x{c:X}, [0x{a:X}, 0x{b:X}, 0x{d:X}])"))
                        .collect();
                    out.push_str(&format!("    {},\n", row.join(", ")));
                }
                out.push_str("];\n");
            };
            runs(
                &mut out,
                "UPPER",
                "`char::to_uppercase`, one-to-one",
                &upper,
            );
            multi(
                &mut out,
                "UPPER_MULTI",
                "`char::to_uppercase`, expansions",
                &upper_multi,
            );
            runs(
                &mut out,
                "LOWER",
                "`char::to_lowercase`, one-to-one",
                &lower,
            );
            multi(
                &mut out,
                "LOWER_MULTI",
                "`char::to_lowercase`, expansions",
                &lower_multi,
            );
            out.push_str(&format!(
                "\n/// Final_Sigma's classes from U+0000 on: `start << 2 | class`, class 1 cased (and not\n\
                 /// case-ignorable), 2 case-ignorable, 0 neither (also before the first run).\n\
                 #[rustfmt::skip]\npub(super) static SIGMA: [u32; {}] = [\n",
                sigma.len()
            ));
            for row in sigma.chunks(10) {
                let row: Vec<String> = row.iter().map(|p| format!("0x{p:X}")).collect();
                out.push_str(&format!("    {},\n", row.join(", ")));
            }
            out.push_str("];\n");
            out
        }

        const TABLE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/case/table.rs");

        #[test]
        fn table_is_what_this_toolchains_core_gives() {
            let (major, minor, update) = char::UNICODE_VERSION;
            assert!(
                generate() == include_str!("case/table.rs"),
                "src/case/table.rs is not what this toolchain's core (Unicode {major}.{minor}.{update}) \
                 gives: its case mappings changed. Regenerate the table with \
                 `cargo test --lib case::tests::against_core::regenerate -- --ignored`, review the \
                 diff and the size of the format build (make bench)."
            );
        }

        /// Writes `case/table.rs` (after a toolchain update).
        #[test]
        #[ignore]
        fn regenerate() {
            std::fs::write(TABLE_PATH, generate()).expect("write src/case/table.rs");
        }

        #[test]
        fn chars_equal_core_for_every_scalar_value() {
            for c in every_scalar() {
                let u = c as u32;
                assert!(upper(c).eq(c.to_uppercase()), "upper U+{u:04X}");
                assert!(lower(c).eq(c.to_lowercase()), "lower U+{u:04X}");
                assert_eq!(upper(c).len(), c.to_uppercase().len(), "U+{u:04X}");
                assert_eq!(lower(c).len(), c.to_lowercase().len(), "U+{u:04X}");
                assert_eq!(
                    upper_changes(c),
                    !c.to_uppercase().eq([c]),
                    "upper_changes U+{u:04X}"
                );
                assert_eq!(
                    lower_changes(c),
                    !c.to_lowercase().eq([c]),
                    "lower_changes U+{u:04X}"
                );
            }
        }

        #[test]
        fn strings_equal_core_for_every_scalar_value() {
            // Each character alone and in every position Final_Sigma looks at.
            for c in every_scalar() {
                for s in [
                    format!("{c}"),
                    format!("{c}Σ"),
                    format!("A{c}Σ"),
                    format!("1{c}Σ"),
                    format!("AΣ{c}"),
                    format!("AΣ{c}a"),
                    format!("AΣ{c}1"),
                    format!("Σ{c}Σ"),
                ] {
                    assert_eq!(to_lower(&s), s.to_lowercase(), "{s:?}");
                    assert_eq!(to_upper(&s), s.to_uppercase(), "{s:?}");
                }
            }
        }

        /// Hostile input: Final_Sigma looks past case-ignorable characters on both sides of each
        /// `Σ`, so long runs of them between sigmas are the worst case. Each run is scanned by the
        /// sigma on either side only (linear); the answers still equal `core`'s.
        #[test]
        fn long_case_ignorable_runs_equal_core() {
            let run = "\u{307}'\u{ad}".repeat(20_000);
            for s in [
                format!("A{run}Σ{run}"),
                format!("Σ{run}Σ{run}Σ"),
                "Σ\u{307}".repeat(30_000),
                "aΣ".repeat(30_000),
            ] {
                assert!(to_lower(&s) == s.to_lowercase(), "{} chars", s.len());
                assert!(to_upper(&s) == s.to_uppercase(), "{} chars", s.len());
            }
        }

        fn text() -> impl Strategy<Value = String> {
            let chars = prop::sample::select(vec![
                'Σ',
                'σ',
                'ς',
                'A',
                'a',
                '1',
                ' ',
                '.',
                '\'',
                ':',
                '\u{307}',
                '\u{345}',
                '\u{2b0}',
                '\u{ad}',
                'ß',
                'İ',
                'ı',
                'ǅ',
                'ᾳ',
                '\u{1d400}',
                '\u{10400}',
                '\u{e0020}',
                'ª',
            ]);
            prop::collection::vec(prop_oneof![chars, any::<char>()], 0..16)
                .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #[test]
            fn random_strings_equal_core(s in text()) {
                prop_assert_eq!(to_upper(&s), s.to_uppercase());
                prop_assert_eq!(to_lower(&s), s.to_lowercase());
            }
        }
    }
}
