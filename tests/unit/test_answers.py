"""Answered before: a responder's public reply is remembered and offered for the next complaint asking the same."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app.config import Config
from bot.app.daemon import build_route_stage
from bot.routing.explain import explain
from bot.store import Store
from tests.unit.routing_support import labels
from tests.unit.test_responses import DANA, SUPPORT, T0, save_x, x_page

LEE, SAM = ("4004", "lee_ev"), ("5005", "sam_k")
THIRD_ROW = (1.0, 0.0, 0.0, 0.0)
SAME_IN_OTHER_WORDS = (0.9, 0.43, 0.0, 0.0)  # cosine 0.90 with THIRD_ROW
UNRELATED = (0.0, 0.0, 1.0, 0.0)
ANSWER = "If anyone is in the third row, turn off air recirculation: third-row air exits through the rear vents."


def config(**answers: Any) -> Config:
    return Config.model_validate(
        {
            "brand": {"name": "Aurora Motors", "handles": ["AuroraMotors"], "responders": {"x": ["AuroraSupport"]}},
            "routing": {
                "rules": [{"name": "complaint", "when": {"complaint": True}, "then": {"ticket": {"queue": "social"}}}]
            },
            "answers": {"threshold": 0.7, **answers},
        }
    )


def complaint(store: Store, tweet_id: str, who: tuple[str, str], text: str, minutes: int, **label: Any) -> int:
    save_x(store, x_page(tweet_id, who, text, T0 + timedelta(minutes=minutes)))
    found = store.find_post("x", tweet_id)
    assert found is not None
    store.save_labels([(found.id, labels(**label))])
    return found.id


def reply(store: Store, tweet_id: str, to: str, text: str, minutes: int) -> None:
    save_x(store, x_page(tweet_id, SUPPORT, text, T0 + timedelta(minutes=minutes), reply_to=to))


def route(store: Store, cfg: Config, hours: float = 3.0, **options: Any) -> None:
    stage = build_route_stage(cfg, store, clock=lambda: T0 + timedelta(hours=hours), **options)
    while stage.run_once():
        pass


def scenario(store: Store) -> tuple[int, int, int]:
    """Dana asks, support answers in public, then Lee asks the same in other words and Sam asks something else."""
    dana = complaint(store, "100", DANA, "Kids overheating in the third row @AuroraMotors", 0, embedding=THIRD_ROW)
    reply(store, "101", "100", f"@dana_drives {ANSWER} Call +1 555 010 9999 or mail care@aurora.example", 30)
    lee = complaint(
        store, "200", LEE, "Why is it so hot in the back seats? @AuroraMotors", 60, embedding=SAME_IN_OTHER_WORDS
    )
    sam = complaint(store, "300", SAM, "My invoice was charged twice @AuroraMotors", 70, embedding=UNRELATED)
    return dana, lee, sam


def test_a_later_complaint_in_other_words_gets_the_earlier_public_answer_in_the_same_pass(store: Store) -> None:
    dana, lee, sam = scenario(store)
    route(store, config())
    with store.transaction() as tx:
        offered, unrelated, own = tx.suggestions.of(lee), tx.suggestions.of(sam), tx.suggestions.of(dana)
    assert [s.kind for s in offered.items] == ["reply"]
    best = offered.items[0]
    assert "turn off air recirculation" in best.text
    assert best.similarity == pytest.approx(0.90, abs=0.01)
    assert best.matched == "Kids overheating in the third row @AuroraMotors"
    assert 'answered "Kids overheating' in best.why() and "outcome: open" in best.why()
    assert unrelated.items == () and own.items == ()


def test_personal_data_in_a_past_reply_is_redacted_before_it_is_offered(store: Store) -> None:
    _, lee, _ = scenario(store)
    route(store, config())
    with store.transaction() as tx:
        [best] = tx.suggestions.of(lee).items
    assert "555" not in best.text and "care@aurora.example" not in best.text
    assert "[phone]" in best.text and "[email]" in best.text


def test_explain_and_the_alert_message_line_name_the_earlier_answer(store: Store) -> None:
    cfg = config()
    _, lee, _ = scenario(store)
    route(store, cfg)
    lines = explain(store, cfg.routing, cfg.brand.own_handles, str(lee))
    assert "suggested answers (Answered before):" in lines
    assert "similarity 0.90" in lines
    assert "suggested answers: none above the threshold" in explain(store, cfg.routing, cfg.brand.own_handles, "x:300")


def test_a_stale_answer_is_never_offered(store: Store) -> None:
    _, lee, _ = scenario(store)
    route(store, config(max_age_days=0.01))  # 14 minutes: the 30-minute-old answer is stale
    with store.transaction() as tx:
        assert tx.suggestions.of(lee).items == ()


def test_an_answer_the_customer_met_with_anger_is_never_offered_again(store: Store) -> None:
    complaint(store, "100", DANA, "Kids overheating in the third row", 0, embedding=THIRD_ROW)
    reply(store, "101", "100", f"@dana_drives {ANSWER}", 30)
    save_x(
        store,
        x_page("102", DANA, "That is useless, still boiling back there", T0 + timedelta(minutes=40), reply_to="101"),
    )
    angry = store.find_post("x", "102")
    assert angry is not None
    store.save_labels([(angry.id, labels(sentiment="negative", embedding=UNRELATED))])
    route(store, config(), hours=1)
    lee = complaint(store, "200", LEE, "Why is it so hot in the back?", 90, embedding=SAME_IN_OTHER_WORDS)
    route(store, config(), hours=2)
    with store.transaction() as tx:
        [memory] = [a for a in tx.answers.search() if a.kind == "reply"]
        assert memory.outcome == "angry"
        assert tx.suggestions.of(lee).items == ()


def test_a_thank_you_in_the_thread_is_the_outcome_and_silence_becomes_quiet(store: Store) -> None:
    complaint(store, "100", DANA, "Kids overheating in the third row", 0, embedding=THIRD_ROW)
    reply(store, "101", "100", f"@dana_drives {ANSWER}", 30)
    complaint(store, "400", SAM, "Charged twice", 5, embedding=UNRELATED)
    reply(store, "401", "400", "@sam_k refunded", 35)
    save_x(store, x_page("102", DANA, "That fixed it, thank you!", T0 + timedelta(minutes=50), reply_to="101"))
    thanks = store.find_post("x", "102")
    assert thanks is not None
    store.save_labels([(thanks.id, labels(complaint=False, sentiment="positive", embedding=UNRELATED))])
    route(store, config(quiet_after_hours=24), hours=30)
    with store.transaction() as tx:
        outcomes = {a.complaint_text: a.outcome for a in tx.answers.search() if a.kind == "reply"}
    assert outcomes == {"Kids overheating in the third row": "thanked", "Charged twice": "quiet"}


def test_a_safety_case_says_so_before_any_canned_answer(store: Store) -> None:
    complaint(store, "100", DANA, "Kids overheating in the third row", 0, embedding=THIRD_ROW)
    reply(store, "101", "100", f"@dana_drives {ANSWER}", 30)
    lee = complaint(
        store,
        "200",
        LEE,
        "My toddler is limp in the back seat, it's so hot",
        60,
        urgency="critical",
        embedding=SAME_IN_OTHER_WORDS,
    )
    route(store, config())
    with store.transaction() as tx:
        offered = tx.suggestions.of(lee)
    assert offered.safety_case
    assert offered.heading == "Safety case: talk to the customer first; past answers for reference"
    assert (offered.one_line() or "").startswith("answered before (SAFETY CASE: talk to the customer first)")


def test_not_relevant_feedback_demotes_the_answer_for_similar_complaints(store: Store) -> None:
    _, lee, _ = scenario(store)
    route(store, config())
    with store.transaction() as tx:
        [best] = tx.suggestions.of(lee).items
        assert tx.suggestions.record_feedback(best.answer_id, lee, "dana", helpful=False)
        assert tx.suggestions.record_feedback(best.answer_id, lee, "kim", helpful=False)
        assert tx.suggestions.record_feedback(best.answer_id, lee, "ola", helpful=False)
        assert not tx.suggestions.record_feedback(
            best.answer_id, 999, "kim", helpful=True
        )  # never suggested for that post
    kai = complaint(store, "500", ("6006", "kai"), "Back row is roasting", 80, embedding=SAME_IN_OTHER_WORDS)
    route(store, config())
    with store.transaction() as tx:
        assert tx.suggestions.of(kai).items == ()  # 0.90 - 3 x 0.10 falls under the 0.70 threshold


def test_helpful_feedback_ranks_an_answer_first(store: Store) -> None:
    complaint(store, "100", DANA, "Kids overheating in the third row", 0, embedding=SAME_IN_OTHER_WORDS)
    reply(store, "101", "100", "@dana_drives please DM us", 30)
    complaint(store, "110", SAM, "Third row is hot", 2, embedding=THIRD_ROW)
    reply(store, "111", "110", f"@sam_k {ANSWER}", 32)
    lee = complaint(store, "200", LEE, "Back seats hot", 60, embedding=SAME_IN_OTHER_WORDS)
    route(store, config())
    with store.transaction() as tx:
        first, second = tx.suggestions.of(lee).items
        assert "DM us" in first.text  # closer in meaning (1.00 against 0.90), before any feedback
        tx.suggestions.record_feedback(second.answer_id, lee, "dana", helpful=True)
        tx.suggestions.record_feedback(first.answer_id, lee, "dana", helpful=False)
    kai = complaint(store, "500", ("6006", "kai"), "Back row is roasting", 80, embedding=SAME_IN_OTHER_WORDS)
    route(store, config())
    with store.transaction() as tx:
        assert "air recirculation" in tx.suggestions.of(kai).items[0].text


def test_a_playbook_entry_is_embedded_once_and_offered(store: Store, tmp_path: Any) -> None:
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [list(THIRD_ROW) if "hot" in t else list(UNRELATED) for t in texts]

    book = tmp_path / "playbook.yaml"
    book.write_text(f'- title: Hot third row\n  answer: "{ANSWER}"\n  examples: [the back is too hot, third row hot]\n')
    cfg = config(playbook=str(book))
    lee = complaint(store, "200", LEE, "Why is it so hot in the back seats?", 60, embedding=SAME_IN_OTHER_WORDS)
    route(store, cfg, embed=embed)
    route(store, cfg, embed=embed)
    with store.transaction() as tx:
        [best] = tx.suggestions.of(lee).items
    assert best.kind == "playbook" and best.title == "Hot third row" and best.matched == "the back is too hot"
    assert calls == [["the back is too hot", "third row hot"]]  # one call, then cached in the store


def test_the_digest_counts_complaints_offered_an_earlier_answer_and_how_much_sooner_they_were_answered(
    store: Store,
) -> None:
    from bot.digest.compose import compose
    from bot.digest.render import render_html, render_text

    _, lee, _ = scenario(store)
    reply(store, "201", "200", f"@lee_ev {ANSWER}", 75)  # Lee answered 15 minutes after asking, with the suggestion
    reply(store, "301", "300", "@sam_k refunded", 130)  # Sam after an hour, with none
    route(store, config())
    route(store, config())
    digest = compose(store, T0 - timedelta(hours=1), T0 + timedelta(hours=5), brand="Aurora Motors")
    assert digest.reuse is not None
    assert (digest.reuse.acted, digest.reuse.suggested) == (3, 1)
    assert digest.reuse.median_with == 15 * 60
    assert digest.reuse.median_without == (30 * 60 + 60 * 60) / 2  # Dana after 30 min, Sam after 60
    assert digest.reuse.faster_by == 30 * 60
    said = render_text(digest)
    assert "Answered before: 1 of 3 complaints with a ticket or an alert were offered an answer given before" in said
    assert "(30 min faster)" in said
    assert "Answered before: <b>1 of 3</b>" in render_html(digest, {})
