"""Is a post about the brand? Handles, names, products, subreddit, reply or quote; the model for ambiguous names.

A post that is not is stored and labelled but never routed (`about_brand=False`, with the reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.core.labels import Labels
from bot.core.posts import Post

Embed = Callable[[list[str]], np.ndarray]
BSKY = ".bsky.social"  # Bluesky's default handle domain


@dataclass(frozen=True, kw_only=True)
class BrandTerms:
    """What names the brand: from `brand:` in config."""

    name: str
    handles: Sequence[str] = ()
    aliases: Sequence[str] = ()
    products: Sequence[str] = ()
    subreddits: Sequence[str] = ()
    ambiguous: Sequence[str] = ()  # names that also mean something else: the model decides
    about: str = ""  # one line on what the brand is
    not_about: Sequence[str] = ()  # what the ambiguous names also mean


def _words(names: Sequence[str]) -> re.Pattern[str] | None:
    names = [n for n in names if n.strip()]
    if not names:
        return None
    parts = sorted((re.escape(n.strip()) for n in names), key=len, reverse=True)
    return re.compile(r"(?<![\w@#])[@#]?(" + "|".join(parts) + r")(?!\w)", re.I)


def _mentioned(mentions: Sequence[str]) -> set[str]:
    """Mentioned accounts as handles; `user@instance` (Mastodon) and `user.bsky.social` (Bluesky) count as `user`."""
    lowered = {m.lower() for m in mentions}
    return lowered | {m.split("@", 1)[0] for m in lowered if "@" in m} | {m.removesuffix(BSKY) for m in lowered}


def _lower(values: Sequence[str]) -> set[str]:
    return {v.lower().lstrip("@").removeprefix("r/") for v in values}


class Relevance:
    """Judges each post about the brand or not; `embed` (meaning embeddings) settles ambiguous names."""

    def __init__(self, brand: BrandTerms, embed: Embed | None = None, context: Sequence[str] = ()) -> None:
        """`context`: more texts of what the brand's posts are about (its topics' descriptions and examples)."""
        self.brand = brand
        self.context = [brand.about, *context] if brand.about else []
        self.handles = _lower(brand.handles)
        self.subreddits = _lower(brand.subreddits)
        ambiguous = _lower(brand.ambiguous)
        names = [brand.name, *brand.aliases, *brand.products]
        self.names = _words([n for n in names if n.lower() not in ambiguous])
        self.ambiguous = _words([n for n in names if n.lower() in ambiguous] + list(brand.ambiguous))
        self.handle_words = _words([f"@{h}" for h in brand.handles])
        self.hashtags = _words([f"#{h.lstrip('@')}" for h in brand.handles])  # Mastodon's hashtag timelines
        self.embed = embed
        self._senses: np.ndarray | None = None

    def judge(self, posts: Sequence[Post], labels: Sequence[Labels]) -> list[Labels]:
        """The labels with `about_brand` and `relevance` set, in order."""
        verdicts = [self._rules(post) for post in posts]
        unsure = [i for i, v in enumerate(verdicts) if v is None]
        if unsure:
            texts, given = [posts[i].text for i in unsure], [labels[i].embedding for i in unsure]
            for i, verdict in zip(unsure, self._model(texts, given), strict=True):
                verdicts[i] = verdict
        return [
            replace(label, about_brand=about, relevance=why)
            for label, (about, why) in zip(labels, [v or (True, "") for v in verdicts], strict=True)
        ]

    def _rules(self, post: Post) -> tuple[bool, str] | None:
        """A verdict from what the post says and where it sits; None when only the model can tell."""
        if post.author_handle and _mentioned([post.author_handle]) & self.handles:
            return True, f"the brand's own account @{post.author_handle}"
        if self.handle_words and (found := self.handle_words.search(post.text)):
            return True, f"addresses {found.group(0)}"
        if self.hashtags and (found := self.hashtags.search(post.text)):
            return True, f"tags {found.group(0)}"
        if post.community and post.community.lower() in self.subreddits:
            return True, f"posted in r/{post.community}"
        if _mentioned(post.mentions) & self.handles:
            return True, "mentions the brand's account"
        if self.names and (found := self.names.search(post.text)):
            return True, f"names {found.group(0)}"
        if self.ambiguous and self.ambiguous.search(post.text):
            return None
        return False, "names no handle, name, product or subreddit of the brand"

    def _model(self, texts: list[str], given: list[tuple[float, ...]]) -> list[tuple[bool, str]]:
        """Ambiguous names: nearer the brand's description than any other sense of the name?

        `given`: the posts' meaning embeddings from their labels; the texts are encoded again only
        when a label has none (labels from another classifier).
        """
        if self.embed is None or not self.context or not self.brand.not_about:
            return [(True, "an ambiguous name, kept: no model or senses to tell")] * len(texts)
        if self._senses is None:
            self._senses = self.embed([*self.context, *self.brand.not_about])
        if all(len(vector) == self._senses.shape[1] for vector in given):
            vectors = np.asarray(given, dtype=np.float64)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        else:
            vectors = self.embed(texts)
        sims = vectors @ self._senses.T
        cut = len(self.context)
        out = []
        for row in sims:
            brand, other = float(np.sort(row[:cut])[-3:].mean()), int(row[cut:].argmax())  # brand: its best 3
            if brand >= row[cut + other]:
                out.append((True, f"ambiguous name, nearer the brand ({brand:.2f}) than its other senses"))
            else:
                sense = self.brand.not_about[other]
                out.append(
                    (False, f"ambiguous name, nearer '{sense}' ({row[cut + other]:.2f}) than the brand ({brand:.2f})")
                )
        return out
