//! One detector per rule: each looks at the readings of a text and returns what it found, as
//! an excerpt safe to store and show moderators (a secret's or a number's middle is masked).
//! API keys and named secrets have their own file (`keys.rs`). A detector decides nothing:
//! the rules say what a finding does.

use std::sync::LazyLock;

use regex::Regex;

use super::normalize::{Readings, separate};
use super::rules::{BannedTerms, Length, Links, Repetition, RuleName};

/// What one rule found: its name and a masked excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub rule: RuleName,
    pub excerpt: String,
}

/// Builds a pattern known at compile time.
pub(super) fn pattern(source: &str) -> Regex {
    // Each pattern is a literal checked by the tests: it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(source).expect("a compliance pattern compiles")
}

/// Emails written out, with a bracketed `at` (`ana [at] mail.org`), or with `at` and `dot`
/// spelled out (`ana at mail dot org`); a bare ` at ` before a full stop is prose.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let dot = r"(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+)";
    pattern(&format!(
        r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{{2,}}|[a-z0-9._%+-]+\s*[\[({{<]\s*(?:at|@)\s*[\])}}>]\s*[a-z0-9-]+(?:(?:{dot}|\.)[a-z0-9-]+)+|[a-z0-9._%+-]+\s+at\s+[a-z0-9-]+(?:{dot}[a-z0-9-]+)+"
    ))
});

/// Runs of digits with the separators numbers are written with: up to 8 of spaces, tabs,
/// newlines, dashes, dots, slashes, brackets and underscores between two digits (a number
/// spread out with four spaces is still one number). The readings hold ASCII digits only.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\+?[0-9](?:[\s()./_\p{Pd}]{0,8}[0-9]){6,22}"));

/// Dates (`2026-11-22`, `22/11/2026`, `22.11.2026`), read as a word rather than digits so
/// that a date beside a time or another date is not a phone or card number. No card
/// network's numbers start with 19 or 20: a date cannot stand for the start of a card.
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"\b(?:(?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])|(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)[0-9]{2})\b",
    )
});

/// PEM (`-----BEGIN RSA PRIVATE KEY-----`) and PGP (`-----BEGIN PGP PRIVATE KEY BLOCK-----`)
/// private key headers with dashes on either side, the start of an OpenSSH key's body in
/// base64 (`openssh-key-v1`), and PuTTY key files.
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    let header = r"begin\s+(?:[a-z0-9]+\s+){0,4}private\s+key(?:\s+block)?";
    pattern(&format!(
        r"\p{{Pd}}{{2,}}\s*{header}|{header}\s*\p{{Pd}}{{2,}}|b3blbnnzac1rzxktdj|putty-user-key-file-[0-9]+:"
    ))
});

static JWT: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"\beyj[a-z0-9_-]{8,}\.eyj?[a-z0-9_-]{8,}\.[a-z0-9_-]{8,}"));

static URL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?:https?://|www\.)([a-z0-9-]+(?:\.[a-z0-9-]+)+)|\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|app|xyz|info|biz|me|co|ru|cn|tk|top|link|click)\b)",
    )
});

/// The first match of `regex` in any reading, masked.
fn first(readings: &Readings, regex: &Regex, rule: RuleName) -> Option<Found> {
    readings.all().into_iter().find_map(|text| {
        regex.find(text).map(|m| Found {
            rule,
            excerpt: mask(m.as_str()),
        })
    })
}

pub fn email(readings: &Readings) -> Option<Found> {
    first(readings, &EMAIL, RuleName::Email)
}

pub fn private_key(readings: &Readings) -> Option<Found> {
    first(readings, &PRIVATE_KEY, RuleName::PrivateKey)
}

pub use super::keys::api_key;

pub fn jwt(readings: &Readings) -> Option<Found> {
    first(readings, &JWT, RuleName::Jwt)
}

/// Card numbers: 13 to 19 digits that pass the Luhn check.
pub fn card_number(readings: &Readings) -> Option<Found> {
    digit_runs(readings).into_iter().find_map(|(run, digits)| {
        ((13..=19).contains(&digits.len()) && luhn(&digits)).then(|| Found {
            rule: RuleName::CardNumber,
            excerpt: mask(&run),
        })
    })
}

/// Phone numbers: 9 to 15 digits written as one number (not a card number).
pub fn phone(readings: &Readings) -> Option<Found> {
    digit_runs(readings).into_iter().find_map(|(run, digits)| {
        let card = (13..=19).contains(&digits.len()) && luhn(&digits);
        ((9..=15).contains(&digits.len()) && !card).then(|| Found {
            rule: RuleName::Phone,
            excerpt: mask(&run),
        })
    })
}

/// Each run of digits in the plain reading (dates read as words), with its digits alone.
fn digit_runs(readings: &Readings) -> Vec<(String, Vec<u8>)> {
    let undated = DATE.replace_all(&readings.plain, "date");
    DIGIT_RUN
        .find_iter(&undated)
        .map(|m| {
            let digits = m
                .as_str()
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| b - b'0')
                .collect();
            (m.as_str().to_string(), digits)
        })
        .collect()
}

/// The Luhn check digit test.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Banned terms as whole words, in any reading and in leetspeak (`k1ll`, `y0u`), with any
/// separators between their words (`kill  yourself`, `kill-yourself`), and spelled out a
/// letter at a time (`k.y.s`).
pub fn banned_term(readings: &Readings, rule: &BannedTerms) -> Option<Found> {
    let words = [
        readings.words.clone(),
        deleet(&readings.words, 'i'),
        deleet(&readings.words, 'l'),
    ];
    let spelled: Vec<String> = words.iter().map(|text| join_letters(text)).collect();
    rule.terms.iter().find_map(|term| {
        let term = term.to_lowercase();
        let term_words = separate(&term);
        let term_joined = term_words.replace(' ', "");
        let found = readings
            .all()
            .into_iter()
            .any(|text| contains_word(text, &term))
            || words.iter().any(|text| contains_word(text, &term_words))
            || spelled.iter().any(|text| contains_word(text, &term_joined));
        found.then(|| Found {
            rule: RuleName::BannedTerm,
            excerpt: mask(&term),
        })
    })
}

/// `words` with each run of two or more one-letter words written as one word (`k y s`
/// reads `kys`).
fn join_letters(words: &str) -> String {
    let mut joined: Vec<String> = Vec::new();
    let mut letters = String::new();
    let flush = |letters: &mut String, joined: &mut Vec<String>| {
        if !letters.is_empty() {
            joined.push(std::mem::take(letters));
        }
    };
    for word in words.split(' ') {
        if word.chars().count() == 1 {
            letters.push_str(word);
        } else {
            flush(&mut letters, &mut joined);
            joined.push(word.to_string());
        }
    }
    flush(&mut letters, &mut joined);
    joined.join(" ")
}

/// `text` with leetspeak digits and signs read as letters, `1` as `one`.
fn deleet(text: &str, one: char) -> String {
    text.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | '|' => one,
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// Whether `term` stands in `text` as whole words.
fn contains_word(text: &str, term: &str) -> bool {
    text.match_indices(term).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + term.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Links to hosts the rule does not allow.
pub fn link(readings: &Readings, rule: &Links) -> Option<Found> {
    readings.all().into_iter().find_map(|text| {
        URL.captures_iter(text).find_map(|captures| {
            let host = captures.get(1).or_else(|| captures.get(2))?.as_str();
            let allowed = rule
                .allow
                .iter()
                .any(|ok| host == ok || host.ends_with(&format!(".{ok}")));
            (!allowed).then(|| Found {
                rule: RuleName::Link,
                excerpt: host.to_string(),
            })
        })
    })
}

pub fn length(text: &str, rule: &Length) -> Option<Found> {
    let chars = text.chars().count();
    (chars > rule.chars_max).then(|| Found {
        rule: RuleName::Length,
        excerpt: format!("{chars} characters (at most {})", rule.chars_max),
    })
}

/// A character run, or one word crowding out the rest.
pub fn repetition(readings: &Readings, rule: &Repetition) -> Option<Found> {
    let text = &readings.plain;
    let mut run = (None, 0usize);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        run = if run.0 == Some(c) {
            (Some(c), run.1 + 1)
        } else {
            (Some(c), 1)
        };
        if run.1 >= rule.run_max {
            return Some(Found {
                rule: RuleName::Repetition,
                excerpt: format!("{c:?} {} times in a row", rule.run_max),
            });
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() < rule.words_min {
        return None;
    }
    let mut counts = std::collections::HashMap::new();
    for word in &words {
        *counts.entry(*word).or_insert(0usize) += 1;
    }
    let (word, count) = counts.into_iter().max_by_key(|(_, count)| *count)?;
    (count * 100 > words.len() * usize::from(rule.word_share_max)).then(|| Found {
        rule: RuleName::Repetition,
        excerpt: format!("{:?} is {count} of {} words", mask(word), words.len()),
    })
}

/// A matched span as moderators see it: its start, then its length. A secret or number is
/// never stored whole.
pub fn mask(span: &str) -> String {
    let chars: Vec<char> = span.chars().collect();
    if chars.len() <= 6 {
        return span.to_string();
    }
    let shown: String = chars[..4].iter().collect();
    format!("{shown}… ({} characters)", chars.len())
}
