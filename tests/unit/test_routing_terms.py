"""Distinctive words: what two posts about the same problem have in common."""

from __future__ import annotations

from bot.routing.terms import brand_words, terms

BRAND = brand_words("Aurora Motors", ["AuroraMotors", "AuroraSupport"])


def test_amounts_are_normalised_so_the_same_charge_matches() -> None:
    assert "30000" in terms("quoted $30,000") & terms("a $30k quote") & terms("30,000 dollars")


def test_stop_words_handles_links_and_the_brand_never_count() -> None:
    assert terms("@AuroraMotors Hi, this is the worst https://t.co/x Aurora motors #fail", BRAND) == {"worst"}


def test_the_demo_recall_posts_share_enough_words() -> None:
    tweet = terms(
        "@AuroraMotors quoted me $30,000 to repair the battery cooling fault that is literally under a RECALL.", BRAND
    )
    reddit = terms("Got the same $30,000 quote for the recall repair on the battery cooling system last week.", BRAND)
    assert tweet & reddit == {"30000", "repair", "battery", "cooling", "recall"}
