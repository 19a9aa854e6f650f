//! Cursor paging shared by the listings (board posts, the audit log): pages run newest first
//! by id, and the cursor of the next page is the last id of a full page.

/// The `cursor` for the page after `page`, or `None` when `page` was the last (not full).
pub fn next_cursor<T>(page: &[T], limit: u32, id: impl Fn(&T) -> u64) -> Option<u64> {
    if page.len() == limit as usize {
        page.last().map(id)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::next_cursor;

    #[test]
    fn only_a_full_page_has_a_next_cursor() {
        // A full page points at its last id; a short or empty one ends the listing.
        assert_eq!(next_cursor(&[9, 7, 5], 3, |id| *id), Some(5));
        assert_eq!(next_cursor(&[9, 7], 3, |id| *id), None);
        assert_eq!(next_cursor::<u64>(&[], 3, |id| *id), None);
    }
}
