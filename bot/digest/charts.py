"""The digest's charts as PNG bytes (matplotlib, no display): volume by topic, growth of the top incidents."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.digest.model import Digest  # noqa: E402

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed")


def charts(digest: Digest) -> dict[str, bytes]:
    """{content id: PNG} for each chart there is data for."""
    found = {}
    if any(sum(v) for v in digest.volume_by_topic.values()):
        found["volume"] = _png(_volume(digest))
    if any(item.growth for item in digest.items):
        found["growth"] = _png(_growth(digest))
    return found


def _volume(digest: Digest) -> Figure:
    fig, ax = _figure("Complaints over time, by topic")
    zone = ZoneInfo(digest.timezone)
    times = list(digest.volume_bins)
    bottom = [0] * len(times)
    width = (times[1] - times[0]).total_seconds() / 86400 * 0.9 if len(times) > 1 else 0.03
    for colour, (name, values) in zip(PALETTE, digest.volume_by_topic.items(), strict=False):
        ax.bar(_num(times, zone), values, width=width, bottom=bottom, label=name, color=colour, align="edge")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("complaints")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz=zone))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.autofmt_xdate()
    return fig


def _growth(digest: Digest) -> Figure:
    fig, ax = _figure("Growth of the top incidents: interactions (likes, reposts, replies, quotes)")
    zone = ZoneInfo(digest.timezone)
    top = [item for item in digest.items[:3] if item.growth]
    first = min(t for item in top for t, _ in item.growth)
    for colour, item in zip(PALETTE, top, strict=False):
        times = [t for t, _ in item.growth] + [digest.end]
        values = [v for _, v in item.growth] + [item.growth[-1][1]]
        label = f"#{item.rank} {item.title if len(item.title) <= 50 else item.title[:49] + '…'}"
        ax.step(_num(times, zone), values, where="post", color=colour, linewidth=2, label=label)
    ax.set_xlim(_num([first], zone)[0], _num([digest.end], zone)[0])
    ax.set_ylabel("interactions")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v / 1e3:.0f}k" if v >= 1e4 else f"{v:,.0f}")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz=zone))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.autofmt_xdate()
    return fig


def _num(times: list[datetime], zone: ZoneInfo) -> list[float]:
    return [float(mdates.date2num(t.astimezone(zone))) for t in times]


def _figure(title: str) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(7.2, 3.0), dpi=110)
    ax.set_title(title, fontsize=11, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
