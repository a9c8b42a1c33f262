//! Models: a neuron's `w·x + b` as one node ([`affine`], [`dot`](crate::dot)
//! for the product alone), a layer of such units for one sample ([`dense`]),
//! and a layer over a whole batch as one node ([`layer`]). The losses are in
//! [`loss`](crate::loss), the optimizers in [`optim`](crate::optim).

pub use crate::ops::{Activation, Dense, Layer, Operand, affine, dense, layer};
