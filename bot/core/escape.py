"""Untrusted text made safe for each kind of output, in one place per output.

Post texts, handles and links are written by strangers. Every output takes them through one
function here: `displayable` (no control characters, terminal escape sequences or bidi overrides,
the base of the others), `for_terminal`, `for_log` (one line, escapes shown), `for_html`,
`template_value` (Jinja's finalize: every string a template prints), `for_slack` (Slack's own escaping:
`&`, `<`, `>`), `for_jira_wiki`, `defang_mentions` (no `@everyone`, `<@U…>` pings in chat) and `terminal_json`.
See docs/delivery.md, "Output safety".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

# ESC/CSI/OSC/DCS sequences, 7-bit and 8-bit, up to their terminator (or the end of the text).
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, erase
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC 8/52/0, DCS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)
# C0 controls but tab and newline, DEL, C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings, overrides, isolates and marks: they reorder what is shown around them.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI}]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# What a log line or a JSON line must not carry raw: every control, bidi, line and paragraph separator.
_UNPRINTABLE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{BIDI}\\u2028\\u2029]")
_JIRA = re.compile(r"([\[\]{}!|\\])")
# Chat mentions that page people: @everyone/@here/@channel, Slack <!here>, <@U123>, Discord <@&123>.
_MENTION = re.compile(r"(?<![\w.+-])@(?=(?:everyone|here|channel|all|group)\b)|<(?=[@!#])", re.IGNORECASE)


def displayable(text: str) -> str:
    """`text` as it may be shown anywhere: escape sequences, control characters (but tab and newline)
    and bidi controls removed; CR, CRLF and Unicode line separators become newlines."""
    if not text:
        return text
    text = _NEWLINES.sub("\n", text)
    text = _SEQUENCES.sub("", text)
    return _BIDI.sub("", _CONTROLS.sub("", text))


def one_line(text: str) -> str:
    """`displayable(text)` on one line: every run of whitespace (newlines too) becomes one space."""
    return " ".join(displayable(text).split())


def for_terminal(text: str) -> str:
    """What a command prints: displayable text (no window titles, clipboard writes, hidden links)."""
    return displayable(text)


def for_log(value: Any) -> str:
    """A value inside a log line: one line, every control, bidi or line-separator character shown as `\\xNN`,
    `\\n`, `\\r` or `\\uNNNN`, so a handle with CR/LF cannot forge a second log line."""
    text = value if isinstance(value, str) else str(value)
    return _UNPRINTABLE.sub(_visible, text) if _UNPRINTABLE.search(text) else text


def for_html(text: str) -> Markup:
    """Text for an HTML page or mail part: displayable, then escaped (`<`, `>`, `&`, quotes)."""
    return escape(displayable(text))


def template_value(value: Any) -> Any:
    """Jinja's `finalize` for every template (the feed, the digest): each string printed is displayable
    before autoescaping; Markup the code built is left alone."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return displayable(value)
    return value


def for_slack(text: str) -> str:
    """Text for a Slack message: displayable, `&`, `<`, `>` escaped as Slack asks, so `<!channel>`,
    `<@U123>` and `<https://evil.example|label>` show as written and do nothing."""
    return displayable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def for_jira_wiki(text: str) -> str:
    """Text for a Jira wiki-markup field (description, comment): displayable, and `[`, `]`, `{`, `}`, `!`,
    `|` backslash-escaped, so `[label|https://evil.example]`, `!https://evil.example/pixel.gif!`,
    `{html}` and `[~user]` mentions show as written."""
    return _JIRA.sub(r"\\\1", displayable(text))


def defang_mentions(text: str) -> str:
    """Text for any chat service: `@everyone`, `@here`, `@channel` and `<@…>`, `<!…>`, `<#…>` tokens get a
    full-width `＠`/`＜`, which no chat service reads as a mention (Discord, Slack, Teams, Mattermost)."""
    return _MENTION.sub(lambda m: "＠" if m.group(0) == "@" else "＜", text)


def terminal_json(value: Any, default: Callable[[Any], Any] = str) -> str:
    """One JSON line that is safe to print: non-ASCII kept readable, but C1 controls, bidi controls and
    line separators written as `\\uNNNN` (json.dumps escapes only C0 by itself)."""
    text = json.dumps(value, ensure_ascii=False, default=default)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
