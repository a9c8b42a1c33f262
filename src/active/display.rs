//! How an [`Active`] formats: its value, or inside a function's recording
//! its node.

use core::fmt;

use super::{Active, Scalar};

/// The value and node; inside a [`Function`](crate::replay::Function)'s recording,
/// the node alone (see the `Display` impl).
impl<F: Scalar + fmt::Debug> fmt::Debug for Active<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Active");
        if self.replays() {
            return s
                .field("node", &self.node())
                .field("function", &true)
                .finish();
        }
        s.field("value", &self.value);
        match self.is_constant() {
            false => s.field("node", &self.node()),
            true => s.field("constant", &true),
        };
        s.finish()
    }
}

/// The value, as `F` formats it.
///
/// A variable of a [`Function`](crate::replay::Function)'s recording has no one
/// value: the function is evaluated at other points. Its text names the
/// node instead of a number, so that nothing formatted while recording (a
/// string parsed back, a branch on it) can carry the recording point's
/// value where no guard sees it; formatting records nothing, and debugging
/// output inside the closure keeps working. Format the results of an
/// evaluation, or record on a [`Tape`](crate::Tape) to see values.
///
/// ```
/// use tapegrad::{Active, replay::Function, Tape};
///
/// let mut tape = Tape::new();
/// assert_eq!(tape.record(|| (Active::var(1.5) * 2.0).to_string()), "3");
///
/// let mut text = String::new();
/// let f = Function::record(&[1.5], |x: &[Active]| {
///     text = (x[0] * 2.0).to_string();
///     x[0] * 2.0
/// })?;
/// assert_eq!(text, "<node 2 of a Function's recording>");
/// # Ok::<(), tapegrad::Error>(())
/// ```
impl<F: Scalar + fmt::Display> fmt::Display for Active<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.replays() {
            true => write!(f, "<node {} of a Function's recording>", self.node()),
            false => fmt::Display::fmt(&self.value, f),
        }
    }
}
