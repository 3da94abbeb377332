//! Byte-level framing of the TWS API: the raw `API\0` hello, the length
//! prefixed version range, the text handshake reply, and the
//! `[u32 len][u32 msgId][payload]` frames that follow (protocols.md §1.2-1.3).

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::messages::PROTOBUF_MSG_ID;

/// Largest payload TWS accepts or sends (the official client's `MAX_MSG_LEN`).
pub const MAX_MSG_LEN: u32 = 0xFF_FFFF;

/// What can go wrong while reading the byte stream from a client.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The socket failed.
    #[error("socket read failed: {0}")]
    Io(#[from] std::io::Error),
    /// A length prefix of zero or above [`MAX_MSG_LEN`].
    #[error("frame length {len} is outside 1..={MAX_MSG_LEN}")]
    BadLength {
        /// The length prefix as read.
        len: u32,
    },
    /// The peer closed the socket inside a frame.
    #[error("connection closed inside a frame after {got} of {want} bytes")]
    Truncated {
        /// Bytes received.
        got: usize,
        /// Bytes announced.
        want: usize,
    },
    /// The first four bytes were not `API\0`.
    #[error("handshake must start with \"API\\0\", got {0:02x?}")]
    BadPrefix([u8; 4]),
    /// The version string was not `v<min>..<max>[ options]`.
    #[error("handshake version string {0:?} is not \"v<min>..<max>\"")]
    BadVersionRange(String),
    /// A frame body shorter than the 4-byte message id.
    #[error("frame of {0} bytes cannot hold the 4-byte message id")]
    NoMessageId(usize),
}

/// The client's opening: its supported version range and connect options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// Lowest server version the client accepts.
    pub min_version: i32,
    /// Highest server version the client speaks.
    pub max_version: i32,
    /// Text after the range, e.g. `+PACEAPI` (empty when none).
    pub options: String,
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` when the peer closed before
/// the first byte, [`FrameError::Truncated`] when it closed part way.
async fn read_full<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> Result<bool, FrameError> {
    let mut got = 0;
    while got < buf.len() {
        let n = r.read(&mut buf[got..]).await?;
        if n == 0 {
            if got == 0 {
                return Ok(false);
            }
            return Err(FrameError::Truncated {
                got,
                want: buf.len(),
            });
        }
        got += n;
    }
    Ok(true)
}

/// Reads one length-prefixed frame. `Ok(None)` is a clean close between
/// frames.
pub async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    if !read_full(r, &mut len).await? {
        return Ok(None);
    }
    let len = u32::from_be_bytes(len);
    if len == 0 || len > MAX_MSG_LEN {
        return Err(FrameError::BadLength { len });
    }
    let mut body = vec![0u8; len as usize];
    if !read_full(r, &mut body).await? {
        return Err(FrameError::Truncated {
            got: 0,
            want: len as usize,
        });
    }
    Ok(Some(body))
}

/// Reads `API\0` and the version-range frame.
pub async fn read_hello<R: AsyncRead + Unpin>(
    r: &mut R,
) -> Result<Option<ClientHello>, FrameError> {
    let mut prefix = [0u8; 4];
    if !read_full(r, &mut prefix).await? {
        return Ok(None);
    }
    if &prefix != b"API\0" {
        return Err(FrameError::BadPrefix(prefix));
    }
    let Some(body) = read_frame(r).await? else {
        return Err(FrameError::Truncated { got: 0, want: 4 });
    };
    parse_version_range(&String::from_utf8_lossy(&body)).map(Some)
}

/// Parses `v<min>..<max>[ <options>]`; a bare `v<n>` means `n..n`.
pub fn parse_version_range(text: &str) -> Result<ClientHello, FrameError> {
    let bad = || FrameError::BadVersionRange(text.to_owned());
    let text_trimmed = text.trim_end_matches('\0');
    let (range, options) = match text_trimmed.split_once(' ') {
        Some((r, o)) => (r, o.trim().to_owned()),
        None => (text_trimmed, String::new()),
    };
    let range = range.strip_prefix('v').ok_or_else(bad)?;
    let (min, max) = match range.split_once("..") {
        Some((a, b)) => (a, b),
        None => (range, range),
    };
    let min_version: i32 = min.parse().map_err(|_| bad())?;
    let max_version: i32 = max.parse().map_err(|_| bad())?;
    if min_version > max_version || min_version < 0 {
        return Err(bad());
    }
    Ok(ClientHello {
        min_version,
        max_version,
        options,
    })
}

/// The handshake reply: one frame of NUL-terminated text, no message id.
pub fn handshake_reply(server_version: i32, connection_time: &str) -> Vec<u8> {
    let text = format!("{server_version}\0{connection_time}\0");
    let mut out = Vec::with_capacity(4 + text.len());
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out
}

/// A protobuf frame: `[len][msgId + 200][payload]`.
pub fn proto_frame(msg_id: i32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&((payload.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(&(msg_id + PROTOBUF_MSG_ID).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// How a frame's payload is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Protobuf (wire id above 200).
    Proto,
    /// NUL-separated text fields (wire id 200 or below).
    Text,
}

/// Splits a frame into (message id without the protobuf offset, dialect,
/// payload).
pub fn split_message(frame: &[u8]) -> Result<(i32, Dialect, &[u8]), FrameError> {
    if frame.len() < 4 {
        return Err(FrameError::NoMessageId(frame.len()));
    }
    let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
    let payload = &frame[4..];
    if id > PROTOBUF_MSG_ID {
        Ok((id - PROTOBUF_MSG_ID, Dialect::Proto, payload))
    } else {
        Ok((id, Dialect::Text, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_range_forms() {
        let h = parse_version_range("v100..226").unwrap();
        assert_eq!(
            (h.min_version, h.max_version, h.options.as_str()),
            (100, 226, "")
        );
        let h = parse_version_range("v213..226 +PACEAPI").unwrap();
        assert_eq!(
            (h.min_version, h.max_version, h.options.as_str()),
            (213, 226, "+PACEAPI")
        );
        let h = parse_version_range("v176").unwrap();
        assert_eq!((h.min_version, h.max_version), (176, 176));
        assert!(parse_version_range("100..226").is_err());
        assert!(parse_version_range("v226..100").is_err());
        assert!(parse_version_range("vabc..1").is_err());
    }

    /// Byte sequence from protocols.md §1.6 (produced with the official
    /// client's `*_pb2` classes): NextValidId(orderId=1).
    #[test]
    fn proto_frame_matches_official_client_bytes() {
        assert_eq!(
            proto_frame(9, &[0x08, 0x01]),
            vec![0, 0, 0, 6, 0, 0, 0, 0xd1, 0x08, 0x01]
        );
    }

    #[tokio::test]
    async fn frame_reader_rejects_bad_lengths_and_truncation() {
        let zero: &[u8] = &[0, 0, 0, 0];
        assert!(matches!(
            read_frame(&mut &zero[..]).await,
            Err(FrameError::BadLength { len: 0 })
        ));
        let huge: &[u8] = &[0x01, 0, 0, 0];
        assert!(matches!(
            read_frame(&mut &huge[..]).await,
            Err(FrameError::BadLength { .. })
        ));
        let short: &[u8] = &[0, 0, 0, 8, 1, 2];
        assert!(matches!(
            read_frame(&mut &short[..]).await,
            Err(FrameError::Truncated { got: 2, want: 8 })
        ));
        let empty: &[u8] = &[];
        assert!(matches!(read_frame(&mut &empty[..]).await, Ok(None)));
    }
}
