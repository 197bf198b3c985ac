"""Writes a complete, commented config.yaml for a brand from its answers and its industry's template."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.onboarding.templates import Template, load_template

SKELETON = Path(__file__).parent / "skeleton.yaml"


@dataclass(frozen=True, kw_only=True)
class Answers:
    """What `earshot init` asks: the brand, its accounts and names, its communities and its industry."""

    brand: str
    industry: str
    handles: Sequence[str] = ()  # the brand's own accounts, without '@'
    aliases: Sequence[str] = ()  # short names people use ("Northwind" for "Northwind Air")
    products: Sequence[str] = ()
    subreddits: Sequence[str] = ()  # its communities, without 'r/'
    ambiguous: Sequence[str] = ()  # names that also mean something else
    not_about: Sequence[str] = ()  # what those names also mean
    replay: str | None = None  # a recorded stream to try the config on, instead of the live APIs
    shadow: bool = True  # start in shadow mode: nothing is sent until the user says so
    extra_responders: Sequence[str] = field(default=())  # more accounts that speak for the brand on X

    def __post_init__(self) -> None:
        if not self.brand.strip():
            raise ValueError("the brand's name must not be empty")
        object.__setattr__(self, "handles", _clean(self.handles, "@"))
        object.__setattr__(self, "subreddits", _clean(self.subreddits, "r/"))
        object.__setattr__(self, "aliases", _clean(self.aliases))
        object.__setattr__(self, "products", _clean(self.products))
        object.__setattr__(self, "ambiguous", _clean(self.ambiguous))
        object.__setattr__(self, "extra_responders", _clean(self.extra_responders, "@"))


def _clean(values: Sequence[str], prefix: str = "") -> tuple[str, ...]:
    """Stripped, without the prefix ('@', 'r/'), empty ones and repeats dropped, in order."""
    out = (v.strip().removeprefix(prefix).removeprefix("/r/").strip() for v in values)
    return tuple(dict.fromkeys(v for v in out if v))


def credentials(answers: Answers) -> list[tuple[str, str]]:
    """(environment variable, what needs it) for the config `answers` make: names only, never values."""
    if answers.replay:
        return []
    return [
        ("X_BEARER_TOKEN", "the X connector (connectors.x)"),
        ("REDDIT_CLIENT_ID", "the Reddit connector (connectors.reddit), a read-only app"),
        ("REDDIT_CLIENT_SECRET", "the Reddit connector (connectors.reddit)"),
    ]


def render(answers: Answers) -> str:
    """The whole config.yaml text for `answers`: commented, valid, in shadow mode unless told otherwise."""
    template = load_template(answers.industry)
    rest = SKELETON.read_text(encoding="utf-8").split("\n\n", 1)[1]
    for key, value in {
        "@@TOPICS@@": _topics(template),
        "@@RISK_SIGNALS@@": _risk_signals(template),
        "@@VIRAL_KEYWORDS@@": _flow(template.viral_keywords),
        "@@QUESTION_KEYWORDS@@": _flow(template.question_keywords),
    }.items():
        rest = rest.replace(key, value)
    return "\n".join([_header(answers, template), _brand(answers, template), _top(answers), _connectors(answers), rest])


def _flow(values: Sequence[str]) -> str:
    """A YAML flow list (JSON is YAML)."""
    return json.dumps(list(values), ensure_ascii=False)


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header(answers: Answers, template: Template) -> str:
    secrets = credentials(answers)
    lines = [
        f"# Earshot configuration for {answers.brand} ({template.title}), written by `earshot init`.",
        "# Check it with `earshot check-config`; the guide is docs/onboarding.md.",
        "# Secrets never live here: they come from the environment. This config needs:",
        *(f"#   {name:<22} {what}" for name, what in secrets),
        *(["#   (none: it replays a recorded stream)"] if not secrets else []),
        "# and, when you turn them on: ZENDESK_API_TOKEN, JIRA_API_TOKEN, EARSHOT_WEBHOOK_SECRET (ticket sinks),",
        "# EARSHOT_SMTP_PASSWORD (the digest), and the tokens in your alert channel URLs (docs/delivery.md).",
        "# ${NAME} and ${NAME:-default} expand from the environment.",
        "",
    ]
    return "\n".join(lines)


def _brand(answers: Answers, template: Template) -> str:
    about = template.about.format(name=answers.brand)
    if answers.products:
        about += f"; its products {', '.join(answers.products)}"
    responders = list(dict.fromkeys([*answers.handles, *answers.extra_responders]))
    return "\n".join(
        [
            "brand:",
            f"  name: {_text(answers.brand)}",
            f"  handles: {_flow(answers.handles)}     # its own accounts, without '@': never tickets",
            "  responders:                    # who speaks for the brand: their replies are its public answers",
            f"    x: {_flow(responders)}",
            f"    reddit: {_flow(answers.handles)}   # its Reddit accounts, if they differ",
            "  # A post naming none of these, outside these subreddits, is not about the brand: stored, never routed",
            "  # (`earshot sources` counts them per source each day, with examples).",
            f"  aliases: {_flow(answers.aliases)}     # short names people use",
            f"  products: {_flow(answers.products)}",
            f"  subreddits: {_flow(answers.subreddits)}   # its communities: every post there is about it",
            f"  ambiguous: {_flow(answers.ambiguous)}     # names that also mean something else: the model decides",
            f"  about: {_text(about)}",
            f"  not_about: {_flow(answers.not_about)}   # what the ambiguous names also mean",
            "",
        ]
    )


def _top(answers: Answers) -> str:
    return "\n".join(
        [
            f"shadow: {'true' if answers.shadow else 'false'}"
            + (" " * (26 if answers.shadow else 25))
            + "# shadow mode: decide everything, send nothing; set false to go live",
            "                                 # (what shadow mode recorded is never sent later)",
            "",
            "database:",
            "  url: sqlite:///data/earshot.db # EARSHOT_DATABASE_URL overrides, e.g. postgresql+psycopg://...",
            "",
            "logging:",
            "  format: human                  # or json",
            "  level: INFO",
            "",
            "pipeline:",
            "  batch_size: 256",
            "  classify_interval_seconds: 5",
            "  route_interval_seconds: 5",
            "  deliver_interval_seconds: 5",
            "",
        ]
    )


def _connectors(answers: Answers) -> str:
    live = answers.replay is None
    queries = [*(f"@{h}" for h in answers.handles), f'"{answers.brand}"', *(f'"{p}"' for p in answers.products)]
    subreddits = list(answers.subreddits) or ["all"]
    reddit_queries = [answers.brand, *answers.products]
    return "\n".join(
        [
            "connectors:",
            "  replay:                        # a recorded stream of raw X and Reddit pages (the demo's shape)",
            f"    enabled: {'false' if live else 'true'}",
            f"    path: {_text(answers.replay or 'data/demo')}",
            "    speed: 0                     # 0 = all at once",
            "    interval_seconds: 10",
            "  x:",
            f"    enabled: {'true' if live else 'false'}" + "               # needs X_BEARER_TOKEN",
            "    interval_seconds: 60",
            "    api_base: https://api.twitter.com",
            f"    queries: {_flow(queries)}",
            f"    mentions_of: {_flow(answers.handles)}",
            "    include_retweets: false",
            "    include_own_posts: false",
            "    max_pages_per_tick: 5",
            "    budget: {requests: 450, window_seconds: 900}   # Basic tier recent search",
            "    retry: {attempts: 5, max_rate_limit_wait_seconds: 60}",
            "  reddit:",
            f"    enabled: {'true' if live else 'false'}"
            + "               # needs REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET",
            "    interval_seconds: 60",
            f"    subreddits: {_flow(subreddits)}",
            f"    queries: {_flow(reddit_queries)}",
            "    api_base: https://oauth.reddit.com",
            "    max_pages_per_tick: 5",
            "    budget: {requests: 600, window_seconds: 600}",
            "    retry: {attempts: 5, max_rate_limit_wait_seconds: 60}",
            "  engagement:",
            "    enabled: true",
            "    max_age_hours: 48",
            "    interval_seconds: 300",
            "",
        ]
    )


def _topics(template: Template) -> str:
    """`classifier.topics` from the template, as YAML under the classifier section."""
    body = yaml.safe_dump(
        [t.model_dump(exclude_defaults=False) for t in template.topics], sort_keys=False, allow_unicode=True, width=120
    )
    lines = [
        f"  # The brand's taxonomy, from the {template.title.lower()} template (vetted by `earshot topics check`).",
        "  # Topics are matched by similarity to these descriptions and examples: edit freely, no retraining.",
        "  topics:",
    ]
    return "\n".join(lines + ["    " + line if line else line for line in body.rstrip().splitlines()]) + "\n"


def _risk_signals(template: Template) -> str:
    if not template.risk_signals:
        return ""
    signals = [s.model_dump(exclude_defaults=True) for s in template.risk_signals]
    body = yaml.safe_dump(signals, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)
    return "\n".join("    " + line for line in body.rstrip().splitlines()) + "\n"
