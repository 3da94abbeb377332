//! Server-rendered HTML pages (minijinja templates embedded in the
//! binary). Pages are self-contained: inline CSS, no scripts, no external
//! fetches.

use axum::http::StatusCode;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};

use crate::compare::Comparison;
use crate::error::ApiError;
use crate::runs::RunEntry;

/// The page templates.
#[derive(Debug)]
pub struct Pages {
    env: Environment<'static>,
}

impl Default for Pages {
    fn default() -> Self {
        Self::new()
    }
}

/// `0.0123` → `1.23 %`; undefined → `–`.
fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{:.2} %", x * 100.0))
}

/// A ratio with two decimals; undefined → `–`.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.2}"))
}

/// `-149393.584` → `-$149,393.58`: sign first, thousands grouped, cents.
fn dollars(x: f64) -> String {
    let cents = format!("{:.2}", x.abs());
    let (int, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if x < 0.0 && cents != "0.00" { "-" } else { "" };
    format!("{sign}${grouped}.{frac}")
}

/// An amount given as an exact decimal string (or a number) as dollars;
/// text that is not a number is shown as it is.
fn money(v: Value) -> String {
    let x = v
        .as_str()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .or_else(|| f64::try_from(v.clone()).ok());
    match x {
        Some(x) if x.is_finite() => dollars(x),
        _ => v.to_string(),
    }
}

/// Value of a compared metric in its format.
fn fmt(v: Option<f64>, format: String) -> String {
    match format.as_str() {
        "percent" => pct(v),
        "count" => v.map_or_else(|| "–".to_owned(), |x| format!("{x:.0}")),
        "dollars" => v.map_or_else(|| "–".to_owned(), dollars),
        _ => num(v),
    }
}

impl Pages {
    /// Loads the embedded templates. A template that does not compile is
    /// logged and its page answers with the error; the crate's tests fail
    /// on it, so it cannot ship.
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, src) in [
            ("base.html", include_str!("../templates/base.html")),
            ("index.html", include_str!("../templates/index.html")),
            ("compare.html", include_str!("../templates/compare.html")),
            ("live.html", include_str!("../templates/live.html")),
            ("login.html", include_str!("../templates/login.html")),
            ("system.html", include_str!("../templates/system.html")),
            ("orders.html", include_str!("../templates/orders.html")),
            (
                "portfolio.html",
                include_str!("../templates/portfolio.html"),
            ),
            (
                "decisions.html",
                include_str!("../templates/decisions.html"),
            ),
        ] {
            if let Err(e) = env.add_template(name, src) {
                // Caught by the tests; at run time the page then answers
                // with the template error instead of the server refusing
                // to start.
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env.add_filter("pct", pct);
        env.add_filter("num", num);
        env.add_filter("fmt", fmt);
        env.add_filter("money", money);
        Self { env }
    }

    /// The live session page (its data arrives by the event stream).
    pub fn live(&self) -> Result<String, ApiError> {
        self.render("live.html", context! {})
    }

    /// The system health page (its data comes from `/api/system`).
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn system(&self) -> Result<String, ApiError> {
        self.render("system.html", context! {})
    }

    /// Working orders, fills and refusals (data from `/api/journal/*`).
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn orders(&self) -> Result<String, ApiError> {
        self.render("orders.html", context! {})
    }

    /// The decisions log (data from `/api/journal/audit`).
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn decisions(&self) -> Result<String, ApiError> {
        self.render("decisions.html", context! {})
    }

    /// Exposure, limits in use, equity and drawdown (data from the stream).
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn portfolio(&self) -> Result<String, ApiError> {
        self.render("portfolio.html", context! {})
    }

    /// The login form.
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn login(&self) -> Result<String, ApiError> {
        self.render("login.html", context! {})
    }

    fn render(&self, name: &str, ctx: Value) -> Result<String, ApiError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "template",
                    format!("rendering {name}: {e}"),
                )
            })
    }

    /// The backtests list.
    ///
    /// # Errors
    /// 500 `template` if the template fails to render (a bug).
    pub fn index(&self, runs: &[RunEntry]) -> Result<String, ApiError> {
        self.render("index.html", context! { runs => Value::from(Serde(runs)) })
    }

    /// Two runs side by side.
    ///
    /// # Errors
    /// As [`Pages::index`].
    pub fn compare(&self, cmp: &Comparison) -> Result<String, ApiError> {
        self.render("compare.html", context! { cmp => Value::from(Serde(cmp)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile() {
        let p = Pages::new();
        for name in [
            "base.html",
            "index.html",
            "compare.html",
            "live.html",
            "login.html",
            "system.html",
            "orders.html",
            "decisions.html",
            "portfolio.html",
        ] {
            assert!(p.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(pct(Some(0.012345)), "1.23 %");
        assert_eq!(pct(None), "–");
        assert_eq!(fmt(Some(74.0), "count".into()), "74");
        assert_eq!(fmt(Some(-3.456), "dollars".into()), "-$3.46");
        assert_eq!(dollars(-149_393.584), "-$149,393.58");
        assert_eq!(dollars(1_000_000.0), "$1,000,000.00");
        assert_eq!(dollars(999.999), "$1,000.00");
        assert_eq!(dollars(-0.001), "$0.00");
        assert_eq!(money(Value::from("561724.03299267")), "$561,724.03");
        assert_eq!(money(Value::from("n/a")), "n/a");
    }
}
