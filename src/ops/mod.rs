//! The operations a [`Var`](crate::Var) records: each computes its value and
//! its local derivative(s), and records one node.

mod activation;
mod arith;
mod elementary;
mod nary;

pub(crate) use activation::bce;
pub use nary::{dot, sum};
