"""`earshot status`: the figures of /metrics as terminal lines, from the same registry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.registry import CollectorRegistry

PREFIX = "earshot_"


def status_lines(registry: CollectorRegistry = REGISTRY) -> list[str]:
    """One line per Earshot metric and label set: counters and gauges as values, histograms as count/avg/p95."""
    lines: list[str] = []
    for family in sorted(registry.collect(), key=lambda f: f.name):
        if not family.name.startswith(PREFIX):
            continue
        lines += _family_lines(family)
    return lines


def _family_lines(family: Any) -> Iterator[str]:
    name = family.name.removeprefix(PREFIX)
    if family.type == "histogram":
        yield from _histogram_lines(name, family.samples)
        return
    for sample in family.samples:
        if sample.name.endswith("_created"):
            continue
        yield f"{name:<36} {_labels(sample.labels):<40} {_number(sample.value)}"


def _histogram_lines(name: str, samples: Iterable[Any]) -> Iterator[str]:
    groups: dict[str, dict[str, Any]] = {}
    for sample in samples:
        labels = {k: v for k, v in sample.labels.items() if k != "le"}
        group = groups.setdefault(_labels(labels), {"buckets": []})
        if sample.name.endswith("_bucket"):
            group["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_count"):
            group["count"] = sample.value
        elif sample.name.endswith("_sum"):
            group["sum"] = sample.value
    for label_text, group in groups.items():
        count = group.get("count", 0)
        if not count:
            yield f"{name:<36} {label_text:<40} none yet"
            continue
        average = group.get("sum", 0) / count
        p95 = next((le for le, n in sorted(group["buckets"]) if n >= 0.95 * count), float("inf"))
        yield f"{name:<36} {label_text:<40} {_number(count)} seen, avg {average:.3g}, p95 <= {p95:g}"


def _labels(labels: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted(labels.items())) or "-"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"
