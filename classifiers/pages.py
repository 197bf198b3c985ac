"""False pages: how often the product rates ordinary real posts critical, with a confidence interval.

A critical label pages on-call whatever the reach, so the figure a responder feels is false pages per
1,000 ordinary posts. `earshot evaluate --false-pages` counts them on the held-out splits of the
real tweets (`complaints.jsonl`: tweets to brands, and the replies and tweets to people it holds as
`random_*` domains; `sentiment.jsonl`: general tweets), which neither the encoder nor the harm
model was fitted on, and lists every critical post so a person can
read whether anyone was at risk. On a labelled file, `critical: false` lines give the same figure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from bot.core.labels import Labels
from classifiers.data import load_splits

Z95 = 1.959964


def per_thousand(hits: int, total: int) -> dict:
    """hits per 1,000 of total, with the Wilson score interval (95%), rounded for reading."""
    if total == 0:
        return {"n": 0, "critical": 0, "per_1000": None, "ci95_per_1000": None}
    share = hits / total
    scale = 1 + Z95**2 / total
    centre = (share + Z95**2 / (2 * total)) / scale
    spread = Z95 * math.sqrt(share * (1 - share) / total + Z95**2 / (4 * total**2)) / scale
    low, high = max(centre - spread, 0.0), min(centre + spread, 1.0)
    return {
        "n": total,
        "critical": hits,
        "per_1000": round(1000 * share, 2),
        "ci95_per_1000": [round(1000 * low, 2), round(1000 * high, 2)],
    }


def critical_rows(labels: Sequence[Labels], texts: Sequence[str]) -> list[dict]:
    """The posts rated critical, with the harm score and the reasons, for a person to read."""
    return [
        {"text": text, "safety_score": round(lab.safety_score, 4), "reasons": list(lab.urgency_reasons)}
        for lab, text in zip(labels, texts, strict=True)
        if lab.urgency == "critical"
    ]


def held_out_texts(data_dir: Path) -> dict[str, list[str]]:
    """The held-out real tweets by set: to brands, to people (the complaint corpus's random_* domains), general."""
    test = load_splits(data_dir).test
    rows = (json.loads(line) for line in (data_dir / "complaints.jsonl").read_text(encoding="utf-8").splitlines())
    personal = {row["text"] for row in rows if str(row.get("domain", "")).startswith("random")}
    complaints = [e.text for e in test.get("complaints", [])]
    return {
        "brand tweets": [t for t in complaints if t not in personal],
        "replies and tweets to people": [t for t in complaints if t in personal],
        "general tweets": [e.text for e in test.get("sentiment", [])],
    }
