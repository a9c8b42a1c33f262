//! The crate's error type.

use core::panic::Location;

use core::fmt;

/// Everything that can go wrong in a fallible `tapegrad` call.
///
/// Operators cannot return errors, so misuse inside `a + b` (two tapes mixed)
/// panics instead; see the `# Panics` sections. Everything that can return a
/// `Result` does, with one of these variants.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A gradient was asked for a variable of another tape than the one the
    /// gradients were computed on.
    #[error(
        "the variable belongs to another tape than these gradients; \
         ask the gradients of an output recorded on the variable's own tape"
    )]
    ForeignVariable,

    /// The gradients were computed before the variable's tape was cleared, so
    /// they describe a computation that no longer exists.
    #[error(
        "the gradients were computed before the tape was cleared; \
         call backward again on an output of the current recording"
    )]
    StaleGradients,

    /// The variable is an [`Active`](crate::Active) of another recording
    /// than these gradients: an earlier one of the same tape, another tape's,
    /// or another thread's.
    #[error(
        "the variable belongs to another recording than these gradients; \
         ask the gradients of an output of the variable's own recording"
    )]
    OtherRecording,

    /// A gradient was asked for a constant, which is on no tape and has none.
    #[error(
        "the variable is a constant, recorded on no tape, so it has no gradient; \
         make inputs with Tape::var for a Var, or Active::var inside Tape::record for an Active"
    )]
    Constant,

    /// A gradient was asked for a sigmoid `s` whose `ln` (or that of `1 - s`)
    /// was recorded in the stable form, as a function of the sigmoid's
    /// input: the output's gradient does not pass through `s`, so the tape
    /// cannot give `∂output/∂s`.
    #[error(
        "the gradient with respect to this sigmoid is not recorded: its ln was \
         computed in the stable form, from the sigmoid's input; ask the gradient \
         with respect to that input instead"
    )]
    BypassedSigmoid,

    /// A graph was asked of a tape that does not remember its operations.
    #[error("the tape does not remember its operations; create it with Tape::traced")]
    NotTraced,

    /// A [checked](crate::Tape::checked) tape found a number that is not
    /// finite where every number it came from was.
    #[error(
        "{what} of `{op}` (recorded at {location}) is {value}; the ops that led there: {}",
        .chain.join(" → ")
    )]
    NonFinite {
        /// The op of the node.
        op: &'static str,
        /// The source line that recorded it.
        location: &'static Location<'static>,
        /// Which of its numbers.
        what: Quantity,
        /// That number (NaN or ±∞).
        value: f64,
        /// The ops that led there, in the order they were computed: from an
        /// input to the node, or, for a gradient, from the output down to it.
        chain: Vec<&'static str>,
    },

    /// In a [checked](crate::Tape::checked) tape, a custom op declared a
    /// partial derivative that central differences contradict (checked the
    /// first time each call site runs).
    #[error(
        "the custom op `{op}` (recorded at {location}) declares its derivative with respect to \
         argument {argument} to be {declared}, but central differences give {numeric}"
    )]
    WrongCustomDerivative {
        /// The op's name.
        op: &'static str,
        /// The source line that recorded it.
        location: &'static Location<'static>,
        /// Which argument, from 0.
        argument: usize,
        /// The partial the op declared.
        declared: f64,
        /// The central-difference estimate.
        numeric: f64,
    },

    /// A recorded [`Function`](crate::replay::Function) was evaluated where a
    /// comparison made while recording comes out otherwise: the recording
    /// holds the other branch. Record again at this point, or write the
    /// branch with [`Active::select`](crate::Active::select).
    #[error(
        "the comparison `{test}` at {location} was {recorded} when the function was recorded \
         and is {now} here: the recording holds the other branch; record again at this point, \
         or write the branch with Active::select"
    )]
    BranchChanged {
        /// The comparison, as written (`<`, `is_nan`, …).
        test: &'static str,
        /// The line that made it.
        location: &'static Location<'static>,
        /// Its outcome when recorded.
        recorded: String,
        /// Its outcome now.
        now: String,
    },

    /// A recorded [`Function`](crate::replay::Function) read a variable's value while
    /// recording (`value()`, `to_f64()`), and may have computed from it
    /// what no guard can check: it cannot be evaluated at other inputs.
    #[error(
        "the recorded function read a variable's value at {location}, so it cannot be \
         evaluated elsewhere; compare variables instead (the comparison is guarded), \
         or use Active::select"
    )]
    ValueRead {
        /// The line that read it.
        location: &'static Location<'static>,
    },

    /// A gradient was taken with [`Active::backward`](crate::Active::backward)
    /// of a variable of a [`Function`](crate::replay::Function)'s recording, inside
    /// its closure: the recording would keep it as a constant of the point
    /// it was recorded at. Ask the function for its derivatives instead
    /// (its gradient, Hessian, `hvp`), or take the inner gradient on a
    /// nested tape whose values are the function's variables.
    #[error(
        "a gradient was taken at {location} while recording a Function, which would keep it \
         as a constant of the recording point; evaluate the Function's derivatives instead, \
         or take the inner gradient on a nested Tape<Active<F>>"
    )]
    GradientWhileRecording {
        /// The line that called `backward`.
        location: &'static Location<'static>,
    },

    /// A [`Function`](crate::replay::Function) was recorded with an op it cannot
    /// evaluate again.
    #[error(
        "`{op}` (at {location}) cannot be evaluated again by a recorded function; \
         write it with the scalar ops of Active"
    )]
    NotReplayable {
        /// The op.
        op: &'static str,
        /// The line that recorded it.
        location: &'static Location<'static>,
    },

    /// A [`Workspace`](crate::replay::Workspace) was used with another function
    /// than the one that made it, or with its function after
    /// [`optimize`](crate::replay::Function::optimize) changed its nodes.
    #[error(
        "the workspace was made for another function, or before optimize(); \
         make one with Function::workspace"
    )]
    ForeignWorkspace,

    /// A slice or a count had the wrong length.
    #[error("expected {expected} {what}, found {found}")]
    Length {
        /// What was counted.
        what: &'static str,
        /// How many were expected.
        expected: usize,
        /// How many there were.
        found: usize,
    },

    /// A checked operation was asked of a tape that is not in checked mode.
    #[error("the tape is not in checked mode; create it with Tape::checked")]
    NotChecked,

    /// A rank of an MPI job got something wrong or failed (see
    /// `integrations::mpi`): every rank returns this same error.
    #[error("rank {rank} of the MPI job: {message}")]
    Rank {
        /// The rank, the lowest where several did.
        rank: usize,
        /// What it got wrong, or its own error.
        message: String,
    },

    /// A tape gradient disagrees with central finite differences
    /// (see [`check_gradient`](crate::check::check_gradient)).
    #[error(
        "gradient check failed at input {index}: the tape gives {tape}, \
         central differences give {numeric}"
    )]
    GradientMismatch {
        /// Index of the worst input component.
        index: usize,
        /// The tape's partial derivative there.
        tape: f64,
        /// The finite-difference estimate there.
        numeric: f64,
    },
}

impl Error {
    /// `Ok` if `found` is `expected`, else [`Error::Length`] of `what`.
    pub(crate) fn check_length(what: &'static str, expected: usize, found: usize) -> Result<()> {
        match found == expected {
            true => Ok(()),
            false => Err(Error::Length {
                what,
                expected,
                found,
            }),
        }
    }
}

/// `Result` with [`Error`] as its error type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Which number of a node was not finite, in [`Error::NonFinite`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quantity {
    /// The node's value.
    Value,
    /// Its local derivative with respect to its `argument`-th parent.
    LocalDerivative {
        /// The parent's position among the node's arguments, from 0.
        argument: usize,
    },
    /// The gradient the backward sweep brought to it.
    Gradient,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Value => f.write_str("the value"),
            Quantity::LocalDerivative { argument } => {
                write!(
                    f,
                    "the local derivative with respect to argument {argument}"
                )
            }
            Quantity::Gradient => f.write_str("the gradient"),
        }
    }
}
