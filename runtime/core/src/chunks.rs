//! A journal as the store keeps it: hash-chained chunks.
//!
//! Events are cut at fixed places, [`CHUNK_EVENTS`] to a chunk (events
//! 0–255, 256–511, …), and each chunk names the one before it. A chunk is
//! a blob, so its digest covers its events and, through the name of the
//! chunk before, every event before them. A journal's digest (what a record
//! names as its `journal`) is the digest of its last chunk.
//!
//! So two journals that agree on their first `k · CHUNK_EVENTS` events have
//! the same first `k` chunks, byte for byte, stored once: a fork of a long
//! run at event `n` stores the chunks from the one holding `n` on, and
//! whether two runs agree up to a chunk's end is one comparison of digests
//! ([`agree_through`]). A child's journal lives inline in its caller's
//! pack, but its digest is made the same way. (Generic over the event
//! type, [`Event`](crate::event::Event) in every journal, which names this
//! module for its digests.)

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::value::{DecodeError, Digest};

/// Events in a chunk (the last one of a journal may hold fewer).
pub const CHUNK_EVENTS: usize = 256;

/// One chunk: the digest of the chunk before (none for the first) and its events.
#[derive(Serialize, Deserialize)]
struct Chunk<E> {
    prev: Option<Digest>,
    events: E,
}

/// The chunks of a journal of `events`, first to last, each with its
/// digest: the last digest is the journal's. An empty journal is one
/// empty chunk.
pub fn chunks<T: Serialize>(events: &[T]) -> Vec<(Digest, Vec<u8>)> {
    let mut out: Vec<(Digest, Vec<u8>)> = Vec::with_capacity(events.len() / CHUNK_EVENTS + 1);
    let mut pieces: Vec<&[T]> = events.chunks(CHUNK_EVENTS).collect();
    if pieces.is_empty() {
        pieces.push(&[]);
    }
    for events in pieces {
        let prev = out.last().map(|(digest, _)| *digest);
        let bytes = postcard::to_stdvec(&Chunk { prev, events }).expect("events always encode");
        out.push((Digest::of(&bytes), bytes));
    }
    out
}

/// [`chunks`] of a journal of `events` whose first `known.len()` chunks are
/// stored already, with digests `known` (first to last): the caller vouches
/// that each holds the same 256 events as `events` there. Those are not
/// encoded or hashed again; returns the journal's digest and the chunks
/// after them. A fork or a rewound copy of a long run so costs only its
/// own chunks.
pub fn chunks_after<T: Serialize>(known: &[Digest], events: &[T]) -> (Digest, Vec<(Digest, Vec<u8>)>) {
    let shared = known.len().min(events.len() / CHUNK_EVENTS);
    if shared == 0 {
        let all = chunks(events);
        return (all.last().expect("a journal has a chunk").0, all);
    }
    let mut out: Vec<(Digest, Vec<u8>)> = Vec::new();
    let mut prev = known[shared - 1];
    for events in events[shared * CHUNK_EVENTS..].chunks(CHUNK_EVENTS) {
        let bytes = postcard::to_stdvec(&Chunk { prev: Some(prev), events }).expect("events always encode");
        prev = Digest::of(&bytes);
        out.push((prev, bytes));
    }
    (prev, out)
}

/// The digest of a journal of `events`: its last chunk's.
pub fn digest<T: Serialize>(events: &[T]) -> Digest {
    chunks(events).pop().expect("a journal has a chunk").0
}

/// Decodes chunk `digest`: the chunk before it, and its events.
///
/// # Errors
/// The bytes are not a chunk.
pub fn decode<T: DeserializeOwned>(digest: &Digest, bytes: &[u8]) -> Result<(Option<Digest>, Vec<T>), DecodeError> {
    let chunk: Chunk<Vec<T>> =
        postcard::from_bytes(bytes).map_err(|e| DecodeError::new(digest, "a journal chunk", e))?;
    Ok((chunk.prev, chunk.events))
}

/// A journal followed back from its last chunk `head`.
pub struct Followed<T> {
    /// The digests of its chunks, last first, as far as they were found.
    pub chunks: Vec<Digest>,
    /// Its events, when every chunk was found.
    pub events: Option<Vec<T>>,
}

/// Follows the journal whose last chunk is `head` back to its first chunk;
/// `fetch` gives a chunk's bytes, or `None` when the store lacks it (then
/// the events are unknown, and the chunks found so far are listed).
///
/// # Errors
/// A chunk that does not decode or is not where this code puts chunks (one
/// before the last that is not full), or what `fetch` returns. (Hashing
/// makes a cycle impossible.)
pub fn follow<T: DeserializeOwned, E: From<DecodeError>>(
    head: &Digest,
    mut fetch: impl FnMut(&Digest) -> Result<Option<Vec<u8>>, E>,
) -> Result<Followed<T>, E> {
    let mut digests = Vec::new();
    let mut pieces: Vec<Vec<T>> = Vec::new();
    let mut next = Some(*head);
    while let Some(digest) = next {
        digests.push(digest);
        let Some(bytes) = fetch(&digest)? else {
            return Ok(Followed { chunks: digests, events: None });
        };
        let (prev, events) = decode(&digest, &bytes)?;
        // Every chunk but the last is full, and only the first names none before it.
        let full = pieces.is_empty() || events.len() == CHUNK_EVENTS;
        if !full {
            return Err(DecodeError::new(&digest, "a journal chunk", "a chunk before the last that is not full").into());
        }
        pieces.push(events);
        next = prev;
    }
    let mut events = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for piece in pieces.into_iter().rev() {
        events.extend(piece);
    }
    Ok(Followed { chunks: digests, events: Some(events) })
}

/// Whether two journals whose chunks are `a` and `b` (last first, as
/// [`follow`] lists them, for journals of `a_events` and `b_events`
/// events) agree on their first `k · CHUNK_EVENTS` events: their `k`-th
/// chunks are one blob.
pub fn agree_through(a: &[Digest], a_events: u64, b: &[Digest], b_events: u64, k: usize) -> bool {
    let full = |events: u64| (events as usize) / CHUNK_EVENTS;
    if k == 0 {
        return true;
    }
    if full(a_events) < k || full(b_events) < k {
        return false;
    }
    // Chunk k-1 (from the first) is at this place from the last.
    let at = |chunks: &[Digest]| chunks.len().checked_sub(k).and_then(|i| chunks.get(i)).copied();
    at(a).is_some() && at(a) == at(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: u64, from: u64) -> Vec<u64> {
        (from..from + n).collect()
    }

    fn load(all: &[(Digest, Vec<u8>)]) -> Followed<u64> {
        let head = all.last().expect("a chunk").0;
        let found = |d: &Digest| Ok::<_, DecodeError>(all.iter().find(|(c, _)| c == d).map(|(_, b)| b.clone()));
        follow(&head, found).expect("it follows")
    }

    #[test]
    fn a_journal_comes_back_from_its_chunks() {
        for n in [0, 1, 255, 256, 257, 1000] {
            let journal = events(n, 0);
            let all = chunks(&journal);
            assert_eq!(all.len(), (n as usize).div_ceil(CHUNK_EVENTS).max(1));
            assert_eq!(load(&all).events, Some(journal.clone()), "{n} events");
            assert_eq!(digest(&journal), all.last().unwrap().0);
        }
    }

    #[test]
    fn chunks_after_known_ones_are_the_same_as_all_the_chunks_made_anew() {
        let long = events(1000, 0);
        let known: Vec<Digest> = chunks(&long).iter().map(|(d, _)| *d).collect();
        for (kept, added) in [(0, 0), (0, 10), (255, 1), (256, 0), (256, 300), (700, 50), (768, 0), (1000, 0)] {
            let mut journal = long[..kept].to_vec();
            journal.extend(events(added, 5000));
            let all = chunks(&journal);
            let vouched = (kept / CHUNK_EVENTS).min(known.len());
            for up_to in 0..=vouched {
                let (digest, after) = chunks_after(&known[..up_to], &journal);
                assert_eq!(digest, all.last().unwrap().0, "{kept} + {added}, {up_to} known");
                assert_eq!(after, all[up_to..], "{kept} + {added}, {up_to} known");
            }
        }
    }

    #[test]
    fn journals_that_agree_share_their_chunks_up_to_the_one_that_differs() {
        let long = events(1000, 0);
        let mut fork = long[..700].to_vec();
        fork.extend(events(50, 5000));
        let (a, b) = (chunks(&long), chunks(&fork));
        let shared = a.iter().zip(&b).take_while(|(x, y)| x.0 == y.0).count();
        assert_eq!(shared, 700 / CHUNK_EVENTS, "the chunks before event 700");
        let (fa, fb) = (load(&a).chunks, load(&b).chunks);
        assert!(agree_through(&fa, 1000, &fb, 750, 2));
        assert!(!agree_through(&fa, 1000, &fb, 750, 3));
    }

    #[test]
    fn a_missing_chunk_leaves_the_events_unknown_and_a_short_one_is_refused() {
        let all = chunks(&events(600, 0));
        let head = all.last().unwrap().0;
        let without_first =
            |d: &Digest| Ok::<_, DecodeError>(all[1..].iter().find(|(c, _)| c == d).map(|(_, b)| b.clone()));
        let followed: Followed<u64> = follow(&head, without_first).expect("it follows");
        assert_eq!((followed.chunks.len(), followed.events), (3, None));
        // A chain whose earlier chunk is short: not one this code made.
        let short = postcard::to_stdvec(&Chunk { prev: None, events: &events(3, 0)[..] }).unwrap();
        let short_digest = Digest::of(&short);
        let last = postcard::to_stdvec(&Chunk { prev: Some(short_digest), events: &events(3, 9)[..] }).unwrap();
        let blobs = [(short_digest, short), (Digest::of(&last), last)];
        let fetch = |d: &Digest| Ok::<_, DecodeError>(blobs.iter().find(|(c, _)| c == d).map(|(_, b)| b.clone()));
        assert!(follow::<u64, _>(&blobs[1].0, fetch).is_err());
    }
}
