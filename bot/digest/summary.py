"""A one-line extractive summary of what people say: the sentence that shares most words with the others.

No external service: sentences of the posts are scored by how many of the posts use their
distinctive words, so the line picked is what many people say, in one of their own words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

MAX_CHARS = 160
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9$][a-z0-9$,'’-]*[a-z0-9]|[a-z0-9]")
_NOISE = re.compile(r"^(rt\s+)?(@\w+[:\s]*)+|https?://\S+|@\w+")
STOP = frozenset(
    "the a an and or but if of to in on at for with from by is are was were be been being it its this that these "
    "those i me my we our you your he she they them their his her not no so just very can could would should will "
    "have has had do does did am as about into than then there here what when where which who why how all any "
    "some more most other such only own same too get got one".split()
)


def summarize(texts: Sequence[str], *, ignore: frozenset[str] = frozenset()) -> str:
    """The most representative sentence of `texts`, cleaned of handles and links, at most MAX_CHARS."""
    documents = [_clean(t) for t in texts if t.strip()]
    sentences = [s.strip() for doc in documents for s in _SENTENCE.split(doc) if len(_words(s, ignore)) >= 3]
    if not sentences:
        return _shorten(documents[0]) if documents else ""
    spread = Counter(w for doc in documents for w in set(_words(doc, ignore)))
    best = max(sentences, key=lambda s: _score(s, spread, ignore))
    return _shorten(best)


def _score(sentence: str, spread: Counter[str], ignore: frozenset[str]) -> float:
    words = set(_words(sentence, ignore))
    return sum(spread[w] for w in words) / (len(words) ** 0.5)


def _words(text: str, ignore: frozenset[str]) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP and w not in ignore and len(w) > 2]


def _clean(text: str) -> str:
    cleaned = " ".join(_NOISE.sub(" ", text).split())
    return re.sub(r"\s+([:;,.!?])", r"\1", cleaned).lstrip(":;,. ") if cleaned else text


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    if len(text) <= MAX_CHARS:
        return text
    cut = text[: MAX_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
