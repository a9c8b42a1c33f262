//! Ops of your own, each recorded as one node: a [`BlockOp`] of many inputs
//! and outputs that supplies its vector–Jacobian product ([`block`], and
//! [`block_forward`] on dual numbers), and [`sum_windows`], a sum of a small
//! function over windows of a slice, differentiated in forward mode. A
//! function of one output from its value and partials is
//! [`Var::custom`](crate::Var::custom), or [`Var::fused`](crate::Var::fused)
//! where forward mode computes the partials.

pub use crate::ops::{block, block_forward, sum_windows};
pub use crate::table::BlockOp;
