"""The digest's charts as PNG bytes (matplotlib, no display): volume by topic, growth of the top incidents."""

from __future__ import annotations

import io
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
    times = [t.astimezone(zone) for t in digest.volume_bins]
    bottom = [0] * len(times)
    width = (times[1] - times[0]).total_seconds() / 86400 * 0.9 if len(times) > 1 else 0.03
    for colour, (name, values) in zip(PALETTE, digest.volume_by_topic.items(), strict=False):
        ax.bar(mdates.date2num(times), values, width=width, bottom=bottom, label=name, color=colour, align="edge")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("complaints")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz=zone))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.autofmt_xdate()
    return fig


def _growth(digest: Digest) -> Figure:
    fig, ax = _figure("Growth of the top incidents (projected reach)")
    zone = ZoneInfo(digest.timezone)
    for colour, item in zip(PALETTE, digest.items[:3], strict=False):
        times = [t.astimezone(zone) for t, _ in item.growth] + [digest.end.astimezone(zone)]
        reach = [r for _, r in item.growth] + [item.growth[-1][1]]
        ax.step(
            mdates.date2num(times),
            reach,
            where="post",
            color=colour,
            linewidth=2,
            label=f"#{item.rank} {item.title[:40]}",
        )
    ax.set_ylabel("projected reach")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1e3:.0f}k")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %H:%M", tz=zone))
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.autofmt_xdate()
    return fig


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
