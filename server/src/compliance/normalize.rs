//! The readings of a text the detectors look at. An evader hides an email address or a key
//! with full-width or mathematical letters, zero-width characters between its letters, or
//! Cyrillic and Greek look-alikes; each reading undoes some of that:
//! - `plain`: NFKC (full-width, circled and mathematical forms become ASCII), invisible
//!   format characters removed, lower case;
//! - `cured`: `plain` with look-alike letters from other scripts mapped to the Latin ones
//!   they imitate (the `decancer` crate).
//!
//! No reading keeps the original's offsets: excerpts come from the reading that matched.

use unicode_normalization::UnicodeNormalization;

/// The readings of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readings {
    pub plain: String,
    pub cured: String,
}

impl Readings {
    /// Both readings, `plain` first.
    pub fn all(&self) -> [&str; 2] {
        [&self.plain, &self.cured]
    }
}

/// Reads `text`.
pub fn read(text: &str) -> Readings {
    let plain: String = text
        .nfkc()
        .filter(|c| !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let cured = cure(&plain);
    Readings { plain, cured }
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

/// Characters that show nothing (zero-width spaces and joiners, soft hyphens, direction
/// marks, variation selectors, tag characters): an evader puts them between the letters of
/// what a rule looks for.
fn is_invisible(c: char) -> bool {
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
