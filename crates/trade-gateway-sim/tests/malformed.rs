//! Malformed input from a raw TCP client: the gateway answers like TWS
//! (error 320 for unreadable requests, a closed socket for broken framing)
//! and keeps serving everyone else; it never panics.

mod common;

use std::time::Duration;

use common::{RawClient, manual_config, start, within};
use prost::Message;
use tokio::io::AsyncWriteExt;
use trade_gateway_sim::SimHandle;
use trade_gateway_sim::market::SplitMix64;
use trade_gateway_sim::messages::{self as msg, inc, out};

async fn connected(sim: &SimHandle) -> RawClient {
    let mut c = within(5, "connect", RawClient::connect(sim.port(), 1)).await;
    c.recv_until(inc::NEXT_VALID_ID).await;
    c
}

/// A fresh client still gets the current time: the server is alive.
async fn assert_serving(sim: &SimHandle, client_id: i32) {
    let mut c = within(5, "connect", RawClient::connect(sim.port(), client_id)).await;
    c.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    let t = msg::CurrentTime::decode(&*within(5, "time", c.recv_until(inc::CURRENT_TIME)).await)
        .unwrap();
    assert_eq!(t.current_time, Some(sim.now()));
}

async fn next_error(c: &mut RawClient) -> (i32, i32, String) {
    loop {
        let e = msg::ErrorMessage::decode(&*c.recv_until(inc::ERR_MSG).await).expect("error frame");
        let code = e.error_code.unwrap_or(0);
        if ![2104, 2106, 2158].contains(&code) {
            return (e.id.unwrap_or(0), code, e.error_msg.unwrap_or_default());
        }
    }
}

#[tokio::test]
async fn bad_length_prefixes_close_the_socket() {
    let sim = start(manual_config()).await;
    for len in [0u32, 0x0100_0000, u32::MAX] {
        let mut c = connected(&sim).await;
        c.send_raw(&len.to_be_bytes()).await;
        assert!(
            within(5, "close on bad length", c.recv_until_eof()).await,
            "len {len}"
        );
    }
    // A frame too short to hold the message id.
    let mut c = connected(&sim).await;
    c.send_raw(&[0, 0, 0, 2, 0xab, 0xcd]).await;
    assert!(within(5, "close on short frame", c.recv_until_eof()).await);
    assert_serving(&sim, 2).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bad_hello_is_refused() {
    let sim = start(manual_config()).await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    assert!(
        within(5, "closed", common::read_frame(&mut s))
            .await
            .is_none()
    );
    // A version range below 213 (text dialect only) is not served.
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .unwrap();
    let mut hello = b"API\0".to_vec();
    hello.extend_from_slice(&9u32.to_be_bytes());
    hello.extend_from_slice(b"v100..200");
    s.write_all(&hello).await.unwrap();
    assert!(
        within(5, "closed", common::read_frame(&mut s))
            .await
            .is_none()
    );
    assert_serving(&sim, 3).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn truncated_protobuf_unknown_ids_and_text_frames_get_error_320() {
    let sim = start(manual_config()).await;
    let mut c = connected(&sim).await;
    // placeOrder whose contract field announces 5 bytes but carries 1.
    c.send_raw(&trade_gateway_sim::codec::proto_frame(
        out::PLACE_ORDER,
        &[0x12, 0x05, 0x01],
    ))
    .await;
    let (_, code, text) = within(5, "320", next_error(&mut c)).await;
    assert_eq!(code, 320, "{text}");
    assert!(text.contains("placeOrder"), "{text}");
    // An id no TWS version defines.
    c.send_raw(&trade_gateway_sim::codec::proto_frame(999, &[]))
        .await;
    let (_, code, text) = within(5, "320", next_error(&mut c)).await;
    assert_eq!(code, 320, "{text}");
    // A text-framed request (id <= 200) at a protobuf server version.
    let mut text_frame = Vec::new();
    let body = b"\0\0\0\x311\0";
    text_frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    text_frame.extend_from_slice(body);
    c.send_raw(&text_frame).await;
    let (_, code, _) = within(5, "320", next_error(&mut c)).await;
    assert_eq!(code, 320);
    // The same connection still works.
    c.send(out::REQ_CURRENT_TIME, &msg::Empty {}).await;
    within(5, "time", c.recv_until(inc::CURRENT_TIME)).await;
    assert!(sim.snapshot().orders.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_connection_closed_mid_frame_is_dropped_quietly() {
    let sim = start(manual_config()).await;
    let mut c = connected(&sim).await;
    c.send_raw(&[0, 0, 0, 40, 0, 0, 0, 249]).await;
    c.stream.shutdown().await.unwrap();
    drop(c);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_serving(&sim, 4).await;
    sim.shutdown().await;
}

/// 300 frames of random ids and random bytes: every one is answered or
/// ends the connection, and the gateway keeps serving.
#[tokio::test]
async fn random_frames_never_take_the_gateway_down() {
    let sim = start(manual_config()).await;
    sim.set_historical_pacing(false);
    let mut rng = SplitMix64::new(2026);
    let mut c = connected(&sim).await;
    for _ in 0..300 {
        let id = 201 + (rng.next_u64() % 120) as i32;
        // Skip startApi and the few requests whose random-but-valid forms
        // would legitimately open long-lived streams.
        if id - 200 == out::START_API {
            continue;
        }
        let len = (rng.next_u64() % 64) as usize;
        let payload: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let frame = trade_gateway_sim::codec::proto_frame(id - 200, &payload);
        if c.stream.write_all(&frame).await.is_err() {
            c = connected(&sim).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_serving(&sim, 5).await;
    sim.shutdown().await;
}
