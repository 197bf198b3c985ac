"""Untrusted text through each output's one gate: terminal, log line, HTML, Slack, chat mentions, links."""

from __future__ import annotations

import json
import logging

import pytest

from bot.app.logs import HumanFormatter, JsonFormatter
from bot.core.escape import (
    defang_mentions,
    displayable,
    for_html,
    for_jira_wiki,
    for_log,
    for_slack,
    terminal_json,
)
from bot.core.links import link, link_to_path
from bot.delivery.channels.base import Notice
from connectors.reddit.parse import parse_thing
from connectors.x.parse import parse_tweet

HOSTILE = (
    "title\x1b]0;PWNED\x07 link\x1b]8;;https://evil.example\x1b\\Open\x1b]8;;\x1b\\ "
    "clip\x1b]52;c;cm0gLXJmIH4=\x07 red\x1b[31m \x9b2J bell\x07 nul\x00 bidi \u202eexe.txt\u202c \u2066iso\u2069"
)


@pytest.mark.parametrize(
    "raw", ["\x1b", "\x07", "\x9b", "\x00", "\u202e", "\u202c", "\u2066", "\u2069", "PWNED", "cm0gLXJmIH4="]
)
def test_displayable_text_carries_no_escape_sequence_control_or_bidi_override(raw: str) -> None:
    assert raw not in displayable(HOSTILE)


def test_displayable_text_keeps_words_newlines_and_emoji() -> None:
    shown = displayable("My AC died 😡\r\nKids were drenched\u2028👨\u200d👩\u200d👧")
    assert shown == "My AC died 😡\nKids were drenched\n👨\u200d👩\u200d👧"
    assert "Open" in displayable(HOSTILE) and "exe.txt" in displayable(HOSTILE)


def test_a_log_value_stays_on_one_line_with_its_controls_shown() -> None:
    assert for_log("dana\r\n12:00:00 INFO forged\u202e") == "dana\\r\\n12:00:00 INFO forged\\u202e"


@pytest.mark.parametrize("formatter", [HumanFormatter(), JsonFormatter()])
def test_a_handle_with_cr_lf_cannot_split_a_log_line(formatter: logging.Formatter) -> None:
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "post from %s", ("x\r\nERROR forged",), None)
    record.handle = "dana\n\x1b[2Jfake"
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    if isinstance(formatter, JsonFormatter):
        assert json.loads(line)["handle"] == "dana\n\x1b[2Jfake"


def test_html_is_escaped_after_controls_are_removed() -> None:
    assert str(for_html('<script>alert(1)</script>\u202e"x"')) == "&lt;script&gt;alert(1)&lt;/script&gt;&#34;x&#34;"


def test_slack_markup_is_shown_as_written() -> None:
    text = "<!channel> <!here> <@U024BE7LH> <https://evil.example|Open in Earshot> & co"
    assert for_slack(text) == (
        "&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|Open in Earshot&gt; &amp; co"
    )


def test_jira_wiki_links_images_macros_and_mentions_are_shown_as_written() -> None:
    text = "[Open in Earshot|https://evil.example] !https://evil.example/p.gif! {html}<b>x</b>{html} [~admin]"
    assert for_jira_wiki(text) == (
        "\\[Open in Earshot\\|https://evil.example\\] \\!https://evil.example/p.gif\\! "
        "\\{html\\}<b>x</b>\\{html\\} \\[~admin\\]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@everyone look", "＠everyone look"),
        ("hey @here and @channel", "hey ＠here and ＠channel"),
        ("<@123456> <@&789> <!channel> <#C1>", "＜@123456> ＜@&789> ＜!channel> ＜#C1>"),
        ("mail jo@here.com, ask @AuroraSupport", "mail jo@here.com, ask @AuroraSupport"),
    ],
)
def test_chat_mentions_are_defanged(text: str, expected: str) -> None:
    assert defang_mentions(text) == expected


def test_json_for_the_terminal_escapes_c1_and_bidi_controls() -> None:
    line = terminal_json({"text": "a\u202eb\x9bc\x85d\u2028é"})
    assert line == '{"text": "a\\u202eb\\u009bc\\u0085d\\u2028é"}'
    assert json.loads(line)["text"] == "a\u202eb\x9bc\x85d\u2028é"


def test_a_notice_is_plain_displayable_text_with_a_one_line_title() -> None:
    notice = Notice(title="a\r\nb\x1b[2J", body=HOSTILE, severity="info", idempotency_key="k", url="https://x\n.com")
    assert notice.title == "a b" and notice.url == "https://x .com"
    assert "\x1b" not in notice.body and "\u202e" not in notice.body


@pytest.mark.parametrize(
    "permalink",
    ["@evil.example/r/cars/", "//evil.example/r/cars", "/\\evil.example", "https://evil.example/x", "/r/../../x"],
)
def test_a_reddit_permalink_never_points_to_another_host(permalink: str) -> None:
    from datetime import UTC, datetime

    data = {"id": "abc", "name": "t3_abc", "author": "dana", "title": "AC died", "selftext": "", "score": 1}
    data |= {"num_comments": 0, "created_utc": 1_700_000_000, "permalink": permalink}
    post = parse_thing("t3", data, datetime.now(UTC), {})
    assert post.url == "https://www.reddit.com/comments/abc"


def test_a_reddit_permalink_on_reddit_is_kept() -> None:
    assert link_to_path("https://www.reddit.com", "/r/cars/comments/abc/ac/") == (
        "https://www.reddit.com/r/cars/comments/abc/ac/"
    )


def test_an_x_link_keeps_a_hostile_handle_and_id_inside_the_path() -> None:
    from datetime import UTC, datetime

    users = {"9": {"id": "9", "username": "a/../../@evil.example"}}
    tweet = {"id": "1?x=@evil.example#", "author_id": "9", "text": "hi", "created_at": "2026-11-20T09:00:00Z"}
    post = parse_tweet(tweet, users, datetime.now(UTC))
    assert post.url == "https://x.com/a%2F..%2F..%2F%40evil.example/status/1%3Fx%3D%40evil.example%23"
    assert link("https://x.com", "..", "i") == "https://x.com/i"
