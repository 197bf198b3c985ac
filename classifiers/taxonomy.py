"""A brand's topic taxonomy: read from a file, and linted (`earshot topics check`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import ValidationError

from bot.core.errors import ConfigError
from classifiers.heads.base import Embed
from classifiers.settings import TopicSettings

MIN_EXAMPLES = 3
OVERLAP = 0.85  # prototypes at least this similar (cosine) say the same thing


def read_taxonomy(path: Path) -> list[TopicSettings]:
    """Topics from a JSON or YAML list (the shape of `classifier.topics`), or a config's `classifier.topics`."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))  # JSON is YAML too
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the taxonomy: {str(err).splitlines()[0]}") from err
    if isinstance(document, dict):
        document = (document.get("classifier") or {}).get("topics")
    if not isinstance(document, list):
        raise ConfigError(f"{path}: expected a list of topics (name, description, examples)")
    try:
        return [TopicSettings.model_validate(item) for item in document]
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(f"{path}: topic {first['loc'][0] if first['loc'] else ''}: {first['msg']}") from err


@dataclass(frozen=True)
class Finding:
    """One problem of a taxonomy."""

    topic: str
    message: str


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-9)


def check_taxonomy(topics: list[TopicSettings], embed: Embed, other: str | None = "other") -> list[Finding]:
    """Too few examples, prototypes that overlap, examples nearer another topic than their own."""
    findings = [
        Finding(t.name, f"only {len(t.examples)} examples (give at least {MIN_EXAMPLES})")
        for t in topics
        if len(t.examples) < MIN_EXAMPLES
    ]
    names = [t.name for t in topics]
    dupes = {n for n in names if names.count(n) > 1}
    findings += [Finding(n, "the name is used by more than one topic") for n in sorted(dupes)]
    vectors = [embed(([t.description] if t.description else []) + list(t.examples) or [t.name]) for t in topics]
    prototypes = _unit(np.stack([v.mean(axis=0) for v in vectors]))
    sims = prototypes @ prototypes.T
    for i in range(len(topics)):
        for j in range(i + 1, len(topics)):
            if sims[i, j] >= OVERLAP and other not in (names[i], names[j]):
                findings.append(Finding(names[i], f"overlaps '{names[j]}' (prototype cosine {sims[i, j]:.2f})"))
    for i, topic in enumerate(topics):
        if topic.name == other:  # the catch-all is meant to lie between the others
            continue
        offset = 1 if topic.description else 0
        for k, example in enumerate(topic.examples):
            own = np.delete(vectors[i], offset + k, axis=0)  # its topic without it
            mine = _unit(own.mean(axis=0)) if len(own) else prototypes[i]
            vector = vectors[i][offset + k]
            scores = vector @ prototypes.T
            scores[i] = vector @ mine
            best = int(scores.argmax())
            if best != i:
                findings.append(
                    Finding(
                        topic.name,
                        f"example {example[:60]!r} is nearer '{names[best]}' ({scores[best]:.2f} > {scores[i]:.2f})",
                    )
                )
    return findings
