"""What a user forgets when making a config their own: each a warning with the YAML path and what to do.

A brand section still naming another brand, topics that do not exist, responders without the brand's
accounts, a tier with no channel. None stops `earshot run`; `earshot check-config` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.app.config import Config
from bot.routing.rule_settings import Conditions
from connectors.registry import source_names

# Words many brands share: a name sharing only these with the brand's name says nothing.
GENERIC = frozenset(
    "the and of for inc ltd llc plc gmbh co company group official team support help care service services news "
    "air airline airlines airways bank banking motor motors auto cars mobile telecom energy power water gas app "
    "apps software card cards plus pro store stores shop shops food foods delivery eats retail usa global".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_MENTION = re.compile(r"(?<![\w@])@(\w{2,})")


@dataclass(frozen=True, kw_only=True)
class ConfigWarning:
    """One thing a user probably forgot: where it is in the YAML, and what to do."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def words(text: str) -> set[str]:
    """The distinctive words of a name or handle: lower case, camel case split too, generic ones dropped."""
    found = set(_WORD.findall(text.lower())) | {w.lower() for w in _CAMEL.findall(text)}
    return {w for w in found if len(w) >= 3 and w not in GENERIC}


def _shares(candidate: set[str], brand: set[str]) -> bool:
    """Whether two word sets name the same thing: a word in common, or one inside the other (4+ letters)."""
    return any(c == b or (min(len(c), len(b)) >= 4 and (c in b or b in c)) for c in candidate for b in brand)


def config_warnings(config: Config) -> list[ConfigWarning]:
    """Every warning for `config`, in YAML order."""
    return [*_brand(config), *_connectors(config), *_topics(config), *_responders(config), *_tiers(config)]


def _brand_words(config: Config) -> set[str]:
    brand = config.brand
    return words(brand.name).union(*(words(h) for h in brand.handles))


def _brand(config: Config) -> Iterator[ConfigWarning]:
    """Aliases, products, subreddits and `about` that share nothing with the name and handles."""
    brand, own = config.brand, _brand_words(config)
    who = f"'{brand.name}' or its handles"
    for key in ("aliases", "products", "subreddits", "ambiguous"):
        for i, value in enumerate(getattr(brand, key)):
            mine = words(value)
            if mine and not _shares(mine, own):
                yield ConfigWarning(
                    path=f"brand.{key}[{i}]",
                    message=f"'{value}' shares nothing with {who}: left from another brand? "
                    f"Replace it with {brand.name}'s own {key} (or remove it), or run `earshot init`",
                )
    if brand.about and not _shares(words(brand.about), own):
        yield ConfigWarning(
            path="brand.about",
            message=f"does not name {brand.name} ({brand.about[:60]!r}...): say in one line what {brand.name} is; "
            "the model compares posts with it",
        )


def _connectors(config: Config) -> Iterator[ConfigWarning]:
    """Queries, mentions and subreddits of the enabled X and Reddit sources that name another brand."""
    own = _brand_words(config)
    for name in source_names():
        section = config.connectors.source(name)
        if not section.enabled:
            continue
        for key in ("queries", "mentions_of", "subreddits"):
            yield from _foreign(config, f"connectors.{name}.{key}", getattr(section, key, None) or [], own)


def _foreign(config: Config, path: str, values: Sequence[str], own: set[str]) -> Iterator[ConfigWarning]:
    """A warning for each value naming nothing of the brand (Reddit's `all` aside)."""
    for i, value in enumerate(values):
        mine = words(value) if value != "all" else set()
        if mine and not _shares(mine, own):
            yield ConfigWarning(
                path=f"{path}[{i}]",
                message=f"'{value}' shares nothing with '{config.brand.name}' or its handles: "
                "this source listens for another brand; put the brand's own names here",
            )


def _topics(config: Config) -> Iterator[ConfigWarning]:
    """Risk signals, the safety topic and rules naming topics the taxonomy lacks; examples @-ing other brands."""
    settings = config.classifier
    names = {t.name for t in settings.topics}
    if not names:
        return
    known = ", ".join(sorted(names))
    fix = f"use one of: {known} (or add that topic to classifier.topics)"
    for i, signal in enumerate(settings.risk_signals):
        if signal.topic is not None and signal.topic not in names:
            yield ConfigWarning(path=f"classifier.risk_signals[{i}].topic", message=f"no topic '{signal.topic}'; {fix}")
    if settings.safety.topic is not None and settings.safety.topic not in names:
        yield ConfigWarning(path="classifier.safety.topic", message=f"no topic '{settings.safety.topic}'; {fix}")
    for i, rule in enumerate(config.routing.rules):
        for path, topic in _rule_topics(rule.when, f"routing.rules[{i}].when"):
            if topic not in names:
                yield ConfigWarning(path=path, message=f"no topic '{topic}': this rule never fires on it; {fix}")
    own = {h.lower().lstrip("@") for h in config.brand.handles}
    for i, entry in enumerate(settings.topics):
        for j, example in enumerate(entry.examples):
            others = [m for m in _MENTION.findall(example) if m.lower() not in own]
            if others:
                yield ConfigWarning(
                    path=f"classifier.topics[{i}].examples[{j}]",
                    message=f"addresses @{others[0]}, not one of the brand's accounts: an example left from another "
                    "brand? Write it as your customers would",
                )


def _rule_topics(when: Conditions, path: str) -> Iterable[tuple[str, str]]:
    for k, topic in enumerate(when.topics or []):
        yield f"{path}.topics[{k}]", topic
    for k, nested in enumerate(when.any or []):
        yield from _rule_topics(nested, f"{path}.any[{k}]")


def _responders(config: Config) -> Iterator[ConfigWarning]:
    """Responder lists that name none of the brand's accounts: its own replies would not count as answers."""
    brand, own = config.brand, _brand_words(config)
    if brand.handles and not brand.responders:
        yield ConfigWarning(
            path="brand.responders",
            message=f"empty: list the accounts that answer for {brand.name} per source, e.g. x: {brand.handles}, "
            "so its public replies are seen (and acknowledge alerts)",
        )
    handles = {h.lower() for h in brand.handles}
    for source, accounts in brand.responders.items():
        if not any(a.lower().lstrip("@") in handles or _shares(words(a), own) for a in accounts):
            yield ConfigWarning(
                path=f"brand.responders.{source}",
                message=f"{accounts} names none of {brand.name}'s accounts ({', '.join(brand.handles) or 'none'}): "
                "left from another brand? List the accounts that answer for it on this source",
            )


def _tiers(config: Config) -> Iterator[ConfigWarning]:
    """Alert tiers with no channel: their alerts reach the feed and nobody's phone."""
    for name, tier in config.routing.alerts.tiers.items():
        if not tier.urls:
            yield ConfigWarning(
                path=f"routing.alerts.tiers.{name}.urls",
                message="no channel: its alerts only reach the feed (`earshot alerts`); add an apprise URL, e.g. "
                '"slack://${SLACK_TOKENS}" (docs/delivery.md)',
            )
