//! Every redb table of the store, in one place: this file is the on-disk format.
//!
//! ```text
//! blobs        [u8;32] sha256       -> bytes          content-addressed; verified on every read
//! components   [u8;32] component    -> JSON ComponentInfo (size, metadata, imports)
//! names        str name             -> [u8;32] component
//! invocations  [u8;32] record       -> JSON InvocationEntry (status, created, component)
//! runs         u128 run id          -> JSON RunHeader   (an invocation still running, or cut off)
//! run_events   (u128 run, u64 seq)  -> postcard Vec<Event>, one chunk of the run's journal
//! memo         [u8;32] sha256(component ++ config ++ input) -> [u8;32] invocation of a pure component
//! meta         str key              -> u64            `format`: the version of this layout
//! ```
//!
//! Format 2 is this layout. Format 1 (no `meta` table) also had `artifacts`,
//! compiled code as blobs; opening such a store drops them (compiled code
//! is a cache of each machine, kept as files beside the store).
//!
//! A sealed invocation is a blob (its canonical JSON record) named by its hash;
//! `invocations` only indexes the records. Values, journals and logs are blobs too.

use redb::TableDefinition;

/// Content-addressed bytes: components, JSON values, journals, records.
pub const BLOBS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("blobs");
/// Components that were added, with what `describe` said of them.
pub const COMPONENTS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("components");
/// Mutable names for components.
pub const NAMES: TableDefinition<&str, &[u8; 32]> = TableDefinition::new("names");
/// Index of sealed invocation records.
pub const INVOCATIONS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("invocations");
/// Invocations in progress: written when one starts, removed when it is sealed.
pub const RUNS: TableDefinition<u128, &[u8]> = TableDefinition::new("runs");
/// Journal chunks of runs in progress, in order of `seq`.
pub const RUN_EVENTS: TableDefinition<(u128, u64), &[u8]> = TableDefinition::new("run_events");
/// Format 1's compiled code per (component, engine compatibility hash); dropped by the migration to 2.
pub const OLD_ARTIFACTS: TableDefinition<&[u8; 64], &[u8; 32]> = TableDefinition::new("artifacts");
/// Finished invocations of pure components, by what they were called with.
pub const MEMO: TableDefinition<&[u8; 32], &[u8; 32]> = TableDefinition::new("memo");
/// What the store says of itself: its `format`.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The layout this code reads and writes.
pub const FORMAT: u64 = 2;
