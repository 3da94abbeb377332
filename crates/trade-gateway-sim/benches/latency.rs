//! Loopback latency through the simulator, measured with a raw protocol
//! client (no client library overhead):
//! - reqCurrentTime → currentTime round trip;
//! - placeOrder (MKT, 1 share) → execDetails (order-to-fill).
//!
//! Run: `cargo bench -p trade-gateway-sim --bench latency`

use std::time::{Duration, Instant};

use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trade_gateway_sim::codec::proto_frame;
use trade_gateway_sim::messages::{self as msg, inc, out};
use trade_gateway_sim::{ClockMode, GatewaySim, PacingConfig, SimConfig};

async fn read_frame(s: &mut TcpStream) -> (i32, Vec<u8>) {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await.expect("len");
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).await.expect("body");
    let id = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    (id - 200, body[4..].to_vec())
}

async fn until(s: &mut TcpStream, want: i32) {
    loop {
        if read_frame(s).await.0 == want {
            return;
        }
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn report(name: &str, mut v: Vec<Duration>) {
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    println!(
        "{name}: n={} p50={:?} p99={:?} mean={mean:?} max={:?}",
        v.len(),
        pct(&mut v, 0.50),
        pct(&mut v, 0.99),
        v.last().copied().unwrap_or_default()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let cfg = SimConfig {
            clock: ClockMode::Manual,
            pacing: PacingConfig {
                max_per_sec: 0,
                disconnect_after: 0,
            },
            ..SimConfig::default()
        };
        let sim = GatewaySim::bind("127.0.0.1:0")
            .await
            .expect("bind")
            .start(cfg)
            .expect("start");
        let mut s = TcpStream::connect(("127.0.0.1", sim.port()))
            .await
            .expect("connect");
        s.set_nodelay(true).expect("nodelay");
        let mut hello = b"API\0".to_vec();
        hello.extend_from_slice(&9u32.to_be_bytes());
        hello.extend_from_slice(b"v213..226");
        s.write_all(&hello).await.expect("hello");
        let mut len = [0u8; 4];
        s.read_exact(&mut len).await.expect("reply len");
        let mut reply = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut reply).await.expect("reply");
        let start = msg::StartApiRequest {
            client_id: Some(1),
            optional_capabilities: None,
        };
        s.write_all(&proto_frame(out::START_API, &start.encode_to_vec()))
            .await
            .expect("startApi");
        until(&mut s, inc::NEXT_VALID_ID).await;

        let time_req = proto_frame(out::REQ_CURRENT_TIME, &[]);
        for _ in 0..200 {
            s.write_all(&time_req).await.expect("warm-up");
            until(&mut s, inc::CURRENT_TIME).await;
        }
        let mut rtt = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let t0 = Instant::now();
            s.write_all(&time_req).await.expect("reqCurrentTime");
            until(&mut s, inc::CURRENT_TIME).await;
            rtt.push(t0.elapsed());
        }
        report("reqCurrentTime round trip", rtt);

        let mut fills = Vec::with_capacity(1000);
        for k in 0..1000 {
            let order = msg::PlaceOrderRequest {
                order_id: Some(k + 1),
                contract: Some(msg::Contract {
                    symbol: Some("SPY".into()),
                    sec_type: Some("STK".into()),
                    exchange: Some("SMART".into()),
                    currency: Some("USD".into()),
                    ..Default::default()
                }),
                order: Some(msg::Order {
                    action: Some(if k % 2 == 0 { "BUY" } else { "SELL" }.into()),
                    total_quantity: Some("1".into()),
                    order_type: Some("MKT".into()),
                    transmit: Some(true),
                    ..Default::default()
                }),
            };
            let frame = proto_frame(out::PLACE_ORDER, &order.encode_to_vec());
            let t0 = Instant::now();
            s.write_all(&frame).await.expect("placeOrder");
            until(&mut s, inc::EXECUTION_DATA).await;
            fills.push(t0.elapsed());
            until(&mut s, inc::COMMISSION_AND_FEES_REPORT).await;
        }
        report("placeOrder(MKT) -> execDetails", fills);
        sim.shutdown().await;
    });
}
