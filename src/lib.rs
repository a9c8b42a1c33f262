#![doc = include_str!("lib.md")]
#![warn(missing_docs, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// No unsafe operation anywhere; `deny`, not `forbid`, only so that simba's
// trait, which declares two methods `unsafe`, can be implemented (nalgebra).
#![deny(unsafe_code)]

#[macro_use]
mod docs;

mod active;
pub mod check;
pub mod checkpoint;
pub mod custom;
mod debug;
mod derivatives;
mod difference;
mod error;
mod float;
pub mod forward;
mod gradients;
pub mod integrations;
pub mod loss;
pub mod nn;
mod ops;
pub mod optim;
#[cfg(feature = "parallel")]
#[cfg_attr(docsrs, doc(cfg(feature = "parallel")))]
pub mod parallel;
mod recording;
pub mod replay;
mod table;
mod tape;
mod var;

pub use active::{Active, Scalar};
pub use derivatives::{grad, hessian, hvp, jacobian};
pub use error::{Error, Quantity, Result};
pub use gradients::{Gradients, Variable};
pub use ops::{dot, sum};
pub use tape::Tape;
pub use var::Var;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
