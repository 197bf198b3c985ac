"""The feed in a real browser (headless Debian chromium, Playwright) beside `earshot run` on the demo stream.

A responder made with `earshot user add` logs in, sees a new alert arrive without reloading (stored by
another process), acknowledges it with the keyboard and its escalation stops in the store; filters by
urgency, opens an incident and its chart, submits a correction, makes and revokes an API token, all
without a Content Security Policy violation; after logout the saved cookie opens nothing.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.app.config import load_config
from bot.core.clock import utcnow
from bot.delivery import Outbox
from bot.store import FeedFilter, Store
from tests.conftest import REPO
from tests.unit.delivery_support import message

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
PASSWORD = "a long responder password"
LAUNCHER = """
import sys, classifiers
from classifiers.stub import StubClassifier
classifiers.load_classifier = lambda settings, **_: StubClassifier()  # the demo without minutes of model loading
from bot.cli.main import app
app(sys.argv[1:])
"""
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def _earshot(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "import sys; from bot.cli.main import app; app(sys.argv[1:])", *args]
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """`earshot run` on the demo stream with its feed on a free port; (base URL, config, env)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    config["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "EARSHOT_DATABASE_URL": f"sqlite:///{tmp_path / 'earshot.db'}", "EARSHOT_WEB_PORT": "0"}
    env["PYTHONUNBUFFERED"] = "1"
    added = _earshot(
        env,
        "user",
        "add",
        "rory",
        "--role",
        "responder",
        "--password-stdin",
        "-c",
        str(config_path),
        input=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, "run", "-c", str(config_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base, said = "", []
    try:
        for line in process.stdout:  # type: ignore[union-attr]
            said.append(line)
            found = re.search(r"feed listening\s+url=(http://\S+)", line)
            if found:
                base = found.group(1)
            if base and "route stage handled" in line:
                break
        assert base, "".join(said)
        yield base, config_path, env
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, "".join(said) + rest
    assert "earshot stopped cleanly" in rest and "feed stopped" in rest


def _store_alert(config_path: Path, env: dict[str, str], title_key: str) -> int:
    """Another process stores a new alert, as the route stage would."""
    config = load_config(config_path)
    store = Store.open(env["EARSHOT_DATABASE_URL"])
    with store.transaction() as tx:
        post_id = tx.feed.items(FeedFilter(limit=1))[0].post_id
        outbox = Outbox(tickets=config.routing.tickets, alerts=config.routing.alerts)
        alert_id = outbox.enqueue_alert(
            tx, post_id=post_id, message=message(title_key, "support", "Brakes failed", utcnow())
        )
    store.engine.dispose()
    return alert_id


def _alert_row(env: dict[str, str], alert_id: int) -> tuple[object, object, list[str]]:
    store = Store.open(env["EARSHOT_DATABASE_URL"])
    with store.transaction() as tx:
        state = tx.alerts.state(alert_id)
        audit = [a.action for a in tx.audit.log(target=f"alert:{alert_id}")]
    store.engine.dispose()
    assert state is not None
    return state.acked_by, state.next_escalation_at, audit


def _unacked(env: dict[str, str]) -> int:
    store = Store.open(env["EARSHOT_DATABASE_URL"])
    with store.transaction() as tx:
        count = tx.feed.unacked_count()
    store.engine.dispose()
    return count


def test_a_responder_sees_an_alert_arrive_live_and_acknowledges_it(daemon: tuple[str, Path, dict[str, str]]) -> None:
    base, config_path, env = daemon
    expect = sync_api.expect
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        anonymous = browser.new_page()
        anonymous.goto(base + "/tickets")
        assert anonymous.url.startswith(base + "/login")

        page = browser.new_page(viewport={"width": 1280, "height": 900})
        refused: list[str] = []  # anything the Content Security Policy blocked
        page.on("console", lambda line: refused.append(line.text) if "Content Security Policy" in line.text else None)
        page.goto(base + "/")
        page.get_by_label("Username").fill("rory")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("article").first).to_be_visible()
        expect(page.locator("#live-status")).to_have_text(re.compile("Live"))
        assert re.match(r"\((\d+)\)", page.title())  # the title leads with the unacknowledged count

        alert_id = _store_alert(config_path, env, "live-e2e")
        arrived = page.get_by_role("article", name=re.compile(r"^Alert live-e2e"))
        expect(arrived).to_be_visible(timeout=5000)  # the SSE poll is 0.5 s: well inside the 2 s promised
        assert _alert_row(env, alert_id)[0] is None  # counted unacknowledged (the daemon may ack others meanwhile)
        expect(page).to_have_title(re.compile(rf"^\({_unacked(env)}\)"))
        page.screenshot(path=str(ARTIFACTS / "feed-desktop.png"))

        page.locator("body").click(position={"x": 5, "y": 5})
        for _ in range(60):
            page.keyboard.press("j")
            if page.locator(f"#alert-{alert_id}.selected").count():
                break
        page.keyboard.press("a")
        expect(arrived.get_by_role("button", name="Acknowledge")).to_be_disabled()
        acked_by, next_escalation, audit = _alert_row(env, alert_id)
        assert acked_by == "rory" and next_escalation is None and audit == ["ack"]
        expect(page).to_have_title(re.compile(rf"^\({_unacked(env)}\)"))  # the daemon may add alerts meanwhile

        page.get_by_label("Urgency").select_option("critical")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"urgency=critical"))
        urgencies = page.locator("article.alert").evaluate_all("els => els.map(e => e.dataset.urgency)")
        assert urgencies and set(urgencies) == {"critical"}

        page.get_by_role("link", name=re.compile(r"^incident #")).first.click()
        chart = page.get_by_role("img", name=re.compile("Timeline chart"))
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.naturalWidth") > 0
        page.screenshot(path=str(ARTIFACTS / "incident-desktop.png"), full_page=True)

        page.goto(f"{base}/alerts/{alert_id}")
        page.get_by_role("button", name="Not a complaint").click()
        page.goto(base + "/corrections")
        expect(page.get_by_role("cell", name="not a complaint").first).to_be_visible()

        page.goto(base + "/account")
        page.get_by_label("Token name").fill("pager bot")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_role("status")).to_contain_text("esk_")
        expect(page.get_by_role("cell", name="pager bot", exact=True)).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "account-tokens.png"), full_page=True)
        page.get_by_role("button", name="Revoke token pager bot").click()
        expect(page.get_by_role("cell", name="No API tokens.")).to_be_visible()
        assert not refused, refused  # the live feed, actions and charts all ran under the policy

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(base + "/")
        expect(phone.get_by_role("article").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        phone.screenshot(path=str(ARTIFACTS / "feed-phone.png"))

        saved = page.context.cookies()
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/login"))
        replay = browser.new_context()
        replay.add_cookies(saved)  # the cookie saved before logout
        again = replay.new_page()
        again.goto(base + "/")
        assert again.url.startswith(base + "/login")
        browser.close()
