"""Tool listings as the demo shows them: the tools a runtime serves, in catalogue order.

The demo lists every tool its runtime serves (``ToolRuntime.available``): by default the offline families
(``tools.loading.OFFLINE_FAMILIES``), plus whatever families a person loads with ``--load``. The product data
lists tools that way in a share of its prompts (``served_listing_share``), so the adapter meets at training time
the long, fixed-order lists it is served with.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from tools.loading import OFFLINE_FAMILIES
from tools.registry import ToolRegistry
from tools.spec import ToolSpec

EXTRA_FAMILIES_SHARE = 0.3  # listings that also serve 1-3 families no request of theirs needs
MAX_EXTRA_FAMILIES = 3


def served_listing(
    pool: ToolRegistry, needed: Iterable[str], rng: random.Random, *, without: Iterable[str] = ()
) -> list[ToolSpec]:
    """The tools of ``pool`` a runtime serves when it loads the offline families, the families of the ``needed``
    tools and, in :data:`EXTRA_FAMILIES_SHARE` of listings, a few others; never those of the tools ``without``
    (a request that needs them finds them missing), in ``pool``'s (the catalogue's) order."""
    excluded = {family for name in without for family in pool.get(name).families}
    families = set(OFFLINE_FAMILIES) | {family for name in needed for family in pool.get(name).families}
    if rng.random() < EXTRA_FAMILIES_SHARE:
        others = sorted(pool.families() - families - excluded)
        families |= set(rng.sample(others, min(len(others), rng.randint(1, MAX_EXTRA_FAMILIES))))
    return [spec for spec in pool.available(families - excluded)]
