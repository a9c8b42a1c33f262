//! `Active` as nalgebra 0.34's scalar (simba 0.9; the feature
//! `nalgebra_v0_34`), which argmin-math 0.5 builds on: the same
//! impls as [`integrations::nalgebra`](super::nalgebra)'s for 0.35.
//!
//! ```
//! use nalgebra_v0_34::Vector3;
//! use tapegrad::{Active, Tape};
//!
//! let mut tape = Tape::new();
//! let (v, norm) = tape.record(|| {
//!     let v = Vector3::from_iterator(Active::vars(&[3.0, 4.0, 12.0]));
//!     (v, v.norm())
//! });
//! let grads = tape.backward(&norm)?;
//! assert_eq!(grads.wrt_matrix(&v), Vector3::new(3.0, 4.0, 12.0) / 13.0);
//! # Ok::<(), tapegrad::Error>(())
//! ```

use ::nalgebra_v0_34 as na;
use ::simba_v0_9 as sb;

include!("real_field.rs");
