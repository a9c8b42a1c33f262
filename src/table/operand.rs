//! An operand of an instruction: a node's value, or a constant.

use num_traits::Float;

/// An operand: a node's value, or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arg<F> {
    /// The value of the node of this index.
    Node(u32),
    /// This value.
    Const(F),
}

impl<F> Arg<F> {
    /// The node, if it is one.
    ///
    /// ```
    /// use tapegrad::replay::ir::Arg;
    ///
    /// assert_eq!(Arg::<f64>::Node(3).node(), Some(3));
    /// assert_eq!(Arg::Const(0.5).node(), None);
    /// ```
    pub fn node(&self) -> Option<u32> {
        match *self {
            Arg::Node(n) => Some(n),
            Arg::Const(_) => None,
        }
    }

    /// `f` of the node, if it is one; a constant as it is.
    pub(crate) fn map_node(self, f: impl FnOnce(u32) -> Self) -> Self {
        match self {
            Arg::Node(n) => f(n),
            constant => constant,
        }
    }
}

impl<F: Float> Arg<F> {
    /// Its value among `values`, a number per node (a constant's own,
    /// lifted to `T`).
    ///
    /// ```
    /// use tapegrad::replay::ir::Arg;
    ///
    /// let values = [0.0, 2.0, 5.0];
    /// assert_eq!((Arg::<f64>::Node(2).get(&values), Arg::Const(1.5).get(&values)), (5.0, 1.5));
    /// ```
    ///
    /// # Panics
    ///
    /// If `values` has no number for its node.
    #[inline(always)]
    pub fn get<T: Float + From<F>>(self, values: &[T]) -> T {
        match self {
            Arg::Node(node) => values[node as usize],
            Arg::Const(c) => <T as From<F>>::from(c),
        }
    }
}
