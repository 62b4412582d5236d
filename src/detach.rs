//! Detach keys: the key sequence that ends an attach and leaves the
//! container running (podman's `--detach-keys`, Docker's syntax). berthd
//! watches for them in what a client sends; berthctl watches too, so that
//! it knows a stream that ended was left rather than finished.

/// podman's default: ctrl-p then ctrl-q.
pub const DEFAULT: &str = "ctrl-p,ctrl-q";

/// The bytes `keys` stands for: comma-separated keys, each one character
/// or `ctrl-X` (X a letter, or one of @ [ \ ] ^ _). Empty: none (an attach
/// that cannot be detached). The error says which key is wrong.
pub fn parse(keys: &str) -> Result<Vec<u8>, String> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    keys.split(',').map(key).collect()
}

fn key(k: &str) -> Result<u8, String> {
    let unknown =
        || Err(format!("unknown key {k:?}: a key is one character or ctrl-X (X a letter, @, [, \\, ], ^ or _)"));
    match k.as_bytes() {
        [c] if c.is_ascii() => Ok(*c),
        _ => match k.strip_prefix("ctrl-").map(str::as_bytes) {
            Some([c]) if c.is_ascii_alphabetic() => Ok(c.to_ascii_lowercase() - b'a' + 1),
            Some([c @ (b'@' | b'[' | b'\\' | b']' | b'^' | b'_')]) => Ok(c - b'@'),
            _ => unknown(),
        },
    }
}

/// Finds the detach sequence in a stream of input. Bytes that might begin
/// it are held back until it is complete (they are dropped: the sequence
/// never reaches the container) or broken (they are passed on).
#[derive(Debug, Clone)]
pub struct Matcher {
    keys: Vec<u8>,
    matched: usize,
}

impl Matcher {
    pub fn new(keys: Vec<u8>) -> Matcher {
        Matcher { keys, matched: 0 }
    }

    /// Feed `input`, appending what goes on to the container to `out`;
    /// true once the whole sequence was typed (what follows it is dropped).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        if self.keys.is_empty() {
            out.extend_from_slice(input);
            return false;
        }
        for &b in input {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    self.matched = 0;
                    return true;
                }
                continue;
            }
            // A broken sequence: what was held goes on, and this byte may
            // start the sequence again.
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if b == self.keys[0] {
                self.matched = 1;
                if self.keys.len() == 1 {
                    self.matched = 0;
                    return true;
                }
            } else {
                out.push(b);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_as_docker_and_podman_take_them() {
        assert_eq!(parse(DEFAULT).unwrap(), vec![0x10, 0x11]);
        assert_eq!(parse("ctrl-a,x,ctrl-@,ctrl-_").unwrap(), vec![1, b'x', 0, 31]);
        assert_eq!(parse("ctrl-Z").unwrap(), vec![26]);
        assert_eq!(parse("").unwrap(), Vec::<u8>::new());
        for bad in ["ctrl-", "ctrl-1", "ab", "ctrl-p,", "é"] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("unknown key"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_sequence_is_held_back_and_a_broken_one_passed_on() {
        let mut m = Matcher::new(parse(DEFAULT).unwrap());
        let mut out = Vec::new();
        assert!(!m.feed(b"ab\x10", &mut out));
        assert_eq!(out, b"ab");
        // Broken by another key: the held ctrl-p goes on.
        assert!(!m.feed(b"c", &mut out));
        assert_eq!(out, b"ab\x10c");
        // Across two reads, and a ctrl-p that restarts the sequence.
        out.clear();
        assert!(!m.feed(b"\x10\x10", &mut out));
        assert_eq!(out, b"\x10");
        assert!(m.feed(b"\x11rest", &mut out));
        assert_eq!(out, b"\x10");
        // No keys: everything passes.
        let mut none = Matcher::new(Vec::new());
        out.clear();
        assert!(!none.feed(b"\x10\x11", &mut out));
        assert_eq!(out, b"\x10\x11");
    }
}
