"""``python -m tsgrad._kernels [LOCK]``: compile every numba kernel into the cache, in the
foreground, and write the warm-up stamp (:func:`tsgrad._kernels._warm.main`)."""

import sys

from ._warm import main

sys.exit(main())
