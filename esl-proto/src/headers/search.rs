//! Looking a header up in a block that has not been indexed, with a vectorised search.
//!
//! A header named `n` is a line `n:...`, so it lies at an LF followed, `n.len() + 1` bytes
//! later, by a `:`. Neither byte has a case, so memchr's "packed pair" searcher, told to look
//! for exactly that pair, finds every line whose name has the wanted length, whatever its
//! case, 32 bytes at a time; each candidate is then compared ignoring case. One lookup costs
//! a fraction of indexing the block (a FreeSWITCH channel event has 60 to 1,000 lines), and
//! an application usually looks up a few headers of each event, not all of them.

/// The offset of the name of the first line after the first one in `block` whose name is
/// `prefix` followed by `rest` (ASCII case-insensitive): `Some(None)` if there is none, `None`
/// if this search cannot answer here (no vector searcher on this machine, a name it cannot
/// match), and the block must be indexed instead.
///
/// `block` must be a header block as [`super::check_block`] accepts it: LF line ends, no CR,
/// the name of a line ending at its first `:`.
pub(super) fn find_line(block: &[u8], prefix: &[u8], rest: &[u8]) -> Option<Option<usize>> {
    let len = prefix.len() + rest.len();
    // A name holding `:` or LF is never a line's whole name (the name ends at the first `:`),
    // and the pair's offsets are bytes.
    let odd = |part: &[u8]| part.iter().any(|b| matches!(b, b':' | b'\n'));
    if len == 0 || len + 2 > usize::from(u8::MAX) || odd(prefix) || odd(rest) {
        return None;
    }
    let is_wanted = |at: usize| {
        let name = &block[at..at + len];
        name[..prefix.len()].eq_ignore_ascii_case(prefix)
            && name[prefix.len()..].eq_ignore_ascii_case(rest)
    };
    let mut needle = [0u8; u8::MAX as usize];
    needle[0] = b'\n';
    needle[len + 1] = b':';
    let needle = &needle[..len + 2];
    let pair = memchr::arch::all::packedpair::Pair::with_indices(needle, 0, (len + 1) as u8)?;
    let (mut pos, found) = candidates(block, needle, pair, is_wanted)?;
    if found.is_some() {
        return Some(found);
    }
    // The last bytes, shorter than a vector, one by one.
    while let Some(lf) = memchr::memchr(b'\n', &block[pos..]) {
        let at = pos + lf;
        if block.get(at + len + 1) == Some(&b':') && is_wanted(at + 1) {
            return Some(Some(at + 1));
        }
        pos = at + 1;
    }
    Some(None)
}

/// Runs the vector searcher from the start of `block`: `(where it stopped, the first match)`.
/// `None` if there is no vector searcher here.
#[allow(unused_variables)] // on targets without one, the arguments go unused
fn candidates(
    block: &[u8],
    needle: &[u8],
    pair: memchr::arch::all::packedpair::Pair,
    is_wanted: impl Fn(usize) -> bool,
) -> Option<(usize, Option<usize>)> {
    #[cfg(target_arch = "x86_64")]
    {
        use memchr::arch::x86_64::{avx2, sse2};
        if let Some(finder) = avx2::packedpair::Finder::with_pair(needle, pair) {
            let min = finder.min_haystack_len();
            return Some(scan(block, min, |h| finder.find_prefilter(h), is_wanted));
        }
        let finder = sse2::packedpair::Finder::with_pair(needle, pair)?;
        let min = finder.min_haystack_len();
        return Some(scan(block, min, |h| finder.find_prefilter(h), is_wanted));
    }
    #[cfg(target_arch = "aarch64")]
    {
        use memchr::arch::aarch64::neon;
        let finder = neon::packedpair::Finder::with_pair(needle, pair)?;
        let min = finder.min_haystack_len();
        return Some(scan(block, min, |h| finder.find_prefilter(h), is_wanted));
    }
    #[allow(unreachable_code)]
    None
}

/// Tries each candidate the searcher reports while at least `min` bytes are left (it panics
/// on less): `(where it stopped, the first match)`.
#[inline(always)]
fn scan(
    block: &[u8],
    min: usize,
    find: impl Fn(&[u8]) -> Option<usize>,
    is_wanted: impl Fn(usize) -> bool,
) -> (usize, Option<usize>) {
    let mut pos = 0;
    while block.len() - pos >= min {
        let Some(found) = find(&block[pos..]) else {
            return (block.len(), None);
        };
        let at = pos + found;
        if is_wanted(at + 1) {
            return (at, Some(at + 1));
        }
        pos = at + 1;
    }
    (pos, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(block: &str, name: &str) -> Option<Option<usize>> {
        find_line(block.as_bytes(), name.as_bytes(), b"")
    }

    #[test]
    fn finds_the_first_line_of_that_name_whatever_its_case() {
        let block = "Event-Name: X\nA-b: 1\nvariable_x: 2\na-B: 3\nLong-Padding-Header: 0123456789012345678901234567890123456789\nZ: 4\n\n";
        assert_eq!(find(block, "a-b"), Some(Some(14)));
        assert_eq!(find(block, "VARIABLE_X"), Some(Some(21)));
        assert_eq!(find(block, "z"), Some(Some(block.find("Z:").unwrap())));
        assert_eq!(find(block, "missing"), Some(None));
        // The first line is not looked at (the caller reads it without searching).
        assert_eq!(find(block, "Event-Name"), Some(None));
        assert_eq!(
            find_line(block.as_bytes(), b"variable_", b"X"),
            Some(Some(21))
        );
        // Names a line's name can never be.
        assert_eq!(find(block, "a:b"), None);
        assert_eq!(find(block, ""), None);
    }

    #[test]
    fn a_name_ends_at_the_first_colon() {
        let block = "E: x\nab: c:d\nab:c: 1\n\n";
        // `ab:c` is not a name; the line `ab:c: 1` is named `ab`.
        assert_eq!(find(block, "ab"), Some(Some(5)));
        assert_eq!(find(block, "c"), Some(None));
    }

    #[test]
    fn names_up_to_253_bytes_are_searched_and_longer_ones_left_to_the_index() {
        // The pair's second byte is `len + 1` bytes after the LF, an offset held in a u8.
        for (len, searched) in [(253, true), (254, false), (300, false)] {
            let name = "n".repeat(len);
            let block = format!("Event-Name: X\n{name}: found\n\n");
            let expected = searched.then_some(Some(14));
            assert_eq!(find(&block, &name), expected, "a name of {len} bytes");
        }
    }
}
