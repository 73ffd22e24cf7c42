"""Keep numba's on-disk cache of the kernels consistent with their sources.

numba's ``cache=True`` checks only the timestamp of the file that defines a function: a
kernel that inlines a function of another file (every kernel inlines ``_fastmath``) keeps
its cached machine code when only that other file changes, and silently runs the old
code.  :func:`refresh` hashes the kernel sources together and, when the hash differs from
the one recorded next to the cache, deletes the cached kernels of these modules so that
they are compiled again.  Installed copies never change, so this only matters in a
checkout that is edited or updated; it costs one hash of ~100 KB per import.
"""

from __future__ import annotations

import hashlib
import os

MODULES = (
    "_fastmath",
    "_diag_layout",
    "_numba_bands",
    "_numba_dtw",
    "_numba_softdtw",
    "_numba_softdtw_lanes",
    "_numba_softdtw_scaled",
    # the tslearn-API kernels that call (compile in) functions of the files above
    "_numba_frechet",
    "_numba_gak",
    "_numba_lcss",
)
_STAMP = "tsgrad-kernels.sha256"


def sources_digest(here: str | None = None) -> str | None:
    """sha256 of the kernel sources (``MODULES``) together; None when one is unreadable."""
    here = here or os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    try:
        for name in MODULES:
            with open(os.path.join(here, name + ".py"), "rb") as f:
                digest.update(f.read())
    except OSError:
        return None
    return digest.hexdigest()


def refresh(here: str | None = None) -> bool:
    """Delete stale cached kernels; returns True when it deleted anything.

    Never raises for file-system reasons (read-only installs, concurrent imports): the
    worst case is numba's own behaviour.
    """
    here = here or os.path.dirname(os.path.abspath(__file__))
    want = sources_digest(here)
    if want is None:
        return False
    cache = os.path.join(here, "__pycache__")
    stamp = os.path.join(cache, _STAMP)
    try:
        with open(stamp) as f:
            if f.read().strip() == want:
                return False
    except OSError:
        pass
    removed = False
    try:
        os.makedirs(cache, exist_ok=True)
        for entry in os.listdir(cache):
            if entry.endswith((".nbi", ".nbc")) and entry.split(".", 1)[0] in MODULES:
                os.remove(os.path.join(cache, entry))
                removed = True
        tmp = f"{stamp}.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(want)
        os.replace(tmp, stamp)
    except OSError:
        pass
    return removed
