//! The readings of a text the detectors look at. An evader hides an email address or a key
//! with full-width or mathematical letters, zero-width characters between its letters,
//! Cyrillic and Greek look-alikes, digits of another script, or odd separators between the
//! words; each reading undoes some of that:
//! - `plain`: NFKC (full-width, circled and mathematical forms become ASCII), invisible
//!   format characters removed, lower case, every decimal digit of any script as its ASCII
//!   digit (`٤` and `४` read `4`);
//! - `cured`: `plain` with look-alike letters from other scripts mapped to the Latin ones
//!   they imitate (the `decancer` crate);
//! - `words`: `cured`, except that an invisible character counts as a gap between words,
//!   and every run of separators (whitespace, dashes, dots, underscores, other punctuation
//!   and symbols but the signs leetspeak uses for letters) is one space: the words of a
//!   banned term however they were kept apart.
//!
//! No reading keeps the original's offsets: excerpts come from the reading that matched.
//! This module only reads; it decides nothing.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The readings of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readings {
    pub plain: String,
    pub cured: String,
    pub words: String,
}

impl Readings {
    /// `plain` and `cured`, `plain` first (`words` is only for banned terms).
    pub fn all(&self) -> [&str; 2] {
        [&self.plain, &self.cured]
    }

    /// The readings of texts read apart and then put one after the other, a line apart: the
    /// same as reading the joined text, since every step reads one character at a time and
    /// a newline stops NFKC from composing across the join.
    pub fn joined(parts: &[&Readings]) -> Readings {
        let join = |field: fn(&Readings) -> &str, separator: &str| {
            parts
                .iter()
                .map(|readings| field(readings))
                .collect::<Vec<_>>()
                .join(separator)
        };
        Readings {
            plain: join(|r| &r.plain, "\n"),
            cured: join(|r| &r.cured, "\n"),
            words: join(|r| &r.words, " "),
        }
    }
}

/// Reads `text`.
pub fn read(text: &str) -> Readings {
    let plain: String = text
        .nfkc()
        .filter(|c| !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .map(ascii_digit)
        .collect();
    let cured = cure(&plain);
    // Where nothing was invisible, the text with gaps for invisible characters is `plain`.
    let gapped = if text.chars().any(is_invisible) {
        cure(
            &text
                .nfkc()
                .map(|c| if is_invisible(c) { ' ' } else { c })
                .flat_map(char::to_lowercase)
                .map(ascii_digit)
                .collect::<String>(),
        )
    } else {
        cured.clone()
    };
    let words = separate(&gapped);
    Readings {
        plain,
        cured,
        words,
    }
}

/// `plain` with look-alike letters mapped to Latin, character by character so that digits,
/// `@`, `.` and the like stay where they are (decancer would read `0` as `o` in a word).
fn cure(plain: &str) -> String {
    plain
        .chars()
        .map(|c| {
            if c.is_ascii() {
                return c.to_string();
            }
            let mut buffer = [0u8; 4];
            match decancer::cure(c.encode_utf8(&mut buffer), decancer::Options::default()) {
                Ok(cured) if !cured.as_str().is_empty() => cured.as_str().to_string(),
                _ => c.to_string(),
            }
        })
        .collect()
}

/// `text` with every run of separators as one space, trimmed.
pub fn separate(text: &str) -> String {
    let mut words = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if is_separator(c) {
            gap = true;
            continue;
        }
        if gap && !words.is_empty() {
            words.push(' ');
        }
        gap = false;
        words.push(c);
    }
    words
}

/// What stands between words: anything but letters, digits, marks and the signs leetspeak
/// writes letters with (`!`, `|`, `@`, `$`).
fn is_separator(c: char) -> bool {
    !(c.is_alphanumeric()
        || matches!(c, '!' | '|' | '@' | '$')
        || matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        ))
}

/// `c` as an ASCII digit when it is a decimal digit of any script, else `c`.
fn ascii_digit(c: char) -> char {
    match decimal_value(c) {
        // A value below 10 is an ASCII digit: the addition cannot leave `0`..=`9`.
        Some(value) => char::from(b'0' + value),
        None => c,
    }
}

/// The value of a decimal digit (general category Nd) of any script. Unicode encodes every
/// script's decimal digits as runs of ten in order, 0 to 9, sometimes several runs back to
/// back (the mathematical digits): the value is the distance from the start of the block of
/// digits, modulo ten.
pub fn decimal_value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() || c.general_category() != GeneralCategory::DecimalNumber {
        return None;
    }
    let code = u32::from(c);
    let mut zero = code;
    while let Some(before) = zero.checked_sub(1).and_then(char::from_u32) {
        if before.general_category() != GeneralCategory::DecimalNumber {
            break;
        }
        zero -= 1;
    }
    u8::try_from((code - zero) % 10).ok()
}

/// Characters that show nothing (zero-width spaces and joiners, soft hyphens, direction
/// marks and overrides, variation selectors, tag characters, fillers): an evader puts them
/// between the letters of what a rule looks for, or in a name to make it read otherwise.
pub fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xE0000..=0xE007F
    )
}

/// The first character of `text` that a name must not hold: control and format characters
/// (direction overrides and isolates, zero-width characters included), the invisible ones
/// above, line and paragraph separators, private-use, unassigned and surrogate code points,
/// and any space but the plain one. Such a character makes a name read differently from what
/// it is, or look like another name.
pub fn hidden_character(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        is_invisible(c)
            || (c.is_whitespace() && c != ' ')
            || matches!(
                c.general_category(),
                GeneralCategory::Control
                    | GeneralCategory::Format
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
                    | GeneralCategory::PrivateUse
                    | GeneralCategory::Surrogate
                    | GeneralCategory::Unassigned
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decimal_digit_of_every_script_reads_as_its_ascii_digit() {
        // Each block of digits starts at a zero and counts up; spot checks name the scripts
        // an evader reaches for.
        let mut digits = 0;
        for c in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let Some(value) = decimal_value(c) else {
                continue;
            };
            digits += 1;
            let next = char::from_u32(u32::from(c) + 1).and_then(decimal_value);
            if value < 9 {
                assert_eq!(
                    next,
                    Some(value + 1),
                    "after {c:?} (U+{:04X})",
                    u32::from(c)
                );
            }
        }
        assert!(digits >= 600, "only {digits} decimal digits");
        for (c, value) in [
            ('٣', 3),
            ('۷', 7),
            ('३', 3),
            ('৯', 9),
            ('๕', 5),
            ('𝟠', 8),
            ('a', 0),
        ] {
            let expected = (c != 'a').then_some(value);
            assert_eq!(decimal_value(c), expected, "{c:?}");
        }
        assert_eq!(read("٠٢٠ ७९४६").plain, "020 7946");
    }

    #[test]
    fn words_are_read_across_any_separator_but_leetspeak_signs() {
        // Runs of spaces, tabs, dashes, dots, underscores, symbols and invisible characters
        // are one space; `$`, `@`, `!` and `|` stay for leetspeak.
        assert_eq!(
            read("kill \t-_.\u{200b}\u{2014}  you!\u{200d}r\u{1F52A}$elf").words,
            "kill you! r $elf"
        );
        assert_eq!(read("an\u{200b}a").plain, "ana");
        assert_eq!(read("an\u{200b}a").words, "an a");
    }

    #[test]
    fn hidden_characters_are_found_and_ordinary_names_pass() {
        // Direction overrides and isolates, zero-width characters, controls, odd spaces and
        // fillers are found; letters of any script, accents, emoji and single spaces are not.
        for name in [
            "Ada\u{202E}lleuQ",
            "Ada\u{2066}Quill",
            "Ada\u{200B}",
            "A\u{200D}da",
            "Ada\u{FEFF}",
            "Ada\u{7}",
            "Ada\u{00A0}Quill",
            "Ada\u{3164}",
            "Ada\u{E000}",
            "Ada\u{2028}Quill",
        ] {
            assert!(hidden_character(name).is_some(), "{name:?}");
        }
        for name in [
            "Ada Quill",
            "Zoë Brontë",
            "Ωμέγα",
            "李小龍",
            "Ana-Maria O'Neil",
            "Bob 🚀",
        ] {
            assert_eq!(hidden_character(name), None, "{name:?}");
        }
    }
}
