//! Decoding is a stage between reading records and showing them: bytes become text that is
//! safe for a terminal (escaped, previewed, hex-dumped), pretty JSON with its parts marked, the
//! detail of a record, and the JSON-lines shape of a message. The browser, its filter, the
//! file export and `consume --format json` all use what this stage makes.

pub mod detail;
pub mod filter;
pub mod json;
pub mod json_in;
pub mod kcat_format;
pub mod mask;
pub mod styled;
pub mod text;

pub use styled::{Role, StyledLine};
