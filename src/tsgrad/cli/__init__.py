"""The ``tsgrad`` command line (also ``python -m tsgrad``).

Commands
--------
tsgrad reproduce dilate   Table 1 of the DILATE paper: models x losses x seeds, a table,
                          results.json / results.csv, PNG figures, resumable runs.
tsgrad train              Train a forecaster on a UCR/UEA or CSV file; writes model.pt.
tsgrad evaluate           Score a model.pt on a data file (MSE, DTW, TDI, Hausdorff, ramp).

Functions
---------
main    ``main(argv=None) -> int``: run the command line in-process; returns the exit code
        (0 done, 1 training failed, 2 bad arguments or files, 130 interrupted).

See ``docs/cli.md`` for every option, the files written and the resume behaviour.
"""

from ._main import main

__all__ = ["main"]
