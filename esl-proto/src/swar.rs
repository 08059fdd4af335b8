//! Finding a byte in a short haystack, eight bytes at a time in a `u64`.
//!
//! memchr is the fastest search over long haystacks, but each call costs a set-up (dispatch,
//! alignment, the vector loop's entry) that dominates haystacks of a few dozen bytes: a header
//! name, a JSON string, an XML value. These search the first 64 bytes a word at a time and hand
//! the rest to memchr, so a long value (a 70 KB channel variable) still goes at memchr's speed.

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// How many bytes are searched a word at a time before memchr takes over.
const SHORT: usize = 64;

/// The high bit of each byte of `word` equal to `byte`. Exact: the sum never carries from one
/// byte into the next, so no byte is reported that does not match.
#[inline(always)]
pub(crate) fn equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (LOW * u64::from(byte));
    !(((x & !HIGH).wrapping_add(!HIGH)) | x) & HIGH
}

#[inline(always)]
fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// The first `byte` in `haystack`.
#[inline]
pub(crate) fn find(haystack: &[u8], byte: u8) -> Option<usize> {
    let mut at = 0;
    while let Some(chunk) = haystack.get(at..at + 8) {
        let found = equal(word(chunk), byte);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
        if at == SHORT {
            return memchr::memchr(byte, &haystack[at..]).map(|i| at + i);
        }
    }
    haystack[at..]
        .iter()
        .position(|b| *b == byte)
        .map(|i| at + i)
}

/// The first `a` or `b` in `haystack`.
#[inline]
pub(crate) fn find2(haystack: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut at = 0;
    while let Some(chunk) = haystack.get(at..at + 8) {
        let chunk = word(chunk);
        let found = equal(chunk, a) | equal(chunk, b);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
        if at == SHORT {
            return memchr::memchr2(a, b, &haystack[at..]).map(|i| at + i);
        }
    }
    haystack[at..]
        .iter()
        .position(|x| *x == a || *x == b)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn finds_what_memchr_finds(haystack in prop::collection::vec(any::<u8>(), 0..200), a: u8, b: u8) {
            prop_assert_eq!(find(&haystack, a), memchr::memchr(a, &haystack));
            prop_assert_eq!(find2(&haystack, a, b), memchr::memchr2(a, b, &haystack));
        }

        #[test]
        fn finds_what_memchr_finds_in_text(haystack in "[a-z<>\"\\\\ ]{0,150}") {
            let haystack = haystack.as_bytes();
            prop_assert_eq!(find(haystack, b'<'), memchr::memchr(b'<', haystack));
            prop_assert_eq!(find2(haystack, b'"', b'\\'), memchr::memchr2(b'"', b'\\', haystack));
        }

        #[test]
        fn finds_a_byte_asked_for_twice(haystack in prop::collection::vec(any::<u8>(), 0..100), at in 0usize..100, x: u8) {
            let mut haystack = haystack;
            if at < haystack.len() {
                haystack[at] = x;
            }
            prop_assert_eq!(find2(&haystack, x, x), memchr::memchr(x, &haystack));
        }
    }
}
