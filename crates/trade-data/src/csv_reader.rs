//! CSV text to [`RawTable`]: header handling, column resolution, per-field
//! parsing with located problems, symbol filtering and the optional
//! dividend/split/adjusted-close columns.
//!
//! Two front ends feed the same row parser. The fast one streams the file
//! in 1 MiB chunks (hashing them on the way when asked, on a helper thread
//! so SHA-256 overlaps with parsing): no whole-file buffer, no allocation
//! per row. Lines of plain files are parsed in place
//! field by field with no splitting step (about half the cost of split then
//! parse); any other line is split with `memchr` and goes through the
//! checked path that reports problems. The stream gives up as soon as it
//! sees a `"`, because quoted fields can hide delimiters and newlines; the
//! file is then read whole and tokenised by the `csv` crate. Bar files are
//! practically never quoted.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use sha2::{Digest, Sha256};
use trade_core::fixed::SCALE;

use crate::columns::{self, Resolved};
use crate::error::{Location, ProblemKind};
use crate::spec::BarFileSpec;
use crate::table::{
    ColumnAction, POW10, RawTable, Row, Sink, Stop, fast_decimal, fast_volume, mul_div,
    parse_decimal, parse_volume,
};
use crate::timestamps::{DAY, TsParser, date_of_day};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const CHUNK: usize = 1 << 20;

/// Fields of one record, whichever front end split it.
trait Fields {
    fn count(&self) -> usize;
    fn get(&self, i: usize) -> &[u8];
}

impl Fields for csv::ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn get(&self, i: usize) -> &[u8] {
        csv::ByteRecord::get(self, i).unwrap_or_default()
    }
}

/// A line and the start offsets of its fields (plus `len + 1` at the end).
struct Split<'a> {
    line: &'a [u8],
    starts: &'a [usize],
}

impl Fields for Split<'_> {
    fn count(&self) -> usize {
        self.starts.len() - 1
    }
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.line[a..b - 1],
            _ => &[],
        }
    }
}

/// What reading a CSV file produced.
#[derive(Debug)]
pub(crate) struct CsvRead {
    pub table: RawTable,
    /// Hex sha256 of the bytes, when asked for.
    pub sha256: Option<String>,
}

fn io_stop(sink: &mut Sink, e: &std::io::Error) -> Stop {
    sink.fatal(Location::File, None, ProblemKind::Unreadable(e.to_string()))
}

fn delimiter(spec: &BarFileSpec, sink: &mut Sink) -> Result<u8, Stop> {
    u8::try_from(u32::from(spec.delimiter))
        .ok()
        .filter(|d| !matches!(*d, b'"' | b'\n' | b'\r' | 0))
        .ok_or_else(|| {
            sink.fatal(
                Location::File,
                None,
                ProblemKind::BadSpec(format!(
                    "delimiter {:?} must be one ASCII character",
                    spec.delimiter
                )),
            )
        })
}

/// Chunks of a streamed file on their way to SHA-256.
///
/// Hashing a 50 MB file takes about 30 ms even with the CPU's SHA
/// instructions, a fifth of a cold load; a helper thread hashes the chunks
/// the parser has read while it parses the next ones. Chunks are copied
/// (a memcpy is ~20 times faster than the hash) into buffers the helper
/// hands back for reuse. Without a helper thread (it could not be
/// started) the chunks are hashed in line, as before.
enum HashFeed {
    Inline(Box<Sha256>),
    Helper {
        chunks: SyncSender<Vec<u8>>,
        spare: Receiver<Vec<u8>>,
    },
}

impl HashFeed {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            HashFeed::Inline(h) => h.update(bytes),
            HashFeed::Helper { chunks, spare } => {
                let mut v = spare.try_recv().unwrap_or_default();
                v.clear();
                v.extend_from_slice(bytes);
                // The helper only stops early by panicking, which the
                // join in `read_file` re-raises: a lost chunk is never
                // mistaken for a digest.
                let _ = chunks.send(v);
            }
        }
    }
}

/// Streams `file` through [`stream`] while a scoped helper thread hashes
/// it; the digest is `None` when `stream` gave up (quoted file).
fn stream_hashed(
    file: &mut File,
    size: u64,
    delim: u8,
    spec: &BarFileSpec,
    sink: &mut Sink,
) -> Result<Option<(RawTable, String)>, Stop> {
    let (chunks, inbox) = sync_channel::<Vec<u8>>(4);
    let (give_back, spare) = channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("csv-sha256".into())
            .spawn_scoped(scope, move || {
                let mut h = Sha256::new();
                for chunk in inbox {
                    h.update(&chunk);
                    // The reader may be gone already; then the buffer is simply dropped.
                    let _ = give_back.send(chunk);
                }
                h.finalize()
            });
        let Ok(helper) = helper else {
            let mut feed = HashFeed::Inline(Box::default());
            let table = stream(file, size, delim, spec, sink, Some(&mut feed))?;
            return Ok(table.zip(match feed {
                HashFeed::Inline(h) => Some(crate::cache::hex(&h.finalize())),
                HashFeed::Helper { .. } => None,
            }));
        };
        let mut feed = HashFeed::Helper { chunks, spare };
        let table = stream(file, size, delim, spec, sink, Some(&mut feed));
        // Closing the channel ends the helper's loop.
        drop(feed);
        let digest = helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok(table?.map(|t| (t, crate::cache::hex(&digest))))
    })
}

/// Reads a CSV file, hashing it on the way if `hash`.
pub(crate) fn read_file(
    path: &Path,
    spec: &BarFileSpec,
    sink: &mut Sink,
    hash: bool,
) -> Result<CsvRead, Stop> {
    let delim = delimiter(spec, sink)?;
    let mark = sink.problems.len();
    let mut file = File::open(path).map_err(|e| io_stop(sink, &e))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let streamed = if hash {
        stream_hashed(&mut file, size, delim, spec, sink)?.map(|(table, sha)| (table, Some(sha)))
    } else {
        stream(&mut file, size, delim, spec, sink, None)?.map(|table| (table, None))
    };
    match streamed {
        Some((table, sha256)) => Ok(CsvRead { table, sha256 }),
        None => {
            sink.problems.truncate(mark);
            let bytes = std::fs::read(path).map_err(|e| io_stop(sink, &e))?;
            let sha256 = hash.then(|| crate::cache::sha256_hex(&bytes));
            Ok(CsvRead {
                table: read_bytes(&bytes, spec, sink)?,
                sha256,
            })
        }
    }
}

/// The fast front end; `Ok(None)` means "quoted: use the csv crate".
fn stream(
    file: &mut File,
    size: u64,
    delim: u8,
    spec: &BarFileSpec,
    sink: &mut Sink,
    mut hasher: Option<&mut HashFeed>,
) -> Result<Option<RawTable>, Stop> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut line_no: u64 = 0;
    let mut at_start = true;
    let mut starts: Vec<usize> = Vec::with_capacity(32);
    let mut reader: Option<RowReader<'_>> = None;
    // Rows are ~50 bytes; reserving up front avoids regrowing big vectors.
    let capacity = usize::try_from(size / 40).unwrap_or(0).min(1 << 26);
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // a line longer than the buffer
        }
        let n = match file.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_stop(sink, &e)),
        };
        let fresh = &buf[filled..filled + n];
        if memchr::memchr(b'"', fresh).is_some() {
            return Ok(None);
        }
        if let Some(h) = hasher.as_deref_mut() {
            h.update(fresh);
        }
        let eof = n == 0;
        filled += n;
        let mut pos = 0;
        if at_start && (filled >= BOM.len() || eof) {
            at_start = false;
            if buf[..filled].starts_with(BOM) {
                pos = BOM.len();
            }
        }
        let end = if eof {
            filled
        } else {
            memchr::memrchr(b'\n', &buf[pos..filled]).map_or(pos, |i| pos + i + 1)
        };
        let region = &buf[..end];
        while pos < end {
            line_no += 1;
            if let Some(r) = reader.as_mut()
                && let Some(next) = r.fused_line(region, pos, delim, line_no)
            {
                pos = next;
                continue;
            }
            let line_end = memchr::memchr(b'\n', &region[pos..]).map_or(end, |i| pos + i);
            let line = &region[pos..line_end];
            starts.clear();
            starts.push(0);
            starts.extend(memchr::memchr_iter(delim, line).map(|i| i + 1));
            on_line(
                line,
                &mut starts,
                line_no,
                &mut reader,
                spec,
                sink,
                capacity,
            )?;
            pos = line_end + 1;
        }
        buf.copy_within(pos.min(filled)..filled, 0);
        filled -= pos.min(filled);
        if eof {
            break;
        }
    }
    match reader {
        None => Err(sink.fatal(Location::File, None, ProblemKind::EmptyFile)),
        Some(r) => r.finish(sink).map(Some),
    }
}

/// One complete line (without its newline) and its field starts.
fn on_line<'a>(
    mut line: &[u8],
    starts: &mut Vec<usize>,
    line_no: u64,
    reader: &mut Option<RowReader<'a>>,
    spec: &'a BarFileSpec,
    sink: &mut Sink,
    capacity: usize,
) -> Result<(), Stop> {
    if let Some(stripped) = line.strip_suffix(b"\r") {
        line = stripped;
    }
    if starts.len() == 1 && line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    starts.push(line.len() + 1);
    let fields = Split { line, starts };
    match reader.as_mut() {
        Some(r) => r.row(&fields, line_no, sink),
        None => {
            let mut r = RowReader::new(&fields, spec, sink, capacity)?;
            if !spec.header {
                r.row(&fields, line_no, sink)?;
            }
            *reader = Some(r);
            Ok(())
        }
    }
}

fn csv_error(e: &csv::Error) -> (u64, String) {
    let line = e.position().map_or(0, csv::Position::line);
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8: {err}"),
        other => format!("{other:?}"),
    };
    (line, msg)
}

/// The `csv` crate front end, for bytes already in memory.
pub(crate) fn read_bytes(
    bytes: &[u8],
    spec: &BarFileSpec,
    sink: &mut Sink,
) -> Result<RawTable, Stop> {
    let delim = delimiter(spec, sink)?;
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(sink.fatal(Location::File, None, ProblemKind::EmptyFile));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let first = match rdr.read_byte_record(&mut rec) {
        Ok(true) => rec.clone(),
        Ok(false) => return Err(sink.fatal(Location::File, None, ProblemKind::EmptyFile)),
        Err(e) => {
            let (line, msg) = csv_error(&e);
            return Err(sink.fatal(
                Location::Line(line.max(1)),
                None,
                ProblemKind::Malformed(msg),
            ));
        }
    };
    let first_line = first.position().map_or(1, csv::Position::line);
    let mut reader = RowReader::new(&first, spec, sink, bytes.len() / 40)?;
    if !spec.header {
        reader.row(&first, first_line, sink)?;
    }
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                let line = rec.position().map_or(0, csv::Position::line);
                if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
                    continue;
                }
                reader.row(&rec, line, sink)?;
            }
            Ok(false) => break,
            Err(e) => {
                let (line, msg) = csv_error(&e);
                sink.error(Location::Line(line), None, ProblemKind::Malformed(msg))?;
            }
        }
    }
    reader.finish(sink)
}

/// What the fused parser does with each column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Timestamp,
    /// Open, high, low, close as 0..=3.
    Price(u8),
    Volume,
    Skip,
}

/// End of a field that starts at `p` and ends at `term`; `None` at a
/// newline that comes first (a short line) or at the end of the buffer.
#[inline]
fn field_end(region: &[u8], p: usize, term: u8) -> Option<usize> {
    let rest = region.get(p..)?;
    let q = rest.iter().position(|&b| b == term || b == b'\n')?;
    (rest[q] == term).then_some(p + q)
}

/// A plain decimal at `p`, accepting exactly what [`fast_decimal`]
/// accepts, and where it stops; one pass over the digits.
#[inline]
fn decimal_at(r: &[u8], mut p: usize) -> Option<(i64, usize)> {
    let start = p;
    let mut int: i64 = 0;
    while let Some(d) = r.get(p).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        int = int * 10 + i64::from(d);
        p += 1;
        if p - start > 10 {
            return None;
        }
    }
    if p == start {
        return None;
    }
    if r.get(p) != Some(&b'.') {
        return Some((int * SCALE, p));
    }
    p += 1;
    let frac_start = p;
    let mut frac: i64 = 0;
    while let Some(d) = r.get(p).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        frac = frac * 10 + i64::from(d);
        p += 1;
        if p - frac_start > 8 {
            return None;
        }
    }
    Some((int * SCALE + frac * POW10[8 - (p - frac_start)], p))
}

/// A plain whole volume at `p` (`123` or `123.0`) and where it stops.
#[inline]
fn volume_at(r: &[u8], mut p: usize) -> Option<(u64, usize)> {
    let start = p;
    let mut v: u64 = 0;
    while let Some(d) = r.get(p).map(|b| b.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        v = v * 10 + u64::from(d);
        p += 1;
        if p - start > 18 {
            return None;
        }
    }
    if p == start {
        return None;
    }
    if r.get(p) == Some(&b'.') {
        p += 1;
        while r.get(p) == Some(&b'0') {
            p += 1;
        }
    }
    Some((v, p))
}

/// End of a timestamp field: the usual ISO lengths are tried first.
#[inline]
fn timestamp_end(region: &[u8], p: usize, term: u8) -> Option<usize> {
    for len in [19, 25, 10, 20] {
        if region.get(p + len) == Some(&term) {
            return Some(p + len);
        }
    }
    field_end(region, p, term)
}

struct RowReader<'a> {
    /// Column roles when the fused parser applies (see [`RowReader::fused_line`]).
    fused: Option<Vec<Role>>,
    /// Whether [`RowReader::row_plain`] applies to this file's columns.
    plain: bool,
    spec: &'a BarFileSpec,
    cols: Resolved,
    n_fields: usize,
    table: RawTable,
    ts: TsParser,
    symbols: Vec<String>,
    /// (line, date_only) of the first row, to report rows of another shape.
    first_shape: Option<(u64, bool)>,
    buf: Vec<u8>,
}

impl<'a> RowReader<'a> {
    /// Resolves columns from the first record (the header, or the first
    /// data row of a headerless file).
    fn new(
        first: &impl Fields,
        spec: &'a BarFileSpec,
        sink: &mut Sink,
        capacity: usize,
    ) -> Result<Self, Stop> {
        let header: Option<Vec<String>> = spec.header.then(|| {
            (0..first.count())
                .map(|i| String::from_utf8_lossy(first.get(i)).into_owned())
                .collect()
        });
        let cols = columns::resolve(
            &spec.columns,
            header.as_deref(),
            first.count(),
            &sink.file,
            spec.scale_to_adj_close,
        )
        .map_err(|p| {
            sink.problems.push(*p);
            Stop
        })?;
        if spec.symbol.is_some() && cols.symbol.is_none() {
            return Err(sink.fatal(
                Location::File,
                None,
                ProblemKind::BadSpec(
                    "`symbol` is set but the file has no symbol/ticker column".into(),
                ),
            ));
        }
        if cols.volume.is_none() {
            sink.warn(Location::File, None, ProblemKind::NoVolume);
        }
        let plain = cols.symbol.is_none()
            && cols.time.is_none()
            && cols.dividend.is_none()
            && cols.split.is_none()
            && !(spec.scale_to_adj_close && cols.adj_close.is_some());
        let fused = (plain && cols.time.is_none()).then(|| {
            (0..first.count())
                .map(|i| match i {
                    _ if i == cols.timestamp => Role::Timestamp,
                    _ if i == cols.open => Role::Price(0),
                    _ if i == cols.high => Role::Price(1),
                    _ if i == cols.low => Role::Price(2),
                    _ if i == cols.close => Role::Price(3),
                    _ if Some(i) == cols.volume => Role::Volume,
                    _ => Role::Skip,
                })
                .collect()
        });
        Ok(RowReader {
            fused,
            plain,
            spec,
            n_fields: first.count(),
            cols,
            table: RawTable::with_capacity(false, capacity),
            ts: TsParser::new(spec.timestamp_format.clone()),
            symbols: Vec::new(),
            first_shape: None,
            buf: Vec::new(),
        })
    }

    fn finish(self, sink: &mut Sink) -> Result<RawTable, Stop> {
        if self.table.data_rows == 0 {
            return Err(sink.fatal(Location::File, None, ProblemKind::NoDataRows));
        }
        Ok(self.table)
    }

    /// Parses the line starting at `p` in place, field by field, without
    /// splitting it first; returns where the next line starts. Only simple
    /// values are accepted (plain decimals, whole volumes, a timestamp the
    /// parser knows); `None` hands the line to the general path, which
    /// produces the same row or reports what is wrong.
    #[inline]
    fn fused_line(&mut self, region: &[u8], mut p: usize, delim: u8, line: u64) -> Option<usize> {
        let roles = self.fused.as_deref()?;
        let mut prices = [0i64; 4];
        let mut volume = 0u64;
        let mut ts = None;
        let last = roles.len() - 1;
        for (k, &role) in roles.iter().enumerate() {
            let term = if k == last { b'\n' } else { delim };
            match role {
                Role::Price(slot) => {
                    let (v, q) = decimal_at(region, p)?;
                    prices[usize::from(slot)] = v;
                    p = q;
                }
                Role::Volume => {
                    let (v, q) = volume_at(region, p)?;
                    volume = v;
                    p = q;
                }
                Role::Timestamp => {
                    let q = timestamp_end(region, p, term)?;
                    ts = Some(
                        self.ts
                            .parse(region[p..q].strip_suffix(b"\r").unwrap_or(&region[p..q]))
                            .ok()?,
                    );
                    p = q;
                }
                Role::Skip => p = field_end(region, p, term)?,
            }
            if k == last && region.get(p) == Some(&b'\r') {
                p += 1;
            }
            if region.get(p) != Some(&term) {
                return None;
            }
            p += 1;
        }
        let t = ts?;
        if self
            .first_shape
            .is_some_and(|(_, date_only)| date_only != t.date_only)
        {
            return None;
        }
        if self.first_shape.is_none() {
            self.first_shape = Some((line, t.date_only));
        }
        self.table.data_rows += 1;
        let [open, high, low, close] = prices;
        self.table.push(Row {
            line,
            offset: t.offset,
            local: t.local,
            date_only: t.date_only,
            open,
            high,
            low,
            close,
            volume,
        });
        Some(p)
    }

    /// Parses a row of a plain file (no symbol, time, adjusted-close or
    /// action columns) with no error reporting; `false` sends the row to
    /// [`Self::row_checked`], which finds and reports what is wrong.
    #[inline]
    fn row_plain(&mut self, rec: &impl Fields, line: u64) -> bool {
        let c = &self.cols;
        if rec.count() != self.n_fields {
            return false;
        }
        let Ok(p) = self.ts.parse(rec.get(c.timestamp)) else {
            return false;
        };
        if self
            .first_shape
            .is_some_and(|(_, date_only)| date_only != p.date_only)
        {
            return false;
        }
        let price = |i: usize| fast_decimal(rec.get(i).trim_ascii());
        let (Some(open), Some(high), Some(low), Some(close)) =
            (price(c.open), price(c.high), price(c.low), price(c.close))
        else {
            return false;
        };
        let volume = match c.volume {
            None => 0,
            Some(i) => match fast_volume(rec.get(i).trim_ascii()) {
                Some(v) => v,
                None => return false,
            },
        };
        if self.first_shape.is_none() {
            self.first_shape = Some((line, p.date_only));
        }
        self.table.data_rows += 1;
        self.table.push(Row {
            line,
            offset: p.offset,
            local: p.local,
            date_only: p.date_only,
            open,
            high,
            low,
            close,
            volume,
        });
        true
    }

    #[inline]
    fn row(&mut self, rec: &impl Fields, line: u64, sink: &mut Sink) -> Result<(), Stop> {
        if self.plain && self.row_plain(rec, line) {
            return Ok(());
        }
        self.row_checked(rec, line, sink)
    }

    fn row_checked(&mut self, rec: &impl Fields, line: u64, sink: &mut Sink) -> Result<(), Stop> {
        let loc = Location::Line(line);
        let cols = &self.cols;
        if let Some(si) = cols.symbol {
            let sym = rec.get(si).trim_ascii();
            match &self.spec.symbol {
                Some(want) => {
                    if !sym.eq_ignore_ascii_case(want.as_bytes()) {
                        return Ok(());
                    }
                }
                None => {
                    let s = String::from_utf8_lossy(sym);
                    if self.symbols.is_empty() {
                        self.symbols.push(s.into_owned());
                    } else if self.symbols[0] != s {
                        self.symbols.push(s.into_owned());
                        return Err(sink.fatal(
                            loc,
                            Some(cols.name(si)),
                            ProblemKind::SeveralSymbols {
                                symbols: self.symbols.clone(),
                            },
                        ));
                    }
                }
            }
        }
        self.table.data_rows += 1;
        if rec.count() != self.n_fields {
            return sink.error(
                loc,
                None,
                ProblemKind::FieldCount {
                    expected: self.n_fields,
                    found: rec.count(),
                },
            );
        }
        let mut ok = true;

        let ts_field: &[u8] = match cols.time {
            Some(ti) => {
                self.buf.clear();
                self.buf
                    .extend_from_slice(rec.get(cols.timestamp).trim_ascii());
                self.buf.push(b' ');
                self.buf.extend_from_slice(rec.get(ti).trim_ascii());
                &self.buf
            }
            None => rec.get(cols.timestamp),
        };
        let parsed = match self.ts.parse(ts_field) {
            Ok(p) => Some(p),
            Err(expected) => {
                let found = String::from_utf8_lossy(ts_field.trim_ascii()).into_owned();
                let kind = if found.is_empty() {
                    ProblemKind::EmptyField
                } else {
                    ProblemKind::BadTimestamp { found, expected }
                };
                sink.error(loc, Some(cols.name(cols.timestamp)), kind)?;
                ok = false;
                None
            }
        };
        if let Some(p) = parsed {
            match self.first_shape {
                None => self.first_shape = Some((line, p.date_only)),
                Some((first_line, date_only)) if date_only != p.date_only => {
                    let expected = if date_only {
                        format!("a date without time, like line {first_line}")
                    } else {
                        format!("a date with a time of day, like line {first_line}")
                    };
                    let found = String::from_utf8_lossy(ts_field.trim_ascii()).into_owned();
                    sink.error(
                        loc,
                        Some(cols.name(cols.timestamp)),
                        ProblemKind::BadTimestamp { found, expected },
                    )?;
                    ok = false;
                }
                Some(_) => {}
            }
        }

        let mut price = |i: usize, sink: &mut Sink| -> Result<i64, Stop> {
            parse_decimal(rec.get(i)).or_else(|kind| {
                ok = false;
                sink.error(loc, Some(cols.name(i)), kind).map(|()| 0)
            })
        };
        let mut open = price(cols.open, sink)?;
        let mut high = price(cols.high, sink)?;
        let mut low = price(cols.low, sink)?;
        let mut close = price(cols.close, sink)?;
        let adj = match cols.adj_close {
            Some(i) if self.spec.scale_to_adj_close => Some(price(i, sink)?),
            _ => None,
        };
        let volume = match cols.volume {
            None => 0,
            Some(i) => parse_volume(rec.get(i)).or_else(|kind| {
                ok = false;
                sink.error(loc, Some(cols.name(i)), kind).map(|()| 0)
            })?,
        };
        let action = |i: Option<usize>, sink: &mut Sink| -> Result<i64, Stop> {
            let Some(i) = i else { return Ok(0) };
            let f = rec.get(i).trim_ascii();
            if f.is_empty() {
                return Ok(0);
            }
            match parse_decimal(f) {
                Ok(v) if v >= 0 => Ok(v),
                Ok(_) => {
                    let kind = ProblemKind::BadNumber {
                        found: String::from_utf8_lossy(f).into_owned(),
                    };
                    sink.error(loc, Some(cols.name(i)), kind).map(|()| 0)
                }
                Err(kind) => sink.error(loc, Some(cols.name(i)), kind).map(|()| 0),
            }
        };
        let dividend = action(cols.dividend, sink)?;
        let split = action(cols.split, sink)?;
        let Some(p) = parsed.filter(|_| ok) else {
            return Ok(());
        };

        if let Some(adj) = adj {
            // Yahoo's "auto adjust": every price times adj_close / close.
            let scale = |v: i64| mul_div(v, adj, close).unwrap_or(0);
            (open, high, low) = (scale(open), scale(high), scale(low));
            close = adj;
        }
        let is_split = split != 0 && split != trade_core::fixed::SCALE;
        if (dividend != 0 || is_split)
            && let Some(date) = date_of_day(p.local.div_euclid(DAY))
        {
            if dividend != 0 {
                self.table
                    .actions
                    .push((date, ColumnAction::Dividend(dividend)));
            }
            if is_split {
                self.table.actions.push((date, ColumnAction::Split(split)));
            }
        }
        self.table.push(Row {
            line,
            offset: p.offset,
            local: p.local,
            date_only: p.date_only,
            open,
            high,
            low,
            close,
            volume,
        });
        Ok(())
    }
}
