//! Reading the producer's input: stdin in blocks of what is there to read, cut into lines.
//!
//! A read returns what the input has now — a whole 1 MiB of a file, or one line typed into a
//! pipe — and the complete lines in it are sent on at once: a line written into an open pipe
//! goes out within the linger, never waiting for more input to fill a block.

use bytes::{Bytes, BytesMut};

/// Bytes asked of the input per read; lines are slices of these blocks, not one allocation
/// each.
pub const READ_BLOCK: usize = 1 << 20;

/// Reads lines (without their `\n`) and sends them as they are read, in groups of at most
/// `max_lines`, until end of input or until the receiver is gone.
pub fn read_lines(
    mut input: impl std::io::Read,
    max_lines: usize,
    tx: &tokio::sync::mpsc::Sender<std::io::Result<Vec<Bytes>>>,
) {
    let mut buf = BytesMut::with_capacity(READ_BLOCK);
    loop {
        if buf.capacity() - buf.len() < READ_BLOCK / 4 {
            buf.reserve(READ_BLOCK);
        }
        let start = buf.len();
        let room = buf.capacity() - start;
        buf.resize(start + room, 0);
        let read = loop {
            match input.read(&mut buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        };
        buf.truncate(start + read);
        if read == 0 {
            // End of input: a last line without `\n` is a line too.
            if !buf.is_empty() {
                let _ = tx.blocking_send(Ok(vec![buf.freeze()]));
            }
            return;
        }
        // Only the new bytes can hold the last complete line's end.
        let Some(last) = memchr::memrchr(b'\n', &buf[start..]) else {
            continue;
        };
        let complete = buf.split_to(start + last + 1).freeze();
        let mut lines = Vec::new();
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', &complete) {
            lines.push(complete.slice(from..end));
            from = end + 1;
            if lines.len() >= max_lines && tx.blocking_send(Ok(std::mem::take(&mut lines))).is_err()
            {
                return;
            }
        }
        if !lines.is_empty() && tx.blocking_send(Ok(lines)).is_err() {
            return;
        }
    }
}

/// `key DELIM value` at the first delimiter; without one, the whole line is the value.
pub fn split_key(line: Bytes, delim: &[u8]) -> (Option<Bytes>, Bytes) {
    if delim.is_empty() {
        return (None, line);
    }
    match memchr::memmem::find(&line, delim) {
        Some(i) => (Some(line.slice(..i)), line.slice(i + delim.len()..)),
        None => (None, line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: impl std::io::Read + Send + 'static, max: usize) -> Vec<Vec<Bytes>> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        read_lines(input, max, &tx);
        drop(tx);
        let mut groups = Vec::new();
        while let Ok(group) = rx.try_recv() {
            groups.push(group.unwrap());
        }
        groups
    }

    #[test]
    fn lines_are_read_whole_across_blocks() {
        // Lines longer than a block, a last line without a newline, and an empty line.
        let long = "x".repeat(READ_BLOCK + 10);
        let input = format!("a\n{long}\n\nlast");
        let lines: Vec<Vec<u8>> = read_all(std::io::Cursor::new(input.into_bytes()), 50_000)
            .into_iter()
            .flatten()
            .map(|l| l.to_vec())
            .collect();
        let expected = [
            b"a".to_vec(),
            long.into_bytes(),
            Vec::new(),
            b"last".to_vec(),
        ];
        assert_eq!(lines, expected);
    }

    /// Gives one line a read, as a pipe does when a person types.
    struct Typed(Vec<&'static str>);

    impl std::io::Read for Typed {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let line = self.0.remove(0).as_bytes();
            out[..line.len()].copy_from_slice(line);
            Ok(line.len())
        }
    }

    #[test]
    fn a_line_goes_on_as_soon_as_it_is_read() {
        let groups = read_all(Typed(vec!["one\n", "tw", "o\nthree\n"]), 50_000);
        let groups: Vec<Vec<&[u8]>> = groups
            .iter()
            .map(|g| g.iter().map(|l| &l[..]).collect())
            .collect();
        assert_eq!(
            groups,
            vec![vec![&b"one"[..]], vec![&b"two"[..], &b"three"[..]]],
            "each read's complete lines, without waiting for a block to fill"
        );
    }

    #[test]
    fn groups_are_bounded() {
        let input: String = (0..10).map(|i| format!("{i}\n")).collect();
        let groups = read_all(std::io::Cursor::new(input.into_bytes()), 4);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    }

    #[test]
    fn splits_key_at_the_first_delimiter() {
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(split_key(b("k1::v:1"), b"::"), (Some(b("k1")), b("v:1")));
        assert_eq!(split_key(b("novalue"), b":"), (None, b("novalue")));
        assert_eq!(split_key(b(":v"), b":"), (Some(b("")), b("v")));
    }
}
