//! Prometheus metrics of the HTTP server: requests by method, route and
//! status, a latency histogram by route, and the runs in the directory.
//!
//! A small registry of its own rather than the `metrics` facade: the
//! facade's recorder is process-global, and several servers (tests, or a
//! future paper and live server in one process) must not share counters.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Route label for requests that matched no route: one label, so probing
/// arbitrary paths cannot grow the series without bound.
pub const UNMATCHED_ROUTE: &str = "unmatched";

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// Counters and histograms of one server.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    inner: Mutex<Inner>,
}

/// Method label: the standard methods by name, anything else as `other`
/// (a client can send any token as a method).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl HttpMetrics {
    /// Requests answered with a 5xx status so far.
    pub fn server_errors(&self) -> u64 {
        self.inner
            .lock()
            .map(|i| {
                i.requests
                    .iter()
                    .filter(|((_, _, status), _)| *status >= 500)
                    .map(|(_, n)| *n)
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        // A poisoned lock only means another request panicked mid-update;
        // the counters are still usable.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *inner
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_insert(0) += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        h.count += 1;
        h.sum += secs;
        for (bucket, bound) in h.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if secs <= bound {
                *bucket += 1;
            }
        }
    }

    /// The Prometheus text exposition (format 0.0.4) of the counters, plus
    /// `trade_server_runs{state}` from `runs_ok` / `runs_error`.
    pub fn render(&self, runs_ok: usize, runs_error: usize) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "# HELP trade_server_http_requests_total HTTP requests served, by method, route and status.\n# TYPE trade_server_http_requests_total counter"
        );
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "trade_server_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP trade_server_http_request_duration_seconds Time from request to response headers, by route.\n# TYPE trade_server_http_request_duration_seconds histogram"
        );
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "trade_server_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "trade_server_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\ntrade_server_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\ntrade_server_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP trade_server_runs Run folders in the runs directory, by whether their summary reads.\n# TYPE trade_server_runs gauge\ntrade_server_runs{{state=\"ok\"}} {runs_ok}\ntrade_server_runs{{state=\"error\"}} {runs_error}"
        );
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_add_up() {
        let m = HttpMetrics::default();
        m.observe("GET", "/a", 200, Duration::from_micros(300));
        m.observe("GET", "/a", 200, Duration::from_millis(30));
        m.observe("GET", "/a", 404, Duration::from_secs(10));
        let text = m.render(2, 1);
        assert!(text.contains(
            "trade_server_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "trade_server_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1"
        ));
        assert!(text.contains("_bucket{route=\"/a\",le=\"0.0005\"} 1\n"));
        assert!(text.contains("_bucket{route=\"/a\",le=\"0.05\"} 2\n"));
        assert!(text.contains("_bucket{route=\"/a\",le=\"2.5\"} 2\n"));
        assert!(text.contains("_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("_count{route=\"/a\"} 3\n"));
        assert!(text.contains("trade_server_runs{state=\"ok\"} 2\n"));
        assert!(text.contains("trade_server_runs{state=\"error\"} 1\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
