//! Number and time formatting for the HTML report. An undefined value is
//! an em dash, never `NaN`.

use trade_core::Timestamp;

use crate::daily::new_york;

/// Shown for an undefined value.
pub(crate) const DASH: &str = "—";

/// `1234567.891` → `1,234,567.89` (with `decimals` decimals).
pub(crate) fn thousands(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 2);
    // U+2212 minus reads better than a hyphen in tables.
    if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('\u{2212}');
    }
    let len = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Dollars: `$1,234.56`, `−$12.00`.
pub(crate) fn dollars(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => {
            let s = thousands(v, 2);
            match s.strip_prefix('\u{2212}') {
                Some(rest) => format!("\u{2212}${rest}"),
                None => format!("${s}"),
            }
        }
        _ => DASH.to_string(),
    }
}

/// Percent of a fraction: `0.1234` → `12.34%`.
pub(crate) fn pct(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{}%", thousands(v * 100.0, decimals)),
        _ => DASH.to_string(),
    }
}

/// Signed percent: `+12.34%`, `−3.10%`.
pub(crate) fn signed_pct(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() && (v * 100.0 * 10f64.powi(decimals as i32)).round() > 0.0 => {
            format!("+{}", pct(Some(v), decimals))
        }
        other => pct(other, decimals),
    }
}

/// A plain number: `1.23`.
pub(crate) fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => thousands(v, decimals),
        _ => DASH.to_string(),
    }
}

/// A count: `12,345`.
pub(crate) fn count(n: u64) -> String {
    thousands(n as f64, 0)
}

/// CSS class for the sign of a value: `pos`, `neg` or empty.
pub(crate) fn sign_class(v: Option<f64>) -> &'static str {
    match v {
        Some(v) if v > 0.0 => "pos",
        Some(v) if v < 0.0 => "neg",
        _ => "",
    }
}

/// New York local time: `2024-03-08 16:00`.
pub(crate) fn ny_time(ts: Timestamp) -> String {
    ts.to_jiff()
        .to_zoned(new_york())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A duration in hours as `3d 4h`, `45m`.
pub(crate) fn hours(h: Option<f64>) -> String {
    let Some(h) = h.filter(|h| h.is_finite() && *h >= 0.0) else {
        return DASH.to_string();
    };
    let mins = (h * 60.0).round() as u64;
    let (d, hh, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match (d, hh, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(thousands(-999.0, 0), "\u{2212}999");
        assert_eq!(thousands(-0.001, 2), "0.00");
        assert_eq!(dollars(Some(-1234.5)), "\u{2212}$1,234.50");
        assert_eq!(dollars(None), DASH);
        assert_eq!(pct(Some(0.12345), 2), "12.35%");
        assert_eq!(signed_pct(Some(0.05), 1), "+5.0%");
        assert_eq!(signed_pct(Some(0.0), 1), "0.0%");
        assert_eq!(signed_pct(Some(-0.05), 1), "\u{2212}5.0%");
        assert_eq!(pct(Some(f64::NAN), 2), DASH);
        assert_eq!(hours(Some(76.5)), "3d 4h");
        assert_eq!(hours(Some(0.75)), "45m");
        assert_eq!(
            ny_time(Timestamp::from_secs(1_709_931_600)),
            "2024-03-08 16:00"
        );
    }
}
