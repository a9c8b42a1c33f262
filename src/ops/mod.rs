//! The operations a [`Var`](crate::Var) records: each computes its value and
//! its local derivative(s), and records one node.

mod activation;
mod arith;
mod block;
mod elementary;
mod fused;
mod layer;
mod linear;
pub(crate) mod local;
mod nary;
mod piecewise;
mod trig;

pub(crate) use activation::{bce, sigmoid, softplus};
pub(crate) use block::Block;
pub use block::{BlockOp, block, block_forward};
pub use fused::sum_windows;
pub use layer::{Activation, Layer, layer};
pub use linear::{Dense, Operand, affine, dense, dot};
pub use nary::sum;
