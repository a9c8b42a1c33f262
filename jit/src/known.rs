//! What the code being built knows of the adjoints within one block: the
//! value at each place it stored or loaded there, and the store, while
//! nothing has read the place from memory since. A load of a known place
//! is that value; a store that a second store to its place, or the last
//! read of its node's adjoint (its visit: the sweep never reads it
//! again), makes dead before anything read it is removed. A block of the
//! sweep stores what the next blocks read, and no more. Places that may
//! be the same in some iteration are never taken for different ones.

use std::collections::HashMap;
use std::ops::Range;

use cranelift_codegen::ir::{Block, Inst, Value};

/// A place of the adjoints: its index in iteration 0 and its step each
/// iteration (0 outside loops).
pub(crate) type Place = (usize, isize);

/// What the block being built knows (see [the module](self)): each place's
/// value, and its store if unread since.
#[derive(Default)]
pub(crate) struct Known {
    block: Option<Block>,
    places: HashMap<Place, (Value, Option<Inst>)>,
}

/// Whether `a` and `b` are the same place at one of the `k`s of
/// `iterations` (`None`: outside loops, where every step is 0).
fn may_meet((i, s): Place, (j, t): Place, iterations: &Option<Range<isize>>) -> bool {
    let gap = j as isize - i as isize;
    match (s == t, iterations) {
        (true, _) | (_, None) => gap == 0,
        (false, Some(ks)) => gap % (s - t) == 0 && ks.contains(&(gap / (s - t))),
    }
}

impl Known {
    /// The places `block` knows: none if the code moved to another block.
    fn places(&mut self, block: Block) -> &mut HashMap<Place, (Value, Option<Inst>)> {
        if self.block != Some(block) {
            self.block = Some(block);
            self.places.clear();
        }
        &mut self.places
    }

    /// The value at `place`, if `block` knows it.
    pub(crate) fn get(&mut self, block: Block, place: Place) -> Option<Value> {
        self.places(block).get(&place).map(|&(value, _)| value)
    }

    /// `place` loaded from memory as `value`, in a loop of `iterations`
    /// (`None` outside loops): a store to any place it may be was read.
    /// Outside loops that is the place alone, which the block did not know.
    pub(crate) fn loaded(
        &mut self,
        block: Block,
        place: Place,
        value: Value,
        iterations: Option<Range<isize>>,
    ) {
        let places = self.places(block);
        if iterations.is_some() {
            for (&p, (_, store)) in places.iter_mut() {
                if may_meet(p, place, &iterations) {
                    *store = None;
                }
            }
        }
        places.insert(place, (value, None));
    }

    /// `value` stored at `place` by `store`, in a loop of `iterations`:
    /// the store to the same place it makes dead, if unread since. A place
    /// it may be forgets its value.
    pub(crate) fn stored(
        &mut self,
        block: Block,
        place: Place,
        value: Value,
        store: Inst,
        iterations: Option<Range<isize>>,
    ) -> Option<Inst> {
        let places = self.places(block);
        let dead = places.remove(&place).and_then(|(_, store)| store);
        if iterations.is_some() {
            places.retain(|&p, _| !may_meet(p, place, &iterations));
        }
        places.insert(place, (value, Some(store)));
        dead
    }

    /// `place` read for the last time: its store, if unread since, is dead.
    pub(crate) fn last_read(&mut self, block: Block, place: Place) -> Option<Inst> {
        self.places(block).remove(&place)?.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::entity::EntityRef;

    #[test]
    fn places_meet_where_their_lines_cross_within_the_loop() {
        assert!(may_meet((5, 0), (5, 0), &None));
        assert!(!may_meet((5, 0), (6, 0), &None));
        assert!(
            !may_meet((5, 3), (6, 3), &Some(0..100)),
            "the same step: apart for ever"
        );
        assert!(
            may_meet((5, 0), (3, 1), &Some(0..3)),
            "3 + k meets 5 at k = 2"
        );
        assert!(
            !may_meet((5, 0), (3, 1), &Some(0..2)),
            "the loop ends at k = 1"
        );
        assert!(may_meet((5, -1), (3, 1), &Some(0..2)), "at k = 1");
        assert!(
            !may_meet((3, 1), (5, -1), &Some(0..1)),
            "one iteration, k = 0"
        );
        assert!(
            may_meet((3, 1), (3, 0), &Some(0..1)),
            "the same place at k = 0"
        );
        assert!(
            !may_meet((4, 2), (5, 0), &Some(0..100)),
            "4 + 2k is never 5"
        );
        assert!(
            may_meet((5, 0), (7, 1), &Some(-3..0)),
            "a loop of variants' k may be below 0: 7 + k meets 5 at k = −2"
        );
        assert!(!may_meet((5, 0), (7, 1), &Some(-1..3)), "at k = −2 only");
        assert!(
            !may_meet((5, 1), (3, 0), &Some(0..100)),
            "5 + k meets 3 at k = −2 only"
        );
    }

    #[test]
    fn a_store_overwritten_or_last_read_unread_is_dead() {
        let (block, other) = (Block::new(0), Block::new(1));
        let (v, w) = (Value::new(0), Value::new(1));
        let (s0, s1, s2) = (Inst::new(0), Inst::new(1), Inst::new(2));
        let mut known = Known::default();
        assert_eq!(known.stored(block, (7, 0), v, s0, None), None);
        assert_eq!(known.get(block, (7, 0)), Some(v));
        assert_eq!(
            known.stored(block, (7, 0), w, s1, None),
            Some(s0),
            "overwritten"
        );
        assert_eq!(known.last_read(block, (7, 0)), Some(s1), "its node visited");
        assert_eq!(known.get(block, (7, 0)), None);
        // Read from memory through a place it may be: kept.
        known.stored(block, (4, 1), v, s2, Some(0..3));
        known.loaded(block, (6, 0), w, Some(0..3));
        assert_eq!(known.last_read(block, (4, 1)), None);
        // A store where another place may be forgets that place's value.
        known.loaded(block, (2, 0), v, Some(0..3));
        known.stored(block, (0, 1), w, s0, Some(0..3));
        assert_eq!(known.get(block, (2, 0)), None);
        // Another block knows nothing.
        assert_eq!(known.get(other, (0, 1)), None);
        assert_eq!(
            known.last_read(block, (0, 1)),
            None,
            "forgotten with the block"
        );
    }
}
