//! Every read path of the application layer, on the public tier (the default), against records
//! that hold confidential values: none of them may appear in what a reader gets. A new read path
//! goes in this list.

use armtrace_app::evidence::EvidenceAdd;
use armtrace_app::items::{ItemFields, ItemQuery, marking_arg};
use armtrace_app::{App, Config, Identity, Location};
use armtrace_core::evidence::Collection;

/// Values the public tier must never show.
const SECRETS: &[&str] = &[
    // Exact sensitive coordinates (the public tier rounds them to 0.1°).
    "36.345678",
    "43.123456",
    // Who collected and posted the evidence, and where.
    "secret-uploader",
    "secret-collector",
    "secret.example",
    "secret-post-77",
    "archive.example",
    // The file's own name (it may carry an uploader's handle).
    "photo-of-secret-handle",
    // Team members: the author, the reviewer.
    "amira",
    "rhoda",
];

fn clean(what: &str, value: &impl serde::Serialize) {
    let text = serde_json::to_string(value).unwrap_or_else(|e| panic!("{what}: {e}"));
    for s in SECRETS {
        assert!(
            !text.contains(s),
            "{what} shows '{s}' in the public tier:\n{text}"
        );
    }
}

#[tokio::test]
async fn no_read_path_shows_a_confidential_value_in_the_public_tier() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = Config::new(Location::Sqlite(dir.path().join("t.db")));
    let (app, _) = armtrace_app::init::init(&config, Some("owner"))
        .await
        .unwrap_or_else(|e| panic!("init: {e}"));
    let owner = Identity::user("owner");
    for (name, role) in [
        ("amira", "investigator"),
        ("rhoda", "reviewer"),
        ("vic", "viewer"),
    ] {
        app.add_user(&owner, name, role)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let amira = Identity::user("amira");
    app.add_investigation(&amira, "Mosul", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for m in ["rhoda", "vic"] {
        app.add_member(&amira, "Mosul", m)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let fields = ItemFields {
        item_ref: Some("CAR-1".into()),
        model: Some("Type 56".into()),
        lat: Some("36.345678".into()),
        lon: Some("43.123456".into()),
        precision_m: Some("20".into()),
        sensitive_location: Some("true".into()),
        date: Some("2014-06".into()),
        possessor: Some("Islamic State".into()),
        markings: vec![marking_arg("receiver:digits:66").unwrap_or_else(|e| panic!("{e}"))],
        ..ItemFields::default()
    };
    app.add_item(&amira, "Mosul", &fields, "test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = ItemFields {
        item_ref: Some("CAR-2".into()),
        ..fields.clone()
    };
    app.add_item(&amira, "Mosul", &second, "test")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.merge_items(&amira, "CAR-1", &["CAR-2".into()], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.review_item(
        &Identity::user("rhoda"),
        "CAR-1",
        None,
        "verified",
        "markings match",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("photo-of-secret-handle.bin");
    std::fs::write(&file, b"not really a photo").unwrap_or_else(|e| panic!("{e}"));
    let copy = dir.path().join("copy.bin");
    std::fs::write(&copy, b"not really a photo").unwrap_or_else(|e| panic!("{e}"));
    app.add_evidence(
        &amira,
        &EvidenceAdd {
            files: vec![file],
            item: Some("CAR-1".into()),
            collection: Collection {
                original_url: Some("https://secret.example/post/1".into()),
                platform: Some("telegram".into()),
                post_id: Some("secret-post-77".into()),
                uploader: Some("secret-uploader".into()),
                retrieved_at: None,
                retrieved_by: Some("secret-collector".into()),
                archive_url: Some("https://archive.example/x".into()),
            },
            ..EvidenceAdd::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // The confidential tier does hold them (so the checks below cannot pass vacuously).
    let confidential = app
        .item(
            &amira,
            "CAR-1",
            None,
            Some(armtrace_app::Tier::Confidential),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = serde_json::to_string(&confidential).unwrap_or_default();
    assert!(
        text.contains("36.345678") && text.contains("amira"),
        "{text}"
    );

    for who in ["vic", "amira", "rhoda"] {
        let by = Identity::user(who);
        let detail = app
            .item(&by, "CAR-1", None, None)
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        clean(&format!("{who}: item"), &detail);
        let sighting = app
            .item(&by, "CAR-2", None, None)
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}"));
        clean(&format!("{who}: sighting"), &sighting);
        for sightings in [false, true] {
            let q = ItemQuery {
                sightings,
                ..ItemQuery::default()
            };
            let list = app.items(&by, &q).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(list.count, 1 + usize::from(sightings), "{who}");
            clean(&format!("{who}: items list"), &list);
            let page = app
                .items(
                    &by,
                    &ItemQuery {
                        limit: Some(1),
                        ..q
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            clean(&format!("{who}: items page"), &page);
        }
        for group in ["made_in", "possessor", "country", "status", "route_basis"] {
            let counts = app
                .item_counts(&by, &ItemQuery::default(), group)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            clean(&format!("{who}: count by {group}"), &counts);
        }
        let evidence = app
            .evidence(&by, None, None, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(evidence.evidence.len(), 1, "{who}");
        clean(&format!("{who}: evidence"), &evidence);
        let of_item = app
            .evidence(&by, None, Some("CAR-1"), None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        clean(&format!("{who}: evidence of an item"), &of_item);
        let dupes = app
            .evidence_duplicates(&by, None, 10, None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        clean(&format!("{who}: duplicates"), &dupes);
    }
    // A public export's manifest.
    let out = dir.path().join("out");
    let exported = app
        .export_evidence(
            &amira,
            &[confidential.evidence_links[0].sha256[..12].to_string()],
            &out,
            None,
            None,
        )
        .await;
    // A file of unknown type cannot be stripped, so the public tier refuses it rather than leak.
    assert!(exported.is_err(), "{exported:?}");
    assert!(!out.join("manifest.json").exists());
    let _: &App = &app;
}
