//! What [`Gradients`](crate::Gradients) and the losses ask of an
//! [`Active`]: its recording and node, and a mean of terms as one node.

use core::panic::Location;

use super::slot::recording;
use super::{Active, Scalar};
use crate::gradients::{Variable, constant_mean, mean_pass};

impl<F: Scalar> Variable<F> for Active<F> {
    fn scalar_value(&self) -> F {
        self.value
    }

    #[track_caller]
    fn record_mean(
        op: &'static str,
        xs: &[Self],
        n: F,
        term: impl FnMut(usize, F) -> (F, F),
    ) -> Self {
        let caller = Location::caller();
        let Some(first) = Active::common(xs.iter().copied()) else {
            return Active::constant(constant_mean(xs, n, term));
        };
        let tape = recording(F::slot(), Some(first.recording()));
        let wide = tape.push_wide(op, caller, |out| Some(mean_pass(xs, n, term, out)));
        let (node, value) = wide.unwrap_or_else(|| unreachable!("the writer always gives a value"));
        first.at(node, value)
    }

    fn site(&self) -> Option<(u32, Option<u64>, u32)> {
        (!self.is_constant()).then_some((self.recording(), None, self.node()))
    }

    fn same_recording(&self, other: &Self) -> bool {
        self.recording() == other.recording()
    }

    fn node_index(&self) -> u32 {
        self.node()
    }
}
