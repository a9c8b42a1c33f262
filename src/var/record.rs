//! The tape's side of a [`Var`]: the methods that record a node and hand
//! out the variable that stands for it. The tape's own methods record
//! nodes and return their indices; these wrap them.

use core::panic::Location;

use num_traits::Float;

use super::Var;
use crate::tape::{Edges, Tape};

impl<F: Float> Tape<F> {
    /// Records one input per value, in order.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let theta = tape.vars(&[1.0, 2.0, 3.0]);
    /// let total = tapegrad::sum(&theta);
    /// assert_eq!(total.backward().wrt_all(&theta), [1.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn vars(&self, values: &[F]) -> Vec<Var<'_, F>> {
        let first = self.inputs_at(values, Location::caller());
        let nodes = first..first + values.len() as u32;
        nodes
            .zip(values)
            .map(|(node, &v)| Var::recorded(self, node, v))
            .collect()
    }

    /// Records an input: a variable with no parents.
    ///
    /// ```
    /// let tape = tapegrad::Tape::new();
    /// let x = tape.var(3.0);
    /// assert_eq!(x.value(), 3.0);
    /// assert_eq!(tape.len(), 1);
    /// ```
    #[track_caller]
    pub fn var(&self, value: F) -> Var<'_, F> {
        let node = self.inputs_at(&[value], Location::caller());
        Var::recorded(self, node, value)
    }

    /// Appends a node whose edges `write` pushes, and whose value it returns:
    /// one pass for an n-ary node, whose edges go to the n-ary table. `write`
    /// must not record on this tape (it is borrowed); if it panics, the
    /// edges it pushed stay in the table, where no node points to them.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn record_with(
        &self,
        op: &'static str,
        write: impl FnOnce(&mut Edges<'_, F>) -> F,
    ) -> Var<'_, F> {
        let var = self.try_record_with(op, |edges| Some(write(edges)));
        var.unwrap_or_else(|| unreachable!("the writer always gives a value"))
    }

    /// [`record_with`](Tape::record_with), for a writer that may find,
    /// while it writes, that it cannot record the node: if it returns
    /// `None`, the edges it pushed are taken back and nothing is recorded.
    #[inline(always)]
    #[track_caller]
    pub(crate) fn try_record_with(
        &self,
        op: &'static str,
        write: impl FnOnce(&mut Edges<'_, F>) -> Option<F>,
    ) -> Option<Var<'_, F>> {
        let (node, value) = self.push_wide(op, Location::caller(), write)?;
        Some(Var::recorded(self, node, value))
    }
}
