//! Nothing to build: the test in `tests/` renders `docs/neuron.svg`, the
//! README's picture, with resvg, in a package of its own so that the
//! library's first build does not compile a renderer.
