//! The engine's source of randomness: a small seeded generator, so that every uuid the client
//! chooses and every reconnect delay can be replayed from the seed. Not for cryptography: a
//! `Job-UUID` only has to be unique on its connection.

use std::hash::{BuildHasher, Hasher};

/// SplitMix64 (Steele, Lea and Flood): one 64-bit state, full period, good mixing.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: Option<u64>) -> Rng {
        Rng(seed.unwrap_or_else(random_seed))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A version-4 uuid in its text form.
    pub(crate) fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid_v4(bytes)
    }
}

/// The text form (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`) of the version-4 uuid made of
/// 16 random bytes: its version and variant bits set, the rest kept.
///
/// ```
/// use esl_proto::client::uuid_v4;
///
/// assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
/// assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
/// ```
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 0x0f)] as char);
    }
    text
}

/// A seed from the process's random state (std seeds it from the operating system).
fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_sequence_and_uuids_have_the_v4_shape() {
        let mut a = Rng::new(Some(7));
        let mut b = Rng::new(Some(7));
        assert_eq!(a.uuid(), b.uuid());
        let uuid = a.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(uuid, a.uuid());
        let unit = a.unit();
        assert!((0.0..1.0).contains(&unit));
        assert_ne!(Rng::new(None).next_u64(), Rng::new(None).next_u64());
    }

    /// SplitMix64's published first output from state 0, and the next: a seed replays the
    /// same uuids and delays in every version.
    #[test]
    fn it_is_splitmix64() {
        let mut rng = Rng::new(Some(0));
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    /// Jitter spreads reconnects only if the samples cover `[0, 1)` evenly.
    #[test]
    fn unit_samples_fill_every_tenth_of_the_interval() {
        let mut rng = Rng::new(Some(42));
        let mut tenths = [0u32; 10];
        for _ in 0..10_000 {
            let x = rng.unit();
            assert!((0.0..1.0).contains(&x), "{x}");
            tenths[(x * 10.0) as usize] += 1;
        }
        assert!(
            tenths.iter().all(|&n| (800..1200).contains(&n)),
            "{tenths:?}"
        );
    }
}
