//! The shipped VIX history (`data/vix/VIX_History_cboe.csv`, Cboe's own
//! file). Expected values from Python's csv module:
//! python3 -c "import csv;r=list(csv.DictReader(open('VIX_History_cboe.csv')));
//!   print(len(r),r[0]['DATE'],r[-1]['DATE'],max(float(x['CLOSE']) for x in r),
//!   min(float(x['CLOSE']) for x in r))"  -> 9221 01/02/1990 07/03/2026 82.69 9.14

use std::path::Path;

use jiff::civil::date;
use trade_options::synth::VixSeries;

#[test]
fn cboe_vix_history_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/vix/VIX_History_cboe.csv");
    let vix = VixSeries::load(&path).unwrap();
    assert_eq!(vix.len(), 9221);
    assert_eq!(vix.range(), Some((date(1990, 1, 2), date(2026, 7, 3))));
    assert_eq!(vix.close(date(2025, 8, 26)), Some(14.62));
    assert_eq!(vix.close(date(2020, 3, 16)), Some(82.69)); // the record close
    // The file's quirk: a flat row on 2004-06-11, when NYSE was closed for
    // President Reagan's funeral. It is data, kept as is.
    assert_eq!(vix.close(date(2004, 6, 11)), Some(15.04));
    // Weekends fall back to the Friday.
    assert_eq!(vix.close(date(2025, 8, 23)), None);
    assert_eq!(
        vix.close_on_or_before(date(2025, 8, 23)),
        Some((date(2025, 8, 22), 14.22))
    );
    let err = VixSeries::load(&path.with_file_name("nope.csv")).unwrap_err();
    assert!(err.to_string().contains("nope.csv"), "{err}");
}
