//! Doc text shared by several items.

/// The rule for the closures that `grad`, `jacobian`, `hessian`, `hvp`,
/// `check_gradient` and `parallel` take, written once for all their docs.
macro_rules! closure_rule {
    () => {
        "# Passing `f`\n\n\
         Pass the closure directly, as in the example, or name a function \
         `fn f<'t>(x: &[Var<'t>]) -> Var<'t>` and pass `f`. A closure stored \
         in a variable first (`let f = |x: &[Var]| …;`) is rejected with \
         \"one type is more general than the other\": `f` must take the \
         variables of a tape of any lifetime (`for<'t> Fn(&[Var<'t>]) -> \
         Var<'t>`), and a closure gets that signature only where it is \
         written as an argument."
    };
}
