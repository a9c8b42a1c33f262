// The impls that make `Active` nalgebra's scalar, for either version of
// nalgebra: included by `nalgebra.rs` and `nalgebra_v0_34.rs`, each of
// which names its nalgebra `na` and its simba `sb`.

use na::allocator::Allocator;
use na::{ComplexField, DefaultAllocator, Dim, Matrix, OMatrix, RawStorage, RealField, SimdValue};
use sb::scalar::{SubsetOf, SupersetOf};

use crate::{Active, Scalar};

/// A float type that `Active` of it can stand in for in nalgebra: `f32`,
/// `f64`, and `Active` of them (for second derivatives through nalgebra).
pub trait NalgebraScalar: Scalar + RealField {}

impl<F: Scalar + RealField> NalgebraScalar for F {}

impl<F: NalgebraScalar> SimdValue for Active<F> {
    const LANES: usize = 1;
    type Element = Self;
    type SimdBool = bool;

    fn splat(val: Self) -> Self {
        val
    }

    fn extract(&self, _: usize) -> Self {
        *self
    }

    // Sound for any index: `unsafe` is the trait's signature, and one lane
    // ignores the index, so nothing is read out of bounds.
    #[allow(unsafe_code)]
    unsafe fn extract_unchecked(&self, _: usize) -> Self {
        *self
    }

    fn replace(&mut self, _: usize, val: Self) {
        *self = val;
    }

    // Sound for any index: `unsafe` is the trait's signature, and one lane
    // ignores the index, so nothing is written out of bounds.
    #[allow(unsafe_code)]
    unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
        *self = val;
    }

    fn select(self, cond: bool, other: Self) -> Self {
        if cond { self } else { other }
    }
}

impl<F: NalgebraScalar> sb::scalar::Field for Active<F> {}

impl<F: NalgebraScalar> SubsetOf<Active<F>> for Active<F> {
    fn to_superset(&self) -> Self {
        *self
    }

    fn from_superset_unchecked(element: &Self) -> Self {
        *element
    }

    fn is_in_subset(_: &Self) -> bool {
        true
    }
}

/// A float is a constant `Active`; an `Active` is a float by its value.
macro_rules! floats_are_subsets {
    ($($f:ty),*) => {$(
        impl<F: NalgebraScalar> SubsetOf<Active<F>> for $f {
            fn to_superset(&self) -> Active<F> {
                Active::constant(<F as SupersetOf<$f>>::from_subset(self))
            }

            #[track_caller]
            fn from_superset_unchecked(element: &Active<F>) -> $f {
                <F as SupersetOf<$f>>::to_subset_unchecked(&element.value())
            }

            #[track_caller]
            fn is_in_subset(element: &Active<F>) -> bool {
                <F as SupersetOf<$f>>::is_in_subset(&element.value())
            }
        }
    )*};
}

floats_are_subsets!(f32, f64);

/// `ComplexField` methods that are `Active`'s own of the same name.
macro_rules! own {
    ($($name:ident($($arg:ident),*)),*) => {$(
        #[track_caller]
        fn $name(self $(, $arg: Self)*) -> Self {
            Active::$name(self $(, $arg)*)
        }
    )*};
}

/// The real field: `Self` is its own `RealField`, with no imaginary part.
impl<F: NalgebraScalar> ComplexField for Active<F> {
    type RealField = Self;

    own!(
        floor(),
        ceil(),
        round(),
        trunc(),
        fract(),
        abs(),
        recip(),
        sin(),
        cos(),
        tan(),
        asin(),
        acos(),
        atan(),
        sinh(),
        cosh(),
        tanh(),
        asinh(),
        acosh(),
        atanh(),
        log2(),
        log10(),
        ln(),
        ln_1p(),
        sqrt(),
        exp(),
        exp2(),
        exp_m1(),
        cbrt(),
        mul_add(a, b),
        hypot(other),
        log(base),
        powf(n),
        signum()
    );

    fn from_real(re: Self) -> Self {
        re
    }

    fn real(self) -> Self {
        self
    }

    fn imaginary(self) -> Self {
        Active::constant(F::zero())
    }

    #[track_caller]
    fn modulus(self) -> Self {
        Active::abs(self)
    }

    #[track_caller]
    fn modulus_squared(self) -> Self {
        self * self
    }

    /// `0` for a positive value, `π` for a negative one: a constant, on a
    /// comparison that a recorded `Function` guards.
    #[track_caller]
    fn argument(self) -> Self {
        match self >= Self::from(F::zero()) {
            true => Active::constant(F::zero()),
            false => Active::constant(F::pi()),
        }
    }

    #[track_caller]
    fn norm1(self) -> Self {
        Active::abs(self)
    }

    #[track_caller]
    fn scale(self, factor: Self) -> Self {
        self * factor
    }

    #[track_caller]
    fn unscale(self, factor: Self) -> Self {
        self / factor
    }

    fn conjugate(self) -> Self {
        self
    }

    #[track_caller]
    fn sin_cos(self) -> (Self, Self) {
        Active::sin_cos(self)
    }

    #[track_caller]
    fn powi(self, n: i32) -> Self {
        Active::powi(self, n)
    }

    #[track_caller]
    fn powc(self, n: Self) -> Self {
        Active::powf(self, n)
    }

    /// `Float::is_finite`, which a recorded `Function` guards.
    #[track_caller]
    fn is_finite(&self) -> bool {
        num_traits::Float::is_finite(*self)
    }

    /// `√self` where `self >= 0` (a comparison a recorded `Function`
    /// guards, as Cholesky's test of each pivot is), `None` elsewhere.
    #[track_caller]
    fn try_sqrt(self) -> Option<Self> {
        (self >= Self::from(F::zero())).then(|| Active::sqrt(self))
    }
}

/// A constant of `F`'s.
macro_rules! constants {
    ($($name:ident),*) => {$(
        fn $name() -> Self {
            Active::constant(F::$name())
        }
    )*};
}

impl<F: NalgebraScalar> RealField for Active<F> {
    own!(
        copysign(sign),
        max(other),
        min(other),
        clamp(min, max),
        atan2(other)
    );

    constants!(
        pi,
        two_pi,
        frac_pi_2,
        frac_pi_3,
        frac_pi_4,
        frac_pi_6,
        frac_pi_8,
        frac_1_pi,
        frac_2_pi,
        frac_2_sqrt_pi,
        e,
        log2_e,
        log10_e,
        ln_2,
        ln_10
    );

    /// `Float::is_sign_positive`, which a recorded `Function` guards.
    #[track_caller]
    fn is_sign_positive(&self) -> bool {
        num_traits::Float::is_sign_positive(*self)
    }

    /// `Float::is_sign_negative`, which a recorded `Function` guards.
    #[track_caller]
    fn is_sign_negative(&self) -> bool {
        num_traits::Float::is_sign_negative(*self)
    }

    fn min_value() -> Option<Self> {
        <F as RealField>::min_value().map(Active::constant)
    }

    fn max_value() -> Option<Self> {
        <F as RealField>::max_value().map(Active::constant)
    }
}

/// A vector or matrix of `Active` variables, whose gradients
/// [`Gradients::wrt_matrix`](crate::Gradients::wrt_matrix) gives in its shape.
impl<F, R, C, S> crate::integrations::MatrixOfActive<F> for Matrix<Active<F>, R, C, S>
where
    F: NalgebraScalar,
    R: Dim,
    C: Dim,
    S: RawStorage<Active<F>, R, C>,
    DefaultAllocator: Allocator<R, C>,
{
    type Gradient = OMatrix<F, R, C>;

    fn gradient(&self, wrt: impl Fn(&Active<F>) -> F) -> Self::Gradient {
        self.map(|x| wrt(&x))
    }
}
