"""/healthz, /readyz and /metrics: open to probes, /metrics behind its token when one is set."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, Counter

from bot.app.web_settings import WebSettings
from bot.core.clock import utcnow
from bot.store import Store
from bot.web.app import FeedContext, create_app

PROBE = Counter("earshot_feed_test_probe", "A metric the test registers on the default registry.")


def test_healthz_says_alive(sqlite_store: Store) -> None:
    assert TestClient(create_app(sqlite_store)).get("/healthz").json() == {"status": "alive"}


def test_readyz_is_503_with_the_reasons_until_the_model_is_loaded_and_sources_are_ok(sqlite_store: Store) -> None:
    loaded: list[str] = ["the model is not loaded yet"]
    client = TestClient(create_app(sqlite_store, context=FeedContext(problems=lambda: loaded)))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["problems"] == ["the model is not loaded yet"]
    loaded.clear()
    assert client.get("/readyz").status_code == 200
    state = sqlite_store.source_state("x")
    sqlite_store.save_source_state(replace(state, status="failing", failing_since=utcnow(), last_error="HTTP 503"))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["problems"] == ["source x is failing"]


def test_readyz_is_503_when_the_database_is_gone(sqlite_store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(create_app(sqlite_store))
    sqlite_store.engine.dispose()
    (tmp_path / "earshot.db").unlink()
    (tmp_path / "earshot.db").mkdir()  # a directory where the database was: unreadable
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "the database is unreachable" in answer.json()["problems"]


def test_metrics_serve_the_default_registry_and_take_a_bearer_token_when_set(sqlite_store: Store) -> None:
    PROBE.inc()
    open_client = TestClient(create_app(sqlite_store))
    assert "earshot_feed_test_probe_total" in open_client.get("/metrics").text
    guarded = TestClient(create_app(sqlite_store, WebSettings(metrics_token="s3cret")))
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = guarded.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert answer.status_code == 200 and "earshot_feed_test_probe_total" in answer.text
    assert REGISTRY is not None
