//! The two demo pipelines kview comes from, run for real against the broker: machine learning
//! over Kafka, and a real-time sensor stream.

pub mod ml;
pub mod sensors;

/// A file in kview's data folder (`$XDG_DATA_HOME/kview`, else `~/.local/share/kview`), created
/// on demand; the current folder when there is no home.
pub fn data_file(name: &str) -> std::path::PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
        });
    match base {
        Some(base) => {
            let dir = base.join("kview");
            let _ = std::fs::create_dir_all(&dir);
            dir.join(name)
        }
        None => std::path::PathBuf::from(name),
    }
}
