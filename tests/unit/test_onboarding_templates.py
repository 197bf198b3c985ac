"""Every industry template is vetted: its taxonomy passes `earshot topics check`, its config is valid and complete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app.config import config_from_document
from bot.onboarding.lint import config_warnings
from bot.onboarding.templates import industries, load_template
from bot.onboarding.writer import Answers, render
from classifiers import load_classifier
from classifiers.settings import ClassifierSettings
from classifiers.taxonomy import check_taxonomy

pytestmark = pytest.mark.model

INDUSTRIES = [industry.name for industry in industries()]


@pytest.fixture(scope="module")
def embed():  # type: ignore[no-untyped-def]
    return load_classifier(ClassifierSettings()).embed  # type: ignore[attr-defined]


def test_the_eight_industries_of_the_issue_have_templates() -> None:
    wanted = {"airline", "bank", "car_maker", "telecom", "food_delivery", "retail", "software", "utility"}
    assert wanted <= set(INDUSTRIES)


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_template_taxonomy_passes_topics_check(industry: str, embed) -> None:  # type: ignore[no-untyped-def]
    template = load_template(industry)
    assert [f"{f.topic}: {f.message}" for f in check_taxonomy(template.topics, embed)] == []
    assert all(topic.description and len(topic.examples) >= 5 for topic in template.topics)
    assert {"safety", "other"} <= {topic.name for topic in template.topics}


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_a_config_from_the_template_is_valid_and_refers_only_to_its_own_topics(industry: str, tmp_path: Path) -> None:
    answers = Answers(brand="Acme Example", industry=industry, handles=["AcmeExample"], subreddits=["AcmeExample"])
    path = tmp_path / "config.yaml"
    path.write_text(render(answers), encoding="utf-8")
    config = config_from_document(yaml.safe_load(path.read_text(encoding="utf-8")), path)
    assert config.shadow is True
    assert [t.name for t in config.classifier.topics] == [t.name for t in load_template(industry).topics]
    warned = {w.path.split("[")[0].rsplit(".", 1)[0] for w in config_warnings(config)}
    assert warned == {
        "routing.alerts.tiers.support",
        "routing.alerts.tiers.on-call",
        "routing.alerts.tiers.executive",
        "routing.alerts.tiers.leadership",
        "routing.alerts.tiers.operator",
    }  # only: no channel yet


def test_an_unknown_industry_names_the_known_ones() -> None:
    from bot.core.errors import ConfigError

    with pytest.raises(ConfigError, match="no template for the industry 'spaceship'; the industries are airline, bank"):
        load_template("spaceship")
