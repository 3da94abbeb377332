//! Helpers shared by the integration tests: paths of the shipped data
//! files and throw-away directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use trade_data::BarFileSpec;

/// `data/<rel>` of the repository.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(rel)
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("trade-data-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A spec for a shipped file that never writes a cache into the repo.
pub fn spec(rel: &str) -> BarFileSpec {
    let mut s = BarFileSpec::new(data(rel));
    s.cache = false;
    s
}

/// A spec for a temporary file, cache off.
pub fn temp_spec(path: &Path) -> BarFileSpec {
    let mut s = BarFileSpec::new(path);
    s.cache = false;
    s
}

/// `2024-03-11T13:31:00Z` style text of a bar timestamp.
pub fn ts(t: trade_core::Timestamp) -> String {
    t.to_string()
}
