use std::sync::Arc;

use enact::{Digest, Event, InvocationRecord, Outcome, ReplayError, RunError, Runtime};

use crate::support::{Home, guest, seeded_runtime};

fn add(rt: &Runtime, name: &str) -> Digest {
    let bytes = std::fs::read(guest("rust", name)).expect("the guest");
    rt.add(&bytes, Some(name)).expect("the guest is added").0
}

#[test]
fn record_then_replay_is_identical_for_every_guest() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 1);
    let cases = [
        ("dice", r#"{"sides":20}"#, r#"{"n":50}"#),
        ("clock", "{}", "null"),
        ("echo", "{}", r#"{"nested":{"list":[1,2.5,"three"]}}"#),
    ];
    for (name, config, input) in cases {
        let component = add(&rt, name);
        let recorded = rt.invoke(enact::Call::new(component).config(config).input(input)).expect("invoke");
        assert_eq!(recorded.record.outcome.status(), "completed", "{name}");
        let replay = rt.replay(&recorded.id).expect("replay");
        assert!(replay.identical, "{name}");
        assert_eq!(replay.invocation.id, recorded.id, "{name}");
        assert_eq!(replay.invocation.output, recorded.output, "{name}");
        assert_eq!(
            rt.journal_of(&replay.invocation.record).expect("journal"),
            rt.journal_of(&recorded.record).expect("journal"),
            "{name}"
        );
    }
}

#[test]
fn replay_serves_recorded_values_not_live_ones() {
    let home = Home::new();
    let recorded = {
        let rt = seeded_runtime(&home, 1);
        let dice = add(&rt, "dice");
        rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":20}"#)).expect("invoke")
    };
    // Another seed would roll other dice: the replay must not draw any.
    let rt = seeded_runtime(&home, 2);
    let replay = rt.replay(&recorded.id).expect("replay");
    assert!(replay.identical);
    assert_eq!(replay.invocation.output, recorded.output);

    let dice = rt.resolve_component("dice").expect("dice");
    let fresh = rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":20}"#)).expect("invoke");
    assert_ne!(fresh.output, recorded.output, "a live run with another seed differs");
}

/// Stores `record` with `journal` in place of its own, as a store that does
/// not match its guest would hold; returns the forged invocation's id.
fn forge(rt: &Runtime, record: &InvocationRecord, journal: &[Event]) -> Digest {
    let mut forged = record.clone();
    let chunks = enact::chunks::chunks(journal);
    rt.storage()
        .write(|w| w.put_hashed_blobs(chunks.iter().map(|(digest, bytes)| (digest, bytes.as_slice()))))
        .expect("write");
    forged.journal = chunks.last().expect("a chunk").0;
    forged.events = journal.len() as u64;
    crate::support::store_record(rt, &forged)
}

#[test]
fn a_request_other_than_the_recorded_one_is_a_divergence_naming_the_index() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 3);
    let dice = add(&rt, "dice");
    let recorded = rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":3}"#)).expect("invoke");
    let mut journal = rt.journal_of(&recorded.record).expect("journal");
    journal[1] = Event::ClockNow { seconds: 1, nanoseconds: 0 };
    let forged = forge(&rt, &recorded.record, &journal);

    let err = rt.replay(&forged).expect_err("a divergence");
    assert!(matches!(err, ReplayError::Run(RunError::Divergence(_))), "{err:?}");
    assert_eq!(
        err.to_string(),
        "replay diverged at event 1: the journal recorded `clock.now` but the guest asked for `random.next-u64`"
    );
}

#[test]
fn a_guest_that_asks_for_more_than_the_journal_holds_diverges() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 4);
    let dice = add(&rt, "dice");
    let recorded = rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":3}"#)).expect("invoke");
    let journal = rt.journal_of(&recorded.record).expect("journal");
    let forged = forge(&rt, &recorded.record, &journal[..2]);
    let err = rt.replay(&forged).expect_err("a divergence").to_string();
    assert_eq!(
        err,
        "replay diverged at event 2: the journal recorded `the end of the journal` but the guest asked for `random.next-u64`"
    );
}

#[test]
fn a_guest_that_finishes_before_the_journal_ends_diverges() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 5);
    let dice = add(&rt, "dice");
    let recorded = rt.invoke(enact::Call::new(dice).config("{}").input(r#"{"n":2}"#)).expect("invoke");
    let mut journal = rt.journal_of(&recorded.record).expect("journal");
    journal.push(Event::RandomU64 { value: 7 });
    let forged = forge(&rt, &recorded.record, &journal);
    let err = rt.replay(&forged).expect_err("a divergence").to_string();
    assert_eq!(err, "replay diverged: the guest finished after 2 events but the journal holds 3");
}

#[test]
fn a_different_output_from_the_same_journal_is_a_divergence() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 6);
    let echo = add(&rt, "echo");
    let recorded = rt.invoke(enact::Call::new(echo).config("{}").input("1")).expect("invoke");
    let mut record = recorded.record.clone();
    record.outcome = Outcome::Completed { output: rt.storage().write(|w| w.put_blob(b"2")).expect("write") };
    let forged_output = crate::support::store_record(&rt, &record);
    let err = rt.replay(&forged_output).expect_err("a divergence").to_string();
    assert_eq!(err, "replay diverged: the output `1` differs from the recorded `2`");
}

#[test]
fn a_failed_invocation_replays_as_failed() {
    let home = Home::new();
    let rt = seeded_runtime(&home, 7);
    let fail = add(&rt, "fail");
    let failed = rt.invoke(enact::Call::new(fail).config("{}").input(r#""no luck""#)).expect("invoke");
    assert_eq!(failed.record.outcome.status(), "failed");
    let replay = rt.replay(&failed.id).expect("replay");
    assert!(replay.identical);
}

#[test]
fn the_journal_is_persisted_while_the_invocation_runs() {
    // More events than one flush: the chunks are written and then folded into
    // the sealed journal; nothing of the run is left behind.
    let home = Home::new();
    let rt = seeded_runtime(&home, 8);
    let dice = add(&rt, "dice");
    let n = enact::FLUSH_EVERY * 2 + 10;
    let inv = rt.invoke(enact::Call::new(dice).config("{}").input(&format!(r#"{{"n":{n}}}"#))).expect("invoke");
    assert_eq!(inv.record.events, n as u64);
    let reader = rt.storage().read().expect("read");
    assert!(reader.runs::<serde_json::Value>().expect("runs").is_empty());
    drop(reader);
    let _ = Arc::new(());
    assert!(rt.replay(&inv.id).expect("replay").identical);
}

#[test]
fn a_missing_recorded_blob_fails_the_replay_and_seals_nothing() {
    let home = Home::new();
    home.add_rust("roll-die");
    home.add_rust("roll-sum");
    let out = home.enact(&["invoke", "roll-sum", "--input", r#"{"n":3}"#, "--json"]).success().json();
    let id = out["invocation"].as_str().expect("id");
    let tree = home.enact(&["show", id, "--json"]).json();
    let first = tree["children"][0]["output"].to_string();
    let output = enact::Digest::of(first.as_bytes());
    crate::support::remove_blob(&home, &output);

    let before = home.contents();
    // an exact replay, and one that goes on live as a new invocation
    for args in [vec!["replay", id], vec!["replay", id, "--override", "2=7"]] {
        let replay = home.enact(&args);
        assert_eq!(replay.code(), 2, "{args:?}: {}", replay.stderr());
        assert!(replay.stderr().contains(&format!("blob `{output}` is missing")), "{args:?}: {}", replay.stderr());
        assert_eq!(home.contents(), before, "{args:?}: no invocation was sealed");
    }
}
