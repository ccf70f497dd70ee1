//! What a Rust notebook (evcxr) brings in with `use qualkit::prelude::*;`: [`open`] a project
//! into a handle that is safe to keep across cells, the values its methods return, and the
//! display of those values (and of a `Result` of them) at the end of a cell.
//!
//! ```no_run
//! use qualkit::prelude::*;
//! let p = open("data/deep-end")?;
//! let constructs = p.matrix("case", "npt")?;
//! let chart = constructs.heatmap()?;
//! let framework = p.framework_grouped("npt", "integration")?;
//! # Ok::<(), qualkit::Error>(())
//! ```

pub use crate::Error;
pub use crate::analysis::segments::{Segment, segments_table};
pub use crate::analysis::table::Table;
pub use crate::analysis::{FrameworkMatrix, Query};
pub use crate::notebook::evcxr::EvcxrDisplay;
pub use crate::notebook::{Codes, ProjectHandle, coded, open};
pub use crate::render::chart::Chart;
