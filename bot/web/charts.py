"""The incident timeline chart: its posts over time, sized by reach, drawn by matplotlib as SVG."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")  # no display: render to files only
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from bot.core.actions import IncidentMember  # noqa: E402
from connectors.registry import colours  # noqa: E402

_LOCK = threading.Lock()  # pyplot keeps global state
COLOURS = colours()  # declared by each source package


def incident_chart(members: Sequence[IncidentMember]) -> bytes:
    """An SVG: each post a dot at its time, its reach on a log axis, the running reach as a line."""
    with _LOCK:
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
        try:
            if members:
                times = [m.post_created_at for m in members]
                when = [float(mdates.date2num(t)) for t in times]
                reach = [max(m.reach, 1) for m in members]
                running = []
                total = 0
                for value in reach:
                    total += value
                    running.append(total)
                ax.plot(when, running, color="#374151", linewidth=1.5, label="total reach")
                for source in sorted({m.source for m in members}):
                    picked = [
                        (float(mdates.date2num(m.post_created_at)), max(m.reach, 1))
                        for m in members
                        if m.source == source
                    ]
                    ax.scatter(
                        [t for t, _ in picked],
                        [r for _, r in picked],
                        s=36,
                        color=COLOURS.get(source, "#6d28d9"),
                        label=f"{source} posts",
                        zorder=3,
                    )
                ax.set_yscale("log")
                ax.legend(loc="upper left", fontsize=8, frameon=False)
                if max(times) - min(times) < timedelta(hours=1):  # one post, or a burst: show an hour around it
                    middle = min(times) + (max(times) - min(times)) / 2
                    ax.set_xlim(
                        mdates.date2num(middle - timedelta(minutes=30)), mdates.date2num(middle + timedelta(minutes=30))
                    )
                locator = mdates.AutoDateLocator(maxticks=8)
                ax.xaxis.set_major_locator(locator)
                ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            else:
                ax.text(0.5, 0.5, "no posts yet", ha="center", va="center", transform=ax.transAxes)
            ax.set_ylabel("reach (people)")
            ax.set_title("Posts of this incident and their reach", fontsize=10)
            ax.grid(alpha=0.3)
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="svg")
        finally:
            plt.close(fig)
    return out.getvalue()
