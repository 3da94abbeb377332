//! `trade gateway-sim` as a process: it prints where it listens, answers
//! the TWS handshake there, and stops cleanly on SIGTERM.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serves_the_tws_handshake_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trade"))
        .args(["gateway-sim", "--port", "0", "--speed", "100", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start trade gateway-sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let addr = line
        .trim()
        .strip_prefix("gateway-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    // The TWS API hello: "API\0", then a length-prefixed version range.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let range = b"v213..226";
    let mut hello = b"API\0".to_vec();
    hello.extend_from_slice(&(range.len() as u32).to_be_bytes());
    hello.extend_from_slice(range);
    s.write_all(&hello).expect("send hello");
    // The answer: a length-prefixed frame "<server version>\0<time>\0".
    let mut len = [0u8; 4];
    s.read_exact(&mut len).expect("frame length");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).expect("frame body");
    let fields: Vec<&[u8]> = body.split(|b| *b == 0).collect();
    let version: i32 = std::str::from_utf8(fields[0])
        .unwrap()
        .parse()
        .expect("version");
    assert!((213..=226).contains(&version), "server version {version}");
    drop(s);

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}
