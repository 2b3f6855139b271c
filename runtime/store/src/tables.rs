//! Every redb table of the store, in one place: this file is the on-disk format.
//!
//! ```text
//! blobs        [u8;32] sha256       -> bytes          content-addressed, up to 16,000 bytes; verified on every read
//! pieces       ([u8;32] sha256, u32 n) -> bytes       a larger blob, in pieces of 16,000 bytes from n = 0; verified on every read
//! components   [u8;32] component    -> JSON ComponentInfo (size, metadata, imports)
//! names        str name             -> [u8;32] component
//! sessions     str session name     -> [u8;32] record of the session's latest invocation (a root)
//! invokables   str name             -> [u8;64] component ++ config: a name for a component with a config (source on a runner)
//! invocations  [u8;32] record       -> JSON InvocationEntry (status, created, component); roots only
//! runs         u128 run id          -> JSON RunHeader   (an invocation still running, or cut off)
//! run_events   (u128 run, u64 seq)  -> postcard Vec<Event>, one chunk of the run's journal
//! memo         [u8;32] sha256(component ++ config ++ input) -> postcard SealedChild of a pure component
//! annotations  [u8;40] root ++ u64 seq (big-endian) -> JSON Annotation: people's feedback on a run or an event
//! expectations str name         -> JSON Expectation: a run whose output is expected
//! timings      [u8;32] root     -> postcard Vec<([u8;32], u64)>: how long the root and each child it ran took, in µs
//! meta         str key              -> u64            `format`: the version of this layout
//! ```
//!
//! Format 6 is this layout. A sealed root invocation is a blob (its canonical
//! JSON record) named by its hash, and `invocations` indexes the roots. Its
//! journal is stored as hash-chained chunks of 256 events
//! (`enact_core::chunks`), each a blob; the record names the last, so runs
//! that agree on a prefix share its chunks. A
//! child is sealed in the `ChildCall` event of its caller's journal
//! (`enact_core::event::SealedChild`: its id, then its record in binary,
//! then its journal and logs), and a sealed root's journal keeps its
//! children in one pack blob, named entry by entry: a tree is written as a
//! few blobs with its root, with no per-child insert at a random place of a
//! content-addressed table. Values, journals, packs and logs are blobs.
//!
//! A blob over 16,000 bytes (a pack, a journal chunk of large events, a big
//! value) is stored in pieces, so that no value in a b-tree is larger: a
//! write or lookup of another blob that lands beside a large one copies or
//! reads one piece, never the whole large blob. The commit of a tree of
//! 1,000 children wrote 1.4 MB and read 1.2 MB back with its pack whole
//! (format 5); in pieces it writes 0.8 MB and reads 0.2 MB.
//!
//! The `timings` of a run are not part of its record: two runs of the same
//! thing are one invocation however long each took.
//!
//! Format 5 was this layout with every blob whole in `blobs`. Format 4 also
//! kept each sealed child's record as its
//! canonical JSON (about 2.5 times the bytes); format 3 also kept each
//! journal as one blob; format 2 sealed every child as a blob of its own,
//! with an index entry, and format 1 also kept compiled code as blobs. This
//! enact refuses them all, naming their format and its own (no release used
//! them, so there is no migration).

use redb::TableDefinition;

/// Content-addressed bytes: components, JSON values, journals, records, of
/// up to [`PIECE_BYTES`].
pub const BLOBS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("blobs");
/// Larger blobs: piece `n` of a blob is its bytes from `n * PIECE_BYTES`.
pub const PIECES: TableDefinition<(&[u8; 32], u32), &[u8]> = TableDefinition::new("pieces");
/// The largest blob kept whole, and the size of a larger one's pieces: a
/// piece with its key and the leaf's header fits a 16 KiB page.
pub const PIECE_BYTES: usize = 16_000;
/// Components that were added, with what `describe` said of them.
pub const COMPONENTS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("components");
/// Mutable names for components.
pub const NAMES: TableDefinition<&str, &[u8; 32]> = TableDefinition::new("names");
/// Names of invokables: a component and the config it runs with (`enact run --name`).
pub const INVOKABLES: TableDefinition<&str, &[u8; 64]> = TableDefinition::new("invokables");
/// Named dialogues: each points at its latest invocation (a flow run awaiting the next turn).
pub const SESSIONS: TableDefinition<&str, &[u8; 32]> = TableDefinition::new("sessions");
/// Index of sealed invocation records.
pub const INVOCATIONS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("invocations");
/// Invocations in progress: written when one starts, removed when it is sealed.
pub const RUNS: TableDefinition<u128, &[u8]> = TableDefinition::new("runs");
/// Journal chunks of runs in progress, in order of `seq`.
pub const RUN_EVENTS: TableDefinition<(u128, u64), &[u8]> = TableDefinition::new("run_events");
/// Finished invocations of pure components, by what they were called with.
pub const MEMO: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("memo");
/// Feedback on invocations: the root's id, then a sequence number.
pub const ANNOTATIONS: TableDefinition<&[u8; 40], &[u8]> = TableDefinition::new("annotations");
/// How long a root and the children it ran took, in microseconds: kept
/// beside the records, since a run's time is no part of what it is.
pub const TIMINGS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("timings");
/// Saved expectations, by name.
pub const EXPECTATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("expectations");
/// What the store says of itself: its `format`.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The layout this code reads and writes.
pub const FORMAT: u64 = 6;
