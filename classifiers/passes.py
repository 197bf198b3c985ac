"""How texts are split into encoder passes of like length (less padding), for either encoder."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# How texts are split into encoder passes. Measured under torch's int8 on 2 cores, and still the
# faster choice under onnxruntime (docs/classifier.md, "Speed"): a pass ran at ~16k tokens/s from
# about 256 to 1,024 padded tokens, slowed to ~11k beyond (its activations leave the cache), and
# cost a fixed ~3 ms, about 48 tokens' worth, however small.
TOKENS_PER_PASS = 1024
PASS_OVERHEAD_TOKENS = 48


def length_groups(lengths: Sequence[int], most: int) -> list[range]:
    """The cheapest split of `lengths` (ascending) into consecutive passes of at most `most` texts.

    A pass costs PASS_OVERHEAD_TOKENS plus its padded tokens (texts x its longest) and holds at most
    TOKENS_PER_PASS padded tokens, unless one text alone is longer. Dynamic programming over split
    points: each end looks back at most `most` texts, so O(len x most).
    """
    count = len(lengths)
    cost = [0.0] + [float("inf")] * count  # cost[end]: cheapest split of lengths[:end]
    start_of = [0] * (count + 1)
    for end in range(1, count + 1):
        longest = lengths[end - 1]
        for start in range(end - 1, max(end - most, 0) - 1, -1):
            if start < end - 1 and (end - start) * longest > TOKENS_PER_PASS:
                break
            total = cost[start] + PASS_OVERHEAD_TOKENS + (end - start) * longest
            if total < cost[end]:
                cost[end], start_of[end] = total, start
    groups, end = [], count
    while end > 0:
        groups.append(range(start_of[end], end))
        end = start_of[end]
    return groups[::-1]


def in_passes(
    ids: list[list[int]], most: int, pad: Callable[[list[list[int]]], tuple[np.ndarray, np.ndarray]], run: Callable
) -> list:
    """Run `run(ids, mask)` on passes of like length; returns each output's rows concatenated, in `ids`' order.

    `pad` turns a pass's token ids into padded ids and a mask; `run` returns an array or a tuple of arrays
    and dicts of arrays (rows per text).
    """
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    parts: list = []
    for group in length_groups([len(ids[i]) for i in order], most):
        padded, mask = pad([ids[order[i]] for i in group])
        out = run(padded, mask)
        parts.append(out if isinstance(out, tuple) else (out,))
    inverse = np.argsort(np.array(order, dtype=np.int64))
    joined: list = []
    for position, first in enumerate(parts[0]):
        if isinstance(first, dict):
            joined.append({k: np.concatenate([p[position][k] for p in parts])[inverse] for k in first})
        else:
            joined.append(np.concatenate([p[position] for p in parts])[inverse])
    return joined
