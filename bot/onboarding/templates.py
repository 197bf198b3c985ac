"""Industry templates: a vetted topic taxonomy, risk signals and rule words per industry, as data files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from bot.core.errors import ConfigError
from bot.core.section import Section
from classifiers.settings import RiskSignalSettings, TopicSettings

TEMPLATES = Path(__file__).parent / "templates"


class Template(Section):
    """One `templates/<industry>.yaml`: what a brand of that industry is about and hears complaints of."""

    industry: str = Field(min_length=1)
    title: str = Field(min_length=1)
    about: str = Field(min_length=1)  # `{name}` is the brand's name
    question_keywords: list[str] = Field(min_length=1)  # words of a polite question (the customer-question rule)
    viral_keywords: list[str] = Field(min_length=1)  # plain signs of a complaint (the viral-complaint rule)
    topics: list[TopicSettings] = Field(min_length=3)
    risk_signals: list[RiskSignalSettings] = Field(default_factory=list)


@dataclass(frozen=True)
class Industry:
    """An industry a template exists for."""

    name: str
    title: str


@cache
def industries() -> tuple[Industry, ...]:
    """Every industry with a template, by name (read once: `earshot init --help` and every command's start ask)."""
    return tuple(Industry(name=t.industry, title=t.title) for t in (load_template(p.stem) for p in _files()))


def load_template(industry: str) -> Template:
    """The template of `industry` (a file stem: airline, bank, ...); ConfigError naming the known ones if none."""
    path = TEMPLATES / f"{industry.strip().lower().replace(' ', '_').replace('-', '_')}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in _files())
        raise ConfigError(f"no template for the industry '{industry}'; the industries are {known}")
    try:
        return Template.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as err:
        raise ConfigError(f"{path}: not a valid industry template: {' '.join(str(err).split())[:300]}") from err


def _files() -> list[Path]:
    return sorted(TEMPLATES.glob("*.yaml"))
