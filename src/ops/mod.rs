//! The operations a [`Var`](crate::Var) records: each computes its value and
//! its local derivative(s), and records one node.

mod activation;
mod arith;
mod elementary;
mod nary;
mod piecewise;

pub(crate) use activation::bce;
pub use nary::{Operand, dot, sum};
