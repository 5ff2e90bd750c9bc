"""The records of one multi-step trajectory as one training sequence (``--merge_trajectories``).

A trajectory of k steps is stored as k records with the same instruction: record j's ``input`` (the scratchpad)
holds steps 1..j-1 with their observations and its ``output`` is step j, so record j's input + output begins the
input of record j+1. Trained apart, every step reads (and recomputes) the whole prompt again. Merged, the
trajectory is one sequence, the last record's prompt and completion, with loss on each earlier record's reply
where the scratchpad repeats it, and still none on the prompt and the observations.

A record joins a merged sequence only when its supervision provably stays the same: its tokens, all but the last,
are the first tokens of the merged sequence (tokenization at every boundary agrees), so each of its supervised
tokens is predicted from exactly the context it had alone; its last token (the end of turn, where the merged
sequence goes on with the observation) becomes the label of that position, which carries no loss of its own;
and its supervised positions overlap no other member's. A record that fails a check stays separate, and so does
every record of a trajectory whose merged sequence would be longer than ``cutoff_len`` (a shorter part of it may
still merge).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from protocol.records import Record


class Encoding(NamedTuple):
    """A record's token ids (prompt, then completion with its end of turn) and the number of prompt tokens."""

    ids: tuple[int, ...]
    prompt_len: int


@dataclass(frozen=True)
class Trajectory:
    """Records merged into the sequence of record ``last`` (``members`` includes it): the spans of positions
    labelled with their own token, and the ``(position, label)`` pairs labelled with another one."""

    last: int
    members: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]
    relabeled: tuple[tuple[int, int], ...]


def continues(earlier: Record, later: Record) -> bool:
    """Whether ``later`` is a later step of ``earlier``'s trajectory: same prompt, and its scratchpad begins with
    ``earlier``'s scratchpad and reply (a text-level candidate; the tokens decide)."""
    return (
        earlier.instruction == later.instruction
        and len(later.input) > len(earlier.input)
        and later.input.startswith(earlier.input + earlier.output)
    )


def find_trajectories(records: Sequence[Record], encoded: Sequence[Encoding], cutoff_len: int) -> list[Trajectory]:
    """The trajectories to merge, each with at least two members, no record in two of them.

    Within a prompt's records, longest scratchpad first, each record not yet merged that fits in ``cutoff_len``
    takes the earlier steps it continues that pass the token checks. A record two branches share (a step before a
    failed and a successful call) goes to the longer branch.
    """
    by_prompt: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_prompt[record.instruction].append(index)
    trajectories, taken = [], set()
    for group in by_prompt.values():
        if len(group) < 2:
            continue
        for last in sorted(group, key=lambda index: -len(records[index].input)):
            if last in taken or len(encoded[last].ids) > cutoff_len:
                continue
            earlier = [i for i in group if i not in taken and continues(records[i], records[last])]
            trajectory = _merge(last, earlier, encoded)
            if trajectory is not None:
                trajectories.append(trajectory)
                taken.update(trajectory.members)
    return trajectories


def _merge(last: int, earlier: Sequence[int], encoded: Sequence[Encoding]) -> Trajectory | None:
    """Record ``last`` with those of ``earlier`` whose supervision the merged sequence keeps; ``None`` when none."""
    ids, prompt_len = encoded[last]
    members, spans, relabeled = [last], [(prompt_len, len(ids))], []
    occupied = [(prompt_len, len(ids))]  # positions supervised so far, end excluded
    for index in sorted(earlier, key=lambda i: encoded[i].prompt_len):
        own, own_prompt = encoded[index]
        end = len(own) - 1  # own[end] is its end of turn; the merged sequence need not repeat it
        if end >= prompt_len or own[:end] != ids[:end]:
            continue
        if any(own_prompt < stop and start < end + 1 for start, stop in occupied):
            continue
        occupied.append((own_prompt, end + 1))
        members.append(index)
        if ids[end] == own[end]:
            spans.append((own_prompt, end + 1))
        else:
            spans.append((own_prompt, end))
            relabeled.append((end, own[end]))
    if len(members) == 1:
        return None
    return Trajectory(
        last, tuple(members), tuple(sorted(span for span in spans if span[0] < span[1])), tuple(sorted(relabeled))
    )
