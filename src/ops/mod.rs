//! The operations a [`Var`](crate::Var) records: each computes its value and
//! its local derivative(s), and records one node.

mod activation;
mod arith;
mod block;
mod elementary;
mod fused;
pub(crate) mod local;
mod nary;
mod piecewise;

pub(crate) use activation::{bce, sigmoid, softplus};
pub(crate) use block::Block;
pub use block::{Activation, BlockOp, block, layer};
pub use fused::sum_windows;
pub use nary::{Dense, Operand, affine, dense, dot, sum};
