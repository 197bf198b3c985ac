"""What the browser is told (security headers), and who a client is (the login backoff, trusted proxies)."""

from __future__ import annotations

import re

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from bot.app.config import Config, config_from_document
from bot.app.web_settings import WebSettings
from bot.core.errors import ConfigError
from bot.web.app import create_app
from bot.web.server import FeedServer
from bot.web.throttle import LoginThrottle
from tests.conftest import REPO
from tests.unit.web_support import CONTEXT, KEY, PASSWORD, Feed, feed_fixture  # noqa: F401

PAGES = ("/", "/tickets", "/sources", "/review", "/corrections", "/account", "/users", "/tokens", "/digests")


def _client(feed: Feed, address: str = "198.51.100.1", **settings: object) -> TestClient:
    app = create_app(feed.store, WebSettings(**settings), CONTEXT, secret_key=KEY)  # type: ignore[arg-type]
    return TestClient(app, follow_redirects=False, client=(address, 40000))


def _login(client: TestClient, name: str, password: str, **headers: str) -> httpx.Response:
    form = client.get("/login", headers=headers).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": name, "password": password, "csrf_token": csrf}, headers=headers)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- headers ------------------------------------------------------------------------------


def test_no_answer_may_be_framed_or_sniffed(feed: Feed) -> None:
    anonymous, ada = feed.client(), feed.login("ada")
    answers = [anonymous.get(path) for path in ("/login", "/", "/healthz", "/static/feed.css", "/api/me", "/nowhere")]
    answers += [ada.get(path) for path in (*PAGES, f"/alerts/{feed.alert_id}", "/api/alerts")]
    answers.append(ada.post(f"/alerts/{feed.alert_id}/ack", data={"csrf_token": "forged"}))  # a 403 page
    for answer in answers:
        where = (answer.request.url.path, answer.status_code)
        policy = answer.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, where
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
        assert answer.headers.get("x-frame-options") == "DENY", where
        assert answer.headers.get("x-content-type-options") == "nosniff", where
        assert answer.headers.get("referrer-policy") == "same-origin", where
        assert "strict-transport-security" not in answer.headers, where  # plain http: no HSTS


def test_the_pages_run_under_the_policy_without_inline_script_or_style(feed: Feed) -> None:
    ada = feed.login("ada")
    for path in (*PAGES, f"/alerts/{feed.alert_id}", "/login"):
        page = ada.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", page, re.IGNORECASE), path


def test_an_unexpected_error_is_answered_with_the_headers_too(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("bot.web.pages._items", broken)
    client = feed.login("rory")
    answer = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies).get("/")
    assert answer.status_code == 500 and "a bug" not in answer.text
    assert (
        answer.headers["x-frame-options"] == "DENY" and "frame-ancestors" in answer.headers["content-security-policy"]
    )


def test_hsts_is_sent_over_https_only_and_a_stranger_cannot_claim_https(feed: Feed) -> None:
    secure = TestClient(create_app(feed.store, context=CONTEXT), base_url="https://feed.example")
    assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=")
    claimed = _client(feed).get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in claimed.headers
    assert "secure" not in claimed.headers["set-cookie"].lower()
    proxied = _client(feed, "10.0.0.2", trusted_proxies=["10.0.0.0/8"])
    answer = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in answer.headers and "secure" in answer.headers["set-cookie"].lower()


# --- login backoff ------------------------------------------------------------------------


def test_a_wrong_password_storm_from_one_address_does_not_lock_the_user_out_elsewhere(feed: Feed) -> None:
    attacker = _client(feed, "203.0.113.66")
    attacker.app.state.feed.throttle = LoginThrottle(5, clock=Clock())  # type: ignore[attr-defined]  # time stands still
    answers = [_login(attacker, "rory", "guess").status_code for _ in range(8)]
    assert answers[:5] == [401] * 5 and 429 in answers[5:]
    refused = _login(attacker, "rory", PASSWORD)  # even the right password waits, from that address
    assert refused.status_code == 429 and re.search(r"try again in \d+ s", refused.text)
    assert refused.headers["retry-after"] == "1" and "try again in 1 s" in refused.text
    rory_at_work = TestClient(attacker.app, follow_redirects=False, client=("198.51.100.20", 50000))  # same feed
    assert _login(rory_at_work, "rory", PASSWORD).status_code == 303
    assert _login(attacker, "vera", PASSWORD).status_code == 303  # another user from that address is not held


def test_each_failure_past_the_free_ones_doubles_the_wait_and_waiting_lets_the_user_in(feed: Feed) -> None:
    clock = Clock()
    throttle = LoginThrottle(3, clock=clock)
    waits = []
    for _ in range(7):
        throttle.failed("rory", "203.0.113.66")
        waits.append(throttle.wait_seconds("rory", "203.0.113.66"))
    assert waits == [0, 0, 1, 2, 4, 8, 16]
    for _ in range(30):
        throttle.failed("rory", "203.0.113.66")
    assert throttle.wait_seconds("rory", "203.0.113.66") == 900  # capped at 15 minutes, never a block
    clock.now += 900
    assert throttle.wait_seconds("rory", "203.0.113.66") == 0

    client = _client(feed, "203.0.113.66", login_attempts=2)
    client.app.state.feed.throttle = throttle = LoginThrottle(2, clock=clock)  # type: ignore[attr-defined]
    assert [_login(client, "rory", "guess").status_code for _ in range(3)] == [401, 401, 429]
    assert _login(client, "rory", PASSWORD).status_code == 429
    clock.now += 1
    assert _login(client, "rory", PASSWORD).status_code == 303
    assert throttle.wait_seconds("rory", "203.0.113.66") == 0  # a success clears that address's record


# --- who the client is --------------------------------------------------------------------


def _audited_login_address(feed: Feed, trusted: list[str], forwarded: str) -> str:
    """Log in through a real server (uvicorn) from 127.0.0.1 with this X-Forwarded-For; the address audited."""
    server = FeedServer(create_app(feed.store, WebSettings(trusted_proxies=trusted), CONTEXT), "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert _login(client, "rory", PASSWORD, **{"X-Forwarded-For": forwarded}).status_code == 303  # type: ignore[arg-type]
    finally:
        server.stop()
    with feed.store.transaction() as tx:
        return str(next(a for a in tx.audit.log(target="user:rory") if a.action == "login").detail["address"])


def test_x_forwarded_for_from_a_client_that_is_no_trusted_proxy_is_ignored_even_on_loopback(feed: Feed) -> None:
    assert _audited_login_address(feed, [], "198.51.100.7") == "127.0.0.1"


def test_a_trusted_proxy_names_the_client_and_cannot_be_fooled_by_what_the_client_sent(feed: Feed) -> None:
    assert _audited_login_address(feed, ["127.0.0.1"], "6.6.6.6, 198.51.100.7") == "198.51.100.7"


def test_behind_a_trusted_proxy_each_client_has_its_own_backoff(feed: Feed) -> None:
    proxied = _client(feed, "10.0.0.2", trusted_proxies=["10.0.0.0/8"])
    proxied.app.state.feed.throttle = LoginThrottle(5, clock=Clock())  # type: ignore[attr-defined]
    for _ in range(6):
        _login(proxied, "rory", "guess", **{"X-Forwarded-For": "203.0.113.66"})
    assert _login(proxied, "rory", PASSWORD, **{"X-Forwarded-For": "203.0.113.66"}).status_code == 429
    assert _login(proxied, "rory", PASSWORD, **{"X-Forwarded-For": "198.51.100.20"}).status_code == 303


@pytest.mark.parametrize(
    ("proxies", "message"),
    [
        (["10.0.0.1/8"], "web.trusted_proxies: '10.0.0.1/8' is not an IP address or CIDR network"),
        (["proxy.internal"], "web.trusted_proxies: 'proxy.internal' is not an IP address or CIDR network"),
        ("10.0.0.1", "web.trusted_proxies: must be a list of addresses or CIDR networks"),
    ],
)
def test_trusted_proxies_must_be_addresses_or_networks(proxies: object, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        _config(proxies)


def test_trusted_proxies_take_addresses_and_networks_of_both_families() -> None:
    config = _config(["10.0.0.0/8", "::1", "192.0.2.7"])
    assert [str(n) for n in config.web.proxy_networks] == ["10.0.0.0/8", "::1/128", "192.0.2.7/32"]
    assert WebSettings().trusted_proxies == ()  # nobody is trusted by default


def _config(proxies: object) -> Config:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["web"]["trusted_proxies"] = proxies
    return config_from_document(document, REPO / "config.yaml")
