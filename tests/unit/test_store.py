"""The store behaves the same on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import event, inspect

from bot.core.errors import StoreError
from bot.core.posts import Engagement, EngagementUpdate
from bot.store import Store, intake
from bot.store.stages import STAGE_CLASSIFIED, STAGE_INGESTED
from classifiers.stub import StubClassifier
from tests.conftest import NOW, make_post


def test_schema_is_created_by_migrations(store):
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "post",
        "engagement_snapshot",
        "source_cursor",
        "source_state",
        "classification",
        "alembic_version",
    } <= tables


def test_posts_are_unique_on_source_and_native_id(store):
    first = store.save_batch("x", [make_post("1"), make_post("2")], {"since_id": "2"})
    again = store.save_batch("x", [make_post("2", likes=5, fetched_at=NOW + timedelta(hours=1))], {"since_id": "2"})
    assert (first.new, again.new, again.seen_again) == (2, 0, 1)
    assert store.count_posts() == 2


def test_same_native_id_on_another_source_is_another_post(store):
    store.save_batch("x", [make_post("1")], None)
    store.save_batch("reddit", [make_post("1", source="reddit")], None)
    assert store.count_posts() == 2


def test_seen_again_posts_add_engagement_snapshots(store):
    store.save_batch("x", [make_post("1", likes=1)], None)
    store.save_batch("x", [make_post("1", likes=90, reposts=40, fetched_at=NOW + timedelta(hours=1))], None)
    stored = store.find_post("x", "1")
    snapshots = store.snapshots(stored.id)
    assert [s.likes for s in snapshots] == [1, 90]
    assert snapshots[1].taken_at - snapshots[0].taken_at == timedelta(minutes=59)
    assert stored.post.engagement.reposts == 40  # the post row keeps the newest metrics


def test_the_same_snapshot_twice_is_stored_once(store):
    store.save_batch("x", [make_post("1")], None)
    store.save_batch("x", [make_post("1")], None)
    assert len(store.snapshots(store.find_post("x", "1").id)) == 1


def test_a_post_twice_in_one_batch_is_one_post_with_each_distinct_snapshot(store):
    later = make_post("1", likes=9, fetched_at=NOW + timedelta(hours=1))
    saved = store.save_batch("x", [make_post("1"), make_post("2"), make_post("1"), later], None)
    assert (saved.new, saved.seen_again, store.count_posts()) == (2, 2, 2)
    stored = store.find_post("x", "1")
    assert [s.likes for s in store.snapshots(stored.id)] == [0, 9]
    assert stored.post.engagement.likes == 9


def test_engagement_updates_for_unknown_posts_are_ignored(store):
    store.save_batch("x", [make_post("1")], None)
    update = EngagementUpdate(
        source="x", native_id="1", taken_at=NOW + timedelta(hours=2), engagement=Engagement(likes=7)
    )
    stranger = EngagementUpdate(source="x", native_id="999", taken_at=NOW, engagement=Engagement())
    assert store.save_engagement([update, stranger]) == 1


def test_cursor_is_saved_with_its_batch(store):
    assert store.load_cursor("x") is None
    store.save_batch("x", [make_post("1")], {"since_id": "1"})
    assert store.load_cursor("x") == {"since_id": "1"}


def test_a_crash_mid_batch_saves_neither_posts_nor_cursor(store, monkeypatch):
    store.save_batch("x", [make_post("1")], {"since_id": "1"})
    real = intake.save_cursor

    def crash_after_the_posts(session, source, cursor, now):  # the posts are written, the cursor is next
        if cursor == {"since_id": "3"}:
            raise RuntimeError("power cut")
        return real(session, source, cursor, now)

    monkeypatch.setattr(intake, "save_cursor", crash_after_the_posts)
    with pytest.raises(RuntimeError, match="power cut"):
        store.save_batch("x", [make_post("2"), make_post("3")], {"since_id": "3"})
    assert store.count_posts() == 1
    assert store.load_cursor("x") == {"since_id": "1"}


def test_a_post_twice_in_one_batch_is_one_post_with_both_snapshots(store):
    later = NOW + timedelta(minutes=30)
    result = store.save_batch("x", [make_post("7", likes=1), make_post("7", likes=9, fetched_at=later)], None)
    assert (result.new, result.seen_again, result.snapshots) == (1, 1, 2)
    stored = store.find_post("x", "7")
    assert stored is not None and stored.post.engagement.likes == 9  # the row keeps the newest
    assert [s.likes for s in store.snapshots(stored.id)] == [1, 9]
    again = store.save_batch("x", [make_post("7", likes=9, fetched_at=later)], None)
    assert (again.new, again.seen_again, again.snapshots) == (0, 1, 0)


def test_times_come_back_timezone_aware(store):
    store.save_batch("x", [make_post("1")], None)
    post = store.find_post("x", "1").post
    assert post.created_at == NOW and post.created_at.tzinfo is not None


def test_labels_move_posts_to_classified(store):
    store.save_batch("x", [make_post("1"), make_post("2", text="thanks, love it")], None)
    pending = store.pending(STAGE_INGESTED, 10)
    labels = StubClassifier().classify([p.post for p in pending])
    store.save_labels(list(zip([p.id for p in pending], labels, strict=True)))
    store.save_labels(list(zip([p.id for p in pending], labels, strict=True)))  # idempotent
    assert store.count_posts(STAGE_CLASSIFIED) == 2
    assert store.labels(pending[0].id).complaint is True


def test_a_batch_of_labels_is_stored_in_one_statement_per_table(store):
    store.save_batch("x", [make_post(str(i), text=f"order {i} is late") for i in range(20)], None)
    pending = store.pending(STAGE_INGESTED, 30)
    labels = StubClassifier().classify([p.post for p in pending])
    statements: list[str] = []
    listen = lambda _conn, _cursor, sql, *_: statements.append(" ".join(sql.split()[:3]))  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        store.save_labels(list(zip([p.id for p in pending], labels, strict=True)), skip=[pending[0].id])
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    writes = sorted(s for s in statements if not s.startswith("SELECT"))
    assert writes == ["INSERT INTO classification", "UPDATE post SET"], statements
    assert store.count_posts(STAGE_CLASSIFIED) == 19 and store.count_posts("skipped") == 1
    assert store.labels(pending[5].id) == labels[5]


def test_intake_counts_per_source(store):
    store.save_batch("replay", [make_post("1"), make_post("2")], None, skipped=3)
    state = store.source_state("replay")
    assert (state.posts_today, state.posts_total, state.skipped_total) == (2, 2, 3)


def test_unreachable_database_is_a_clear_store_error():
    with pytest.raises(StoreError, match="cannot reach the database"):
        Store.open("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_upgrade_keeps_data(store_url):
    """Opening an existing database runs pending migrations without touching rows."""
    first = Store.open(store_url)
    first.save_batch("x", [make_post("1")], None)
    first.engine.dispose()
    again = Store.open(store_url)
    assert again.count_posts() == 1
    again.engine.dispose()


def test_posts_and_their_cursor_commit_together_or_not_at_all(store):
    """A cursor that cannot be written takes its posts down with it: one transaction, never two."""
    unstorable = {"since_id": object()}  # not JSON: fails when the cursor row is written
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises; what matters is what is left
        store.save_batch("x", [make_post("1"), make_post("2")], unstorable)
    assert store.count_posts() == 0
    assert store.load_cursor("x") is None
    assert store.save_batch("x", [make_post("1")], {"since_id": "1"}).new == 1  # nothing half-stored blocks a retry


def test_the_mentions_migration_fills_the_new_fields_from_stored_payloads(tmp_path):
    """0008_post_mentions: X posts stored before it get their mentions, Reddit posts their community."""
    import sqlalchemy as sa

    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    upgrade(engine, "0005_alert_reply")
    post = sa.table(
        "post",
        *(sa.column(c) for c in ("id", "source", "native_id", "kind", "author_verified", "text", "url")),
        *(sa.column(c) for c in ("created_at", "fetched_at", "is_deleted", "likes", "reposts", "replies", "quotes")),
        sa.column("raw", sa.JSON),
        sa.column("stage"),
        sa.column("stage_at"),
        sa.column("review_due"),
    )
    common = dict(
        kind="post",
        author_verified=False,
        text="t",
        url="u",
        created_at=NOW,
        fetched_at=NOW,
        is_deleted=False,
        likes=0,
        reposts=0,
        replies=0,
        quotes=0,
        stage="ingested",
        stage_at=NOW,
        review_due=False,
    )
    with engine.begin() as connection:
        connection.execute(
            post.insert().values(
                id=1,
                source="x",
                native_id="1",
                **common,
                raw={"entities": {"mentions": [{"username": "AuroraMotors"}]}},
            )
        )
        connection.execute(
            post.insert().values(id=2, source="reddit", native_id="t3_a", **common, raw={"subreddit": "AuroraMotors"})
        )
    engine.dispose()
    store = Store.open(url)
    assert store.find_post("x", "1").post.mentions == ("auroramotors",)
    assert store.find_post("reddit", "t3_a").post.community == "AuroraMotors"
    store.engine.dispose()
