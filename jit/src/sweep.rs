//! The interpreter's reverse sweep as Cranelift IR (see
//! [`ReverseSweep`](tapegrad::replay::ir::ReverseSweep)): each node, in
//! the order the sweep visits them, adds `partial × adjoint` into its
//! parents' adjoints, its edges last to first; a node whose adjoint is
//! zero passes nothing through a partial that is not finite. As the tape's
//! sweep, a node branches once on its adjoint being zero, so the common
//! path adds without a test, and what it passes to the node visited next
//! stays in a register. The first edge into an adjoint adds to zero, not
//! to memory, which the caller then does not clear ([`Edge::first`]).

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Value};
use tapegrad::replay::ir::{Ir, Partial, Summand};

use crate::Real;
use crate::emit::{D, Emit, Kept, Plan};
use crate::fuse::FusedSweep;
use crate::roll::{Item, Loop, Rolled, Segment, Space, Variants};

/// An edge's partial as the compiled sweep reads it, the lowering's
/// factor folded into it where both are constants.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Form<F> {
    /// This constant.
    Const(F),
    /// The partial the forward pass stored at `at`, times `factor`.
    Stored { at: usize, factor: Option<F> },
    /// Node `at`'s value (a product's other operand), times `factor`.
    Value { at: usize, factor: Option<F> },
    /// A select's: `partial` if the flag at `flag` says it took `branch`,
    /// else nothing.
    Chosen { flag: usize, branch: u8, partial: F },
}

impl<F: Real> Form<F> {
    /// `partial` as the forward pass leaves it (`kept`); in `dual`
    /// numbers, a product's factor is multiplied in even where it is 1
    /// (the tangent's sign of zero is the product's).
    pub(crate) fn of(
        partial: Partial<F>,
        ir: &Ir<'_, F>,
        kept: &[[Kept<F>; 2]],
        dual: bool,
    ) -> Self {
        match partial {
            Partial::Const(c) => Form::Const(c),
            Partial::Op { node, k, factor } => match kept[node as usize][k as usize] {
                Kept::Const(c) => Form::Const(factor.map_or(c, |f| c * f)),
                Kept::Operand(n) => Form::Value {
                    at: n as usize,
                    factor,
                },
                Kept::Stored => Form::Stored {
                    at: 2 * node as usize + k as usize,
                    factor,
                },
            },
            Partial::Product { term, side, factor } => {
                let Summand::Product(a, b) = ir.terms[term as usize].value else {
                    unreachable!("a product term")
                };
                Form::Value {
                    at: if side == 0 { b } else { a } as usize,
                    // A product by 1 is the value itself.
                    factor: (dual || factor != F::one()).then_some(factor),
                }
            }
            Partial::Chosen {
                node,
                branch,
                partial,
            } => Form::Chosen {
                flag: 2 * node as usize,
                branch,
                partial,
            },
        }
    }
}

/// An edge of the sweep: `form`, the partial, times the node's adjoint is
/// added into `parent`'s. `first` if no edge the sweep adds before it
/// reaches that adjoint, in every iteration of a loop the edge is in: the
/// sum starts from zero, not from memory, which the caller then does not
/// clear ([`Plan::cleared`](crate::emit::Plan::cleared)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge<F> {
    pub(crate) parent: usize,
    pub(crate) form: Form<F>,
    pub(crate) first: bool,
}

/// Node `v` of the sweep as the roller compares it: its own index, its
/// edges' parents, then what each edge's partial reads; its constants.
pub(crate) fn node_item<F: Real>(v: usize, edges: &[Edge<F>]) -> Item<Vec<u8>, F> {
    // The node and its parents, the adjoints the code keeps track of, first.
    let mut item = Item {
        shape: Vec::with_capacity(edges.len()),
        indices: Some(v)
            .into_iter()
            .chain(edges.iter().map(|edge| edge.parent))
            .collect(),
        distinct: 1 + edges.len(),
        spaces: vec![Space::Sweep; 1 + edges.len()],
        constants: Vec::new(),
    };
    for &Edge { form, .. } in edges {
        let (kind, at, constants) = match form {
            Form::Const(c) => (0, None, [Some(c), None]),
            Form::Stored { at, factor } => (1, Some(at), [factor, None]),
            Form::Value { at, factor } => (2, Some(at), [factor, None]),
            Form::Chosen {
                flag,
                branch,
                partial,
            } => (3 + branch, Some(flag), [Some(partial), None]),
        };
        let factor = matches!(
            form,
            Form::Stored {
                factor: Some(_),
                ..
            } | Form::Value {
                factor: Some(_),
                ..
            }
        );
        item.shape.push(kind << 1 | u8::from(factor));
        item.indices.extend(at);
        item.spaces.extend(at.map(|_| Space::Ir));
        item.constants.extend(constants.into_iter().flatten());
    }
    item
}

/// An edge of a node as the roller compares it (when the node has many).
pub(crate) fn edge_item<F: Real>(edge: Edge<F>) -> Item<Vec<u8>, F> {
    let mut item = node_item(0, &[edge]);
    // Not the node: the parent, and what the partial reads.
    item.indices.remove(0);
    item.spaces.remove(0);
    item.distinct = 1;
    item
}

/// An edge's partial as the code has it.
#[derive(Clone, Copy)]
enum Multiplier<F> {
    D(D<F>),
    /// A select's: `partial` if it took branch `branch` (`first`: whether
    /// it took the first).
    Chosen {
        first: Value,
        branch: u8,
        partial: D<F>,
    },
}

impl<'a, F: Real> Emit<'a, '_, F> {
    /// The sweep over `segments` of its visits; the caller seeds the
    /// outputs and reads the gradient.
    pub(crate) fn sweep(&mut self, segments: &'a [Segment<F>], plan: &'a Plan<'_, F>) {
        let zero = F::constant(self.b, F::zero());
        // The adjoint of the node visited next, as the last node left it.
        let mut carried = None;
        let mut s = 0;
        while s < segments.len() {
            // The node visited next, if code of this piece visits it.
            let after = |end: usize| segments.get(s + 1).map(|_| plan.visits[end]);
            match &segments[s] {
                // A wide node fused with the loop of nodes after it.
                Segment::One(at)
                    if let Some(Segment::Loop(n)) = segments.get(s + 1)
                        && let Some(fused) = plan.fused.sweeps.get(&n.start)
                        && fused.node == plan.visits[*at] =>
                {
                    self.visit_fused(fused, plan, carried, zero);
                    carried = None;
                    s += 1;
                }
                Segment::One(at) => {
                    let next = after(at + 1);
                    carried = self.visit(plan.visits[*at], plan, carried, next, zero);
                }
                Segment::Loop(l) => {
                    let next = after(l.start + l.len());
                    carried = self.visit_loop(l, plan, carried, next, zero);
                }
                // The adjoints before and after it pass through memory.
                Segment::Variants(v) => {
                    self.visit_variants(v, plan, zero);
                    carried = None;
                }
            }
            s += 1;
        }
    }

    /// The loop `l` of visits; `carried` as [`visit`](Emit::visit)'s, and
    /// the adjoint of `next`, visited after the loop. Each iteration's last
    /// node passes the adjoint of the next iteration's first in a register.
    fn visit_loop(
        &mut self,
        l: &'a Loop<F>,
        plan: &'a Plan<'_, F>,
        carried: Option<(usize, Value)>,
        next: Option<usize>,
        zero: Value,
    ) -> Option<(usize, Value)> {
        let adjoints = self.buffers.adjoints;
        let first = plan.visits[l.start];
        let incoming = self.adjoint(first, carried);
        let mut inner = None;
        let out = self.repeat(l, vec![incoming], |e, j, adjoint| {
            let v = plan.visits[l.start + j];
            if j == 0 {
                inner = Some((v, adjoint[0]));
            }
            inner = e.visit(v, plan, inner.take(), Some(v - 1), zero);
            if j + 1 == l.period {
                let step = e.step(v);
                adjoint[0] = match inner.take() {
                    Some((_, value)) => value,
                    None => e.load_at(F::TYPE, adjoints, v - 1, step),
                };
            }
        });
        next.map(|n| (n, out[0]))
    }

    /// The loop of variants `v` of visits: within an iteration, a node
    /// passes the adjoint of the node visited next in a register.
    fn visit_variants(&mut self, v: &'a Variants<F>, plan: &'a Plan<'_, F>, zero: Value) {
        let mut inner = None;
        self.repeat_variants(v, |e, b, j| {
            let l = &v.bodies[b];
            let node = plan.visits[l.start + j];
            let next = (j + 1 < l.period).then(|| plan.visits[l.start + j + 1]);
            let carried = if j == 0 { None } else { inner.take() };
            inner = e.visit(node, plan, carried, next, zero);
        });
    }

    /// A wide node and the loop of nodes after it, fused (see
    /// [`FusedSweep`]): branched once on the node's adjoint being zero, as
    /// [`visit`](Emit::visit) does, the nodes visited in either branch.
    fn visit_fused(
        &mut self,
        fused: &'a FusedSweep<F>,
        plan: &'a Plan<'_, F>,
        carried: Option<(usize, Value)>,
        zero: Value,
    ) {
        let v = fused.node;
        let incoming = self.adjoint(v, carried);
        self.on_zero(self.risky(v, plan), incoming, zero, |e, zeroed| {
            e.pass_fused(fused, plan, incoming, zeroed, zero);
            None
        });
    }

    /// The fused node's edges and the nodes after it, in the fused order:
    /// its edges before their loop, the fused loop (an iteration's edges,
    /// then its nodes, none carried to the next, whose edges may change
    /// the adjoint), what is left of the edges' loop, the edges after it,
    /// what is left of the nodes' loop.
    fn pass_fused(
        &mut self,
        fused: &'a FusedSweep<F>,
        plan: &'a Plan<'_, F>,
        incoming: Value,
        zeroed: bool,
        zero: Value,
    ) {
        let (edges, segments) = (&plan.edges[fused.node], &plan.wide[&fused.node]);
        let add = |e: &mut Self, at: usize| {
            e.add_edge(edges[at], incoming, zeroed, zero);
        };
        let one = |segment: &Rolled<F>| match segment {
            Segment::One(at) => *at,
            Segment::Loop(_) => unreachable!("the edges' loops are fused"),
            Segment::Variants(never) => match *never {},
        };
        for segment in &segments[..fused.prologue] {
            add(self, one(segment));
        }
        let mut inner = None;
        let loops = fused.edges.len();
        let parts: Vec<_> = fused.edges.iter().chain(Some(&fused.nodes)).collect();
        self.repeat_parts(&parts, Vec::new(), |e, part, j, _| match part < loops {
            true => add(e, fused.edges[part].start + j),
            false => {
                let v = plan.visits[fused.nodes.start + j];
                let carried = if j == 0 { None } else { inner.take() };
                inner = e.visit(v, plan, carried, Some(v - 1), zero);
            }
        });
        for l in &fused.rest_edges {
            self.repeat(l, Vec::new(), |e, j, _| add(e, l.start + j));
        }
        for segment in &segments[fused.prologue + loops..] {
            add(self, one(segment));
        }
        if let Some(l) = &fused.rest_nodes {
            self.visit_loop(l, plan, None, None, zero);
        }
    }

    /// Node `v`'s adjoint, for its visit: `carried` if it is `v`'s, else
    /// loaded; the last read of it (see [`crate::known`]).
    fn adjoint(&mut self, v: usize, carried: Option<(usize, Value)>) -> Value {
        let value = match carried {
            Some((n, value)) if n == v => value,
            _ => self.load(F::TYPE, self.buffers.adjoints, v),
        };
        self.last_read(v, self.step(v));
        value
    }

    /// Whether a partial of `v`'s edges is computed, or not finite in some
    /// iteration: its adjoint's being zero is then tested.
    fn risky(&self, v: usize, plan: &Plan<'_, F>) -> bool {
        plan.edges[v].iter().any(|edge| match edge.form {
            Form::Const(c) | Form::Chosen { partial: c, .. } => !c.is_finite() || self.varies(c),
            Form::Stored { .. } | Form::Value { .. } => true,
        })
    }

    /// Node `v`'s edges; `carried`, `v`'s adjoint if the last node left
    /// it in a register; returns `next`'s, if it left it in one.
    fn visit(
        &mut self,
        v: usize,
        plan: &'a Plan<'_, F>,
        carried: Option<(usize, Value)>,
        next: Option<usize>,
        zero: Value,
    ) -> Option<(usize, Value)> {
        let incoming = self.adjoint(v, carried);
        // Carried only to a node that moves as this one does.
        let next = next.filter(|&n| self.step(n) == self.step(v));
        let risky = self.risky(v, plan);
        let carry = self.on_zero(risky, incoming, zero, |e, zeroed| {
            e.pass(v, plan, incoming, zeroed, next, zero)
        });
        next.zip(carry)
    }

    /// `pass(self, zeroed)` where `incoming` is not zero and where it is,
    /// if `risky`, else once, not zeroed; what it returns, through the
    /// join (the same code but for the test: both branches return a value,
    /// or neither).
    fn on_zero(
        &mut self,
        risky: bool,
        incoming: Value,
        zero: Value,
        mut pass: impl FnMut(&mut Self, bool) -> Option<Value>,
    ) -> Option<Value> {
        if !risky {
            return pass(self, false);
        }
        let (common, zeroed, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, incoming, zero);
        self.b.ins().brif(nonzero, common, &[], zeroed, &[]);
        // Laid out after the function's other blocks: the common path's
        // code is one stretch.
        self.b.set_cold_block(zeroed);
        let mut carries = false;
        for (block, zeroed) in [(common, false), (zeroed, true)] {
            self.b.switch_to_block(block);
            self.b.seal_block(block);
            let carry = pass(self, zeroed);
            carries = carry.is_some();
            let args: Vec<_> = carry.into_iter().map(BlockArg::Value).collect();
            self.b.ins().jump(join, &args);
        }
        self.b.switch_to_block(join);
        self.b.seal_block(join);
        carries.then(|| self.b.append_block_param(join, F::TYPE))
    }

    /// Adds each edge of `v`'s `partial × incoming` into its parent's
    /// adjoint, in order (where `zeroed`, `incoming` is zero and a partial
    /// that is not finite passes nothing), and returns what it left in
    /// `next`'s. Each partial is computed where it is used, so a node of
    /// many edges keeps few values alive; their repeated stretches are
    /// loops.
    fn pass(
        &mut self,
        v: usize,
        plan: &'a Plan<'_, F>,
        incoming: Value,
        zeroed: bool,
        next: Option<usize>,
        zero: Value,
    ) -> Option<Value> {
        self.each_edge(v, plan, |e, edge| e.add_edge(edge, incoming, zeroed, zero));
        // What the block knows of it: what these edges left, if they
        // reached it (see `crate::known`).
        self.known_adjoint(next?)
    }

    /// `add(self, edge)` for each of `v`'s edges, in order: their repeated
    /// stretches loops, unless a loop is being built (a loop in a loop).
    pub(crate) fn each_edge(
        &mut self,
        v: usize,
        plan: &'a Plan<'_, F>,
        mut add: impl FnMut(&mut Self, Edge<F>),
    ) {
        let edges = &plan.edges[v];
        let Some(segments) = plan.wide.get(&v).filter(|_| self.frame.is_none()) else {
            edges.iter().for_each(|&edge| add(self, edge));
            return;
        };
        for segment in segments {
            match segment {
                Segment::One(e) => add(self, edges[*e]),
                Segment::Loop(l) => {
                    self.repeat(l, Vec::new(), |e, j, _| add(e, edges[l.start + j]));
                }
                Segment::Variants(never) => match *never {},
            }
        }
    }

    /// Adds the edge's `partial × incoming` into its parent's adjoint and
    /// stores it (a load of an adjoint the block wrote is the value it
    /// wrote; the first edge into it adds to zero).
    fn add_edge(&mut self, edge: Edge<F>, incoming: Value, zeroed: bool, zero: Value) {
        let (adjoints, p) = (self.buffers.adjoints, edge.parent);
        let multiplier = self.edge(edge.form, zero);
        let old = match edge.first {
            true => zero,
            false => self.load(F::TYPE, adjoints, p),
        };
        let new = match multiplier {
            Multiplier::D(d) => self.add(old, d, incoming, zeroed),
            // `partial` to the branch the select took, nothing to the other.
            Multiplier::Chosen {
                first,
                branch,
                partial,
            } => {
                let sum = self.add(old, partial, incoming, zeroed);
                let (taken, other) = if branch == 0 { (sum, old) } else { (old, sum) };
                self.b.ins().select(first, taken, other)
            }
        };
        self.store(new, adjoints, p);
    }

    /// An edge's partial in the code: a constant, or loaded and multiplied.
    fn edge(&mut self, form: Form<F>, zero: Value) -> Multiplier<F> {
        let (partials, values) = (self.buffers.partials, self.buffers.values);
        let (d, factor) = match form {
            Form::Const(c) => (self.field(c), None),
            Form::Stored { at, factor } => (D::Value(self.load(F::TYPE, partials, at)), factor),
            Form::Value { at, factor } => (D::Value(self.load(F::TYPE, values, at)), factor),
            Form::Chosen {
                flag,
                branch,
                partial,
            } => {
                let flag = self.load(F::TYPE, partials, flag);
                let first = self.b.ins().fcmp(FloatCC::NotEqual, flag, zero);
                let partial = self.field(partial);
                return Multiplier::Chosen {
                    first,
                    branch,
                    partial,
                };
            }
        };
        Multiplier::D(match (d, factor) {
            (d, None) => d,
            (D::Value(d), Some(f)) => {
                let f = self.constant(f);
                D::Value(self.b.ins().fmul(d, f))
            }
            (D::Const(_), Some(_)) => unreachable!("a constant's factor is folded in"),
        })
    }

    /// `old + d·incoming` as the tape adds it: a product by 1 is the
    /// adjoint itself; where `zeroed` (`incoming` is zero), a partial not
    /// known finite passes nothing if it is not.
    fn add(&mut self, old: Value, d: D<F>, incoming: Value, zeroed: bool) -> Value {
        let d = match d {
            D::Const(c) if c == F::one() => return self.b.ins().fadd(old, incoming),
            D::Const(c) => F::constant(self.b, c),
            D::Value(d) => d,
        };
        let product = self.b.ins().fmul(d, incoming);
        let sum = self.b.ins().fadd(old, product);
        if !zeroed {
            return sum;
        }
        // At a zero adjoint the product is NaN exactly where the partial is
        // not finite (0·∞, 0·NaN): skipped there alone.
        let ordered = self.b.ins().fcmp(FloatCC::Ordered, product, product);
        self.b.ins().select(ordered, sum, old)
    }
}
