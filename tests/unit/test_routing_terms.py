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


def test_markup_links_and_handles_never_become_terms() -> None:
    post = (
        '<img src="https://cdn.example.com/brakes.png" style="color:red;font-weight:bold" alt="">'
        ' &lt;b&gt;Brakes&lt;/b&gt; failed <a href="https://bit.ly/x" class="link">read more</a>'
        " <style>.x { color: blue; background-image: url(img.png) }</style> www.example.com/path?ref=feed"
        " example.org/brakes mail me at owner@example.com @AuroraMotors #brakes u/someone r/cars"
        ' <span style="color: red">'
    )
    assert terms(post, BRAND) == {"brakes", "failed", "read", "mail"}


def test_a_post_cut_off_inside_a_tag_loses_only_the_tag() -> None:
    assert terms('the brakes failed <img src="https://x.co/a.png" style="col', BRAND) == {"brakes", "failed"}


def test_prose_that_looks_a_little_like_markup_keeps_its_words() -> None:
    assert terms("at 10:30 the brakes failed w/o warning, temps <3 and/or worse", BRAND) == {
        "10",
        "30",
        "brakes",
        "failed",
        "warning",
        "temps",
        "3",
        "worse",
    }
