//! Finding API keys and tokens in the readings of a text, however they were split. A key is
//! found two ways:
//! - by its issuer's prefix (OpenAI and Anthropic `sk-`, AWS `AKIA`/`ASIA`, GitHub, Slack,
//!   Stripe, Google `AIza`, GitLab, Hugging Face, npm, PyPI, the village's own `avt_`/`avc_`/`rft_`),
//!   its body read across separators (spaces, tabs, newlines, dots) an evader put between its
//!   pieces, and across the join of a title and a body;
//! - by a word that names a secret (`key`, `secret`, `token`, `password`, ...) followed by a
//!   long token that looks random.
//!
//! Prose that merely starts like a key (`sk-learn 0.24 and 1.2 ...`, `Akia said ...`) must
//! not fire: a body split into pieces must have pieces of three characters or more and look
//! random (digits among its letters, switching between them). This module only finds.

use std::sync::LazyLock;

use regex::Regex;

use super::detect::{Found, mask, pattern};
use super::normalize::Readings;
use super::rules::RuleName;

/// Issuers' prefixes, at the start of a word. The readings are lower case.
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"\b(?:sk-(?:proj-|ant-)?|a[ks]ia|gh[pousr]_|github_pat_|xox[abeprs]-|[sr]k_(?:live|test)_|whsec_|glpat-|hf_|npm_|pypi-|aiza|avt_|avc_|rft_)",
    )
});

/// A word naming a secret (`key`, `api_secret`, `auth-token`, ...), then what people write
/// before one (`:`, `=`, quotes, `is`), then the token.
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r#"\b[a-z0-9_-]*?(?:key|secret|token|password|passwd|passphrase|bearer|credentials?)s?\b[\s:="'`]*(?:(?:is|was|=|:)[\s:="'`]*)?([a-z0-9+/=_-]{20,})"#,
    )
});

/// A key body's characters.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// What an evader puts between the pieces of a key (invisible characters are already gone
/// from the readings).
fn is_gap_char(c: char) -> bool {
    c.is_whitespace() || c == '.'
}

/// Longest gap between two pieces of one key, in characters.
const GAP_CHARS_MAX: usize = 6;
/// Most pieces one key is read from.
const PIECES_MAX: usize = 16;
/// Shortest key body after its prefix.
const BODY_CHARS_MIN: usize = 16;
/// Shortest piece of a split key but the last.
const PIECE_CHARS_MIN: usize = 3;
/// Shortest token after a word naming a secret.
const NAMED_CHARS_MIN: usize = 20;

/// The pieces of a key body starting at `rest`, and whether a gap came before the first.
fn pieces(rest: &str) -> (Vec<&str>, bool) {
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut detached = false;
    while pieces.len() < PIECES_MAX {
        let gap = rest[at..]
            .char_indices()
            .find(|(_, c)| !is_gap_char(*c))
            .map_or(rest.len() - at, |(i, _)| i);
        if gap > 0 {
            // Gap characters are one byte each but for Unicode spaces: count characters.
            if rest[at..at + gap].chars().count() > GAP_CHARS_MAX {
                break;
            }
            if pieces.is_empty() {
                detached = true;
            }
        }
        let start = at + gap;
        let len = rest[start..]
            .find(|c: char| !is_key_char(c))
            .unwrap_or(rest.len() - start);
        if len == 0 {
            break;
        }
        pieces.push(&rest[start..start + len]);
        at = start + len;
    }
    (pieces, detached)
}

/// How often `text` switches between a letter and a digit: random keys switch often,
/// words with a number in them seldom.
fn switches(text: &str) -> usize {
    text.as_bytes()
        .windows(2)
        .filter(|pair| {
            (pair[0].is_ascii_digit() && pair[1].is_ascii_alphabetic())
                || (pair[0].is_ascii_alphabetic() && pair[1].is_ascii_digit())
        })
        .count()
}

fn digits(text: &str) -> usize {
    text.bytes().filter(u8::is_ascii_digit).count()
}

/// Whether a token read across pieces, or named as a secret, looks random.
fn looks_random(text: &str) -> bool {
    digits(text) >= 2 && switches(text) >= 3
}

/// The key whose prefix `prefix` starts `rest`'s text, if its body reads as one.
fn key_after(prefix: &str, rest: &str) -> Option<String> {
    let aws = matches!(prefix, "akia" | "asia");
    let (pieces, detached) = pieces(rest);
    let mut body = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 && pieces[i - 1].len() < PIECE_CHARS_MIN {
            // A short piece ended the key, or this is prose (`0.24 and 1.2`).
            break;
        }
        body.push_str(piece);
        if body.len() < BODY_CHARS_MIN {
            continue;
        }
        // AWS key ids are 16 characters of base32 (letters and 2 to 7); what follows is not
        // the key's. `asia` is also a word: `Asia2024Summit` has a 0, so it is no key id.
        let candidate = if aws { &body[..BODY_CHARS_MIN] } else { &body };
        if aws
            && !candidate
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
        {
            return None;
        }
        let found = match (i, aws) {
            // Written whole right after the prefix: the prefix is the evidence.
            (0, true) => !detached || digits(candidate) >= 1,
            (0, false) => digits(candidate) >= 2,
            // Read across pieces: only a random-looking body.
            (_, _) => looks_random(candidate),
        };
        if found {
            return Some(format!("{prefix}{candidate}"));
        }
    }
    None
}

/// An API key or token in any of `readings`.
pub fn api_key(readings: &Readings) -> Option<Found> {
    readings.all().into_iter().find_map(|text| {
        let by_prefix = PREFIX
            .find_iter(text)
            .find_map(|m| key_after(m.as_str(), &text[m.end()..]));
        let key = by_prefix.or_else(|| {
            NAMED.captures_iter(text).find_map(|captures| {
                let token = captures.get(1)?;
                // A token going on after a dot is a JWT or a host name: other rules' business.
                let dotted = text[token.end()..].starts_with('.');
                let token = token.as_str();
                (token.len() >= NAMED_CHARS_MIN && !dotted && looks_random(token))
                    .then(|| token.to_string())
            })
        })?;
        Some(Found {
            rule: RuleName::ApiKey,
            excerpt: mask(&key),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_stop_at_a_long_gap_or_a_non_key_character() {
        // A gap of up to six separators joins pieces; a longer one or punctuation ends them.
        assert_eq!(
            pieces(" ab12  cd34.ef56"),
            (vec!["ab12", "cd34", "ef56"], true)
        );
        assert_eq!(pieces("ab12       cd34"), (vec!["ab12"], false));
        assert_eq!(pieces("ab12, cd34"), (vec!["ab12"], false));
    }

    #[test]
    fn a_split_body_must_look_random() {
        // Pieces of a real key switch between letters and digits; words with a number do not.
        assert!(key_after("sk-", "ab12 cd34 ef56 gh78").is_some());
        assert!(key_after("sk-", "learn with python makes 1234 models").is_none());
        assert!(key_after("sk-", "learn 0.24 and 1.2 differ in 3 ways").is_none());
        assert!(key_after("akia", " is my friend from school 2").is_none());
    }

    #[test]
    fn aws_key_ids_are_sixteen_base32_characters() {
        // Letters and the digits 2 to 7 make a key id, also after a gap; a 0 or a 1 does not.
        assert!(key_after("akia", "iosfodnn7example").is_some());
        assert!(key_after("akia", " iosfodnn7example").is_some());
        assert!(key_after("asia", "2024summitinbangkok").is_none());
    }
}
