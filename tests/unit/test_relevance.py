"""About the brand or not: handles, names, products, subreddit, mentions; a model for ambiguous names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.core.labels import Labels
from bot.core.posts import Post
from classifiers.relevance import BrandTerms, Relevance

T = datetime(2026, 1, 1, tzinfo=UTC)
BRAND = BrandTerms(
    name="Aurora Motors",
    handles=("AuroraMotors", "AuroraSupport"),
    aliases=("Aurora",),
    products=("Aurora Volt",),
    subreddits=("AuroraMotors",),
    ambiguous=("Aurora",),
    about="electric car charging service",
    not_about=("northern lights night sky",),
)
LABELS = Labels(
    complaint=True,
    complaint_score=0.9,
    sentiment="negative",
    sentiment_score=0.8,
    severity=2,
    severity_score=0.7,
    urgency="high",
)


def _post(
    text: str, author: str = "someone", source: str = "x", mentions: tuple[str, ...] = (), community: str | None = None
) -> Post:
    return Post(
        source=source,
        native_id=str(abs(hash(text))),
        author_handle=author,
        author_reach=10,
        text=text,
        url="",
        created_at=T,
        fetched_at=T,
        mentions=mentions,
        community=community,
    )


def _words(texts: list[str]) -> np.ndarray:
    """A tiny embedding: car words on one axis, sky words on the other."""
    car = ["car", "charging", "service", "electric", "charge"]
    sky = ["lights", "sky", "night", "northern", "green"]
    rows = np.array([[sum(w in t.lower() for w in car), sum(w in t.lower() for w in sky)] for t in texts], float)
    rows += 1e-3
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _judge(post: Post, embed=_words) -> Labels:
    return Relevance(BRAND, embed).judge([post], [LABELS])[0]


@pytest.mark.parametrize(
    ("post", "reason"),
    [
        (_post("@AuroraSupport my delivery is late"), "addresses @AuroraSupport"),
        (_post("thanks for the reply", author="AuroraMotors"), "the brand's own account @AuroraMotors"),
        (_post("range is awful", community="AuroraMotors", source="reddit"), "posted in r/AuroraMotors"),
        (_post("the Aurora Volt range is awful"), "names Aurora Volt"),
        (_post("aurora motors never answers"), "names aurora motors"),
        (
            _post("look at this", mentions=("auroramotors",)),
            "mentions the brand's account",
        ),
        (
            _post("look at this", source="mastodon", mentions=("auroramotors@mastodon.social",)),
            "mentions the brand's account",
        ),
        (
            _post("look at this", source="bluesky", mentions=("auroramotors.bsky.social",)),
            "mentions the brand's account",
        ),
    ],
)
def test_posts_that_name_or_address_the_brand_are_about_it(post, reason):
    labels = _judge(post)
    assert labels.about_brand and labels.relevance == reason


def test_a_post_to_another_brand_is_not_about_it():
    labels = _judge(_post("@greateranglia my train is cancelled again"))
    assert not labels.about_brand
    assert labels.relevance == "names no handle, name, product or subreddit of the brand"
    assert (labels.complaint, labels.urgency) == (True, "high")  # still labelled


def test_an_ambiguous_name_is_settled_by_the_model():
    sky = _judge(_post("saw the aurora last night, green lights all over the northern sky"))
    car = _judge(_post("my aurora will not charge at the charging station"))
    assert not sky.about_brand and "northern lights night sky" in sky.relevance
    assert car.about_brand and car.relevance.startswith("ambiguous name, nearer the brand")


def test_an_ambiguous_name_is_settled_on_the_embedding_its_labels_carry_without_encoding_it_again():
    encoded: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return _words(texts)

    post = _post("my aurora will not charge at the charging station")  # car words; its labels' vector says sky
    sky = tuple(float(x) for x in _words(["northern lights in the night sky"])[0])
    labels = Relevance(BRAND, embed).judge([post], [replace(LABELS, embedding=sky)])[0]
    assert not labels.about_brand and "northern lights night sky" in labels.relevance
    assert post.text not in encoded  # only the brand's senses were encoded


def test_without_a_model_an_ambiguous_name_is_kept():
    labels = _judge(_post("the aurora was amazing"), embed=None)
    assert labels.about_brand and "no model" in labels.relevance


def test_a_name_inside_another_word_does_not_count():
    assert not _judge(_post("auroramotorsport fans unite")).about_brand
