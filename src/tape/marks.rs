//! The marks of sigmoid nodes, by which `ln` of a sigmoid (and of its
//! complement) is computed in a stable form.

use num_traits::Float;

use super::Tape;

/// Records that a node's value is `σ(u)` with `u = ±pre`, so that its `ln`
/// can be computed from `u` in a stable form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SigmoidMark<F> {
    pub(crate) node: u32,
    pub(crate) pre: u32,
    pub(crate) u: F,
    /// `du/dpre`: `1` for `pre.sigmoid()`, `-1` for `1 - pre.sigmoid()`.
    pub(crate) sign: F,
    /// For `1 - s`, the sigmoid `s` it complements.
    pub(crate) complement_of: Option<u32>,
    /// The first stable `ln` node that bypasses this one, if any.
    pub(crate) bypassed_at: Option<u32>,
}

/// The mark of `node` among `marks`, which are in recording order.
fn find_mark<F>(marks: &[SigmoidMark<F>], node: u32) -> Option<usize> {
    // Usually the sigmoid was recorded just before its `ln` or `1 - s`.
    match marks.last() {
        Some(last) if last.node == node => Some(marks.len() - 1),
        _ => marks.binary_search_by_key(&node, |m| m.node).ok(),
    }
}

impl<F: Float> Tape<F> {
    /// Remembers that a node is a sigmoid, for [`Tape::sigmoid_mark`].
    pub(crate) fn mark_sigmoid(&self, mark: SigmoidMark<F>) {
        self.inner.borrow_mut().sigmoid_marks.push(mark);
    }

    /// The sigmoid that `node` is, if it is one.
    pub(crate) fn sigmoid_mark(&self, node: u32) -> Option<SigmoidMark<F>> {
        let inner = self.inner.borrow();
        find_mark(&inner.sigmoid_marks, node).map(|i| inner.sigmoid_marks[i])
    }

    /// Notes that the stable `ln` node `at` bypasses the sigmoid `node` (and,
    /// for `1 - s`, the `s` it complements): their gradients no longer see
    /// that path.
    pub(crate) fn bypass(&self, node: u32, at: u32) {
        let mut inner = self.inner.borrow_mut();
        let mut next = Some(node);
        while let Some(i) = next.and_then(|n| find_mark(&inner.sigmoid_marks, n)) {
            let mark = &mut inner.sigmoid_marks[i];
            mark.bypassed_at = Some(mark.bypassed_at.map_or(at, |first| first.min(at)));
            next = mark.complement_of;
        }
    }

    /// Whether any node is a sigmoid (that a stable `ln` may bypass).
    pub(crate) fn has_sigmoid_marks(&self) -> bool {
        !self.inner.borrow().sigmoid_marks.is_empty()
    }

    /// Whether a stable `ln` recorded at or before `output` bypasses `node`.
    pub(crate) fn bypassed(&self, node: u32, output: u32) -> bool {
        self.sigmoid_mark(node)
            .and_then(|mark| mark.bypassed_at)
            .is_some_and(|at| at <= output)
    }
}
