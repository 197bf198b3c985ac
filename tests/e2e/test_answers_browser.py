"""The answer suggested for a complaint, in a real browser: shown on its alert page, copied in a click, marked helpful.

The replayed scenario of tests/integration/test_answers_scenario.py (shipped classifier), its feed served on a
free port, and headless Debian chromium through Playwright. Screenshots go to tests/artifacts/answers-*.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.config import load_config
from bot.app.web_settings import WebSettings
from bot.web.build import build_server
from tests.conftest import REPO
from tests.integration.test_answers_scenario import LEE, Replayed, replay

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
PASSWORD = "a long responder password"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.process,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (.ci/run installs it)"),
]
sync_api = pytest.importorskip("playwright.sync_api")


def _earshot(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "import sys; from bot.cli.main import app; app(sys.argv[1:])", *args]
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Replayed]]:
    """The replayed scenario's feed, served on a free port (as `earshot run` serves it), with a responder."""
    run = replay(tmp_path)
    env = {**os.environ}
    env.pop("EARSHOT_DATABASE_URL", None)
    user = ("user", "add", "rory", "--role", "responder", "--password-stdin", "-c", str(run.config))
    added = _earshot(env, *user, input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    config = load_config(run.config).model_copy(update={"web": WebSettings(port=0)})
    server = build_server(config, run.store)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}", run
    finally:
        server.stop()
        run.store.engine.dispose()


def test_a_responder_sees_the_earlier_answer_on_the_alert_copies_it_and_marks_it_helpful(
    served: tuple[str, Replayed],
) -> None:
    base, run = served
    lee = run.post_id(LEE)
    with run.store.transaction() as tx:
        [alert] = [i for i in tx.feed.items(_all()) if i.post_id == lee]
    expect = sync_api.expect
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        page.goto(base + "/login")
        page.get_by_label("Username").fill("rory")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/alerts/{alert.id}")
        section = page.locator("#suggested-answers")
        expect(section.get_by_role("heading", name="Answered before")).to_be_visible()
        expect(section.locator("blockquote").first).to_contain_text("turn off air recirculation")
        expect(section).to_contain_text("outcome: open")
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "answers-alert.png"), full_page=True)
        section.get_by_role("button", name="Copy answer").first.click()
        expect(section.get_by_role("button", name="Copied")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "turn off air recirculation" in copied and "care@aurora.example" not in copied
        section.get_by_role("button", name="This helped").first.click()
        expect(page).to_have_url(f"{base}/alerts/{alert.id}")
        page.goto(base + "/answers/gaps?days=3650")
        expect(page.get_by_role("cell", name=re.compile("charged my card twice"))).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "answers-gaps.png"), full_page=True)
        browser.close()
    with run.store.transaction() as tx:
        [note] = tx.suggestions.feedback_on([tx.suggestions.of(lee).items[0].answer_id])
    assert note.helpful


def _all():  # type: ignore[no-untyped-def]
    from bot.store import FeedFilter

    return FeedFilter(limit=50)
