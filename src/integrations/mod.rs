//! Integrations with the ecosystem's crates, each behind its feature.

#[cfg(feature = "nalgebra")]
#[cfg_attr(docsrs, doc(cfg(feature = "nalgebra")))]
pub mod nalgebra;
