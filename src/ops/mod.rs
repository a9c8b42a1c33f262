//! The operations a [`Var`](crate::Var) records: `table` gives each op's
//! value and local derivative(s), `surface` makes the methods and operators
//! of `Var` and `Dual` from it; the other files hold the ops of many
//! arguments (sums, dot products, layers, block and custom ops).

mod arith;
mod block;
mod elementary;
mod fused;
mod layer;
mod linear;
mod nary;
pub(crate) mod surface;

pub use block::{block, block_forward};
pub(crate) use block::{block_of_vars, outputs_at, record_on};
pub use fused::sum_windows;
pub use layer::{Activation, Layer, layer};
pub use linear::{Dense, Operand, affine, dense, dot};
pub use nary::sum;
