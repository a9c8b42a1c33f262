//! What the code being built knows of the adjoints within one block: the
//! value at each place it stored or loaded there, and the store, while
//! nothing has read the place from memory since. A load of a known place
//! is that value; a store that a second store to its place, or the last
//! read of its node's adjoint (its visit: the sweep never reads it
//! again), makes dead before anything read it is removed. A block of the
//! sweep stores what the next blocks read, and no more. Places that may
//! be the same in some iteration are never taken for different ones.

use cranelift_codegen::ir::{Block, Inst, Value};

/// A place of the adjoints: its index in iteration 0 and its step each
/// iteration (0 outside loops).
pub(crate) type Place = (usize, isize);

/// A place the block knows: its value, and its store if unread since.
struct Slot {
    place: Place,
    value: Value,
    store: Option<Inst>,
}

/// What the block being built knows (see [the module](self)).
#[derive(Default)]
pub(crate) struct Known {
    block: Option<Block>,
    slots: Vec<Slot>,
}

/// Whether `a` and `b` are the same place in one of the first
/// `iterations`.
fn may_meet((i, s): Place, (j, t): Place, iterations: usize) -> bool {
    let gap = j as isize - i as isize;
    match s == t {
        true => gap == 0,
        false => gap % (s - t) == 0 && (0..iterations as isize).contains(&(gap / (s - t))),
    }
}

impl Known {
    /// The slots of `block`: none if the code moved to another block.
    fn slots(&mut self, block: Block) -> &mut Vec<Slot> {
        if self.block != Some(block) {
            self.block = Some(block);
            self.slots.clear();
        }
        &mut self.slots
    }

    /// The value at `place`, if `block` knows it.
    pub(crate) fn get(&mut self, block: Block, place: Place) -> Option<Value> {
        let slots = self.slots(block);
        slots.iter().find(|s| s.place == place).map(|s| s.value)
    }

    /// `place` loaded from memory as `value` in a loop of `iterations`
    /// (1 outside loops): a store to any place it may be was read.
    pub(crate) fn loaded(&mut self, block: Block, place: Place, value: Value, iterations: usize) {
        let slots = self.slots(block);
        for slot in slots
            .iter_mut()
            .filter(|s| may_meet(s.place, place, iterations))
        {
            slot.store = None;
        }
        slots.push(Slot {
            place,
            value,
            store: None,
        });
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
        iterations: usize,
    ) -> Option<Inst> {
        let slots = self.slots(block);
        let mut dead = None;
        slots.retain(|s| match s.place == place {
            true => {
                dead = s.store;
                false
            }
            false => !may_meet(s.place, place, iterations),
        });
        slots.push(Slot {
            place,
            value,
            store: Some(store),
        });
        dead
    }

    /// `place` read for the last time: its store, if unread since, is dead.
    pub(crate) fn last_read(&mut self, block: Block, place: Place) -> Option<Inst> {
        let slots = self.slots(block);
        let at = slots.iter().position(|s| s.place == place)?;
        slots.remove(at).store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::entity::EntityRef;

    #[test]
    fn places_meet_where_their_lines_cross_within_the_loop() {
        assert!(may_meet((5, 0), (5, 0), 1));
        assert!(!may_meet((5, 0), (6, 0), 1));
        assert!(
            !may_meet((5, 3), (6, 3), 100),
            "the same step: apart for ever"
        );
        assert!(may_meet((5, 0), (3, 1), 3), "3 + k meets 5 at k = 2");
        assert!(!may_meet((5, 0), (3, 1), 2), "the loop ends at k = 1");
        assert!(may_meet((5, -1), (3, 1), 2), "at k = 1");
        assert!(!may_meet((3, 1), (5, -1), 1), "outside loops, k = 0");
        assert!(!may_meet((4, 2), (5, 0), 100), "4 + 2k is never 5");
        assert!(
            !may_meet((5, 1), (3, 0), 100),
            "5 + k meets 3 at k = −2 only"
        );
    }

    #[test]
    fn a_store_overwritten_or_last_read_unread_is_dead() {
        let (block, other) = (Block::new(0), Block::new(1));
        let (v, w) = (Value::new(0), Value::new(1));
        let (s0, s1, s2) = (Inst::new(0), Inst::new(1), Inst::new(2));
        let mut known = Known::default();
        assert_eq!(known.stored(block, (7, 0), v, s0, 1), None);
        assert_eq!(known.get(block, (7, 0)), Some(v));
        assert_eq!(
            known.stored(block, (7, 0), w, s1, 1),
            Some(s0),
            "overwritten"
        );
        assert_eq!(known.last_read(block, (7, 0)), Some(s1), "its node visited");
        assert_eq!(known.get(block, (7, 0)), None);
        // Read from memory through a place it may be: kept.
        known.stored(block, (4, 1), v, s2, 3);
        known.loaded(block, (6, 0), w, 3);
        assert_eq!(known.last_read(block, (4, 1)), None);
        // A store where another place may be forgets that place's value.
        known.loaded(block, (2, 0), v, 3);
        known.stored(block, (0, 1), w, s0, 3);
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
