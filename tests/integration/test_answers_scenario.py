"""Answered before, replayed: the brand answers one complaint in public; a later one asking the same gets that answer.

`earshot run --once` over tests/fixtures/answers/stream.jsonl with the shipped classifier: @dana_drives's kids
overheat in the third row, @AuroraSupport answers her in public, then @lee_ev asks the same in other words and
@sam_k complains about a double charge. In the one routing pass Lee is offered Support's answer first; Sam none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.app.config import load_config
from bot.cli.main import app
from bot.delivery.channels import stub as stub_channel
from bot.delivery.channels.base import Notice
from bot.routing.answers.match import best_similarity, unit
from bot.store import Store
from classifiers import load_classifier
from tests.conftest import REPO, make_post

pytestmark = pytest.mark.model

FIXTURE = REPO / "tests" / "fixtures" / "answers"
ARTIFACTS = REPO / "classifiers" / "artifacts" / "model.json"
DANA, LEE, SAM = "x:2200000000000000001", "x:2200000000000000003", "x:2200000000000000004"


@dataclass
class Replayed:
    store: Store
    config: Path
    sent: dict[str, list[Notice]]

    def post_id(self, ref: str) -> int:
        found = self.store.find_post(*ref.split(":"))
        assert found is not None, ref
        return found.id

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--config", str(self.config)])
        assert result.exit_code == 0, result.output
        return result.output


def replay(tmp: Path) -> Replayed:
    """`earshot run --once` over the fixture stream into a fresh database, each tier on a stub channel; Lee is a VIP."""
    if not ARTIFACTS.exists():
        pytest.fail(f"the shipped classifier is missing ({ARTIFACTS})")
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": f"sqlite:///{tmp / 'earshot.db'}"}
    document["connectors"]["replay"]["path"] = str(FIXTURE)
    document["routing"]["author_lists"]["vips"] = ["lee_ev"]  # so Lee's complaint pages on-call: an alert page
    for name, tier in document["routing"]["alerts"]["tiers"].items():
        tier["urls"] = [f"stub://{name}"]
    config = tmp / "config.yaml"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.delenv("EARSHOT_DATABASE_URL", raising=False)
    stub_channel.SENT.clear()
    result = CliRunner().invoke(app, ["run", "--once", "--config", str(config)])
    patch.undo()
    assert result.exit_code == 0, result.output
    sent = {name: list(notices) for name, notices in stub_channel.SENT.items()}
    return Replayed(store=Store.open(load_config(config).database_url), config=config, sent=sent)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replayed]:
    run = replay(tmp_path_factory.mktemp("answers"))
    yield run
    run.store.engine.dispose()


def test_the_same_question_in_other_words_gets_the_public_answer_first_in_the_same_pass(replayed: Replayed) -> None:
    with replayed.store.transaction() as tx:
        offered = tx.suggestions.of(replayed.post_id(LEE))
    assert offered.items, "Lee was offered nothing"
    best = offered.items[0]
    assert best.kind == "reply" and best.responder == "AuroraSupport"
    assert "turn off air recirculation" in best.text
    assert "care@aurora.example" not in best.text and "[email]" in best.text  # redacted
    assert best.matched.startswith("@AuroraMotors my kids keep overheating in the third row")
    assert best.similarity >= 0.65


def test_an_unrelated_complaint_is_offered_nothing(replayed: Replayed) -> None:
    with replayed.store.transaction() as tx:
        assert tx.suggestions.of(replayed.post_id(SAM)).items == ()
        assert tx.suggestions.of(replayed.post_id(DANA)).items == ()  # never its own answer


def test_the_alert_message_and_explain_say_it_was_answered_before(replayed: Replayed) -> None:
    lines = [n.body for notices in replayed.sent.values() for n in notices if "back row" in n.body]
    assert lines and any("answered before: " in body and "air recirculation" in body for body in lines)
    explained = replayed.cli("route", "--explain", LEE)
    assert "suggested answers (Answered before):" in explained and 'answered "@AuroraMotors my kids' in explained
    assert "suggested answers: none above the threshold" in replayed.cli("route", "--explain", SAM)


def test_answers_lists_the_public_reply_with_its_complaint_and_the_gaps_show_the_unanswered_one(
    replayed: Replayed,
) -> None:
    listed = [json.loads(line) for line in replayed.cli("answers", "list", "--json").splitlines()]
    [reply] = [a for a in listed if a["kind"] == "reply"]
    assert reply["responder"] == "AuroraSupport" and reply["outcome"] == "open" and reply["language"] == "en"
    assert {a["title"] for a in listed if a["kind"] == "playbook"} == {
        "Charging stops at 80%",
        "Screen black after the software update",
    }
    assert "air recirculation" in replayed.cli("answers", "search", "recirculation")
    gaps = [json.loads(line) for line in replayed.cli("answers", "gaps", "--days", "3650", "--json").splitlines()]
    assert [g["representative"] for g in gaps] == [
        "@AuroraMotors you charged my card twice for the same service appointment and nobody answers the billing line"
    ]


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("@AuroraMotors ¿por qué hace tanto calor en la tercera fila? Los niños sudan atrás con el aire al máximo", 1),
        ("@AuroraMotors me habéis cobrado dos veces la revisión del taller y nadie me devuelve el dinero", 0),
    ],
    ids=["the same complaint", "another complaint"],
)
def test_a_complaint_in_spanish_is_offered_the_english_answer_only_when_it_asks_the_same(
    replayed: Replayed, text: str, offered: int
) -> None:
    """The matcher reads only the meaning embedding a post is classified with, shared across languages."""
    settings = load_config(replayed.config).classifier
    [labels] = load_classifier(settings).classify([make_post("es-1", text=text)])
    assert labels.language == "es"
    with replayed.store.transaction() as tx:
        [answer] = [a for a in tx.answers.active() if a.kind == "reply"]
    similarity = best_similarity(answer, unit(list(labels.embedding)))[0]
    assert (similarity >= load_config(replayed.config).answers.threshold) == bool(offered), similarity
