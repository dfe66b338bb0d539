"""ASGI entry point for uvicorn workers: ``uvicorn yellowcart.asgi:app``.

An API process answers many requests at once from its thread pool, so the numeric libraries must not
each start a team of threads per call (OpenMP in scikit-learn's boosted trees, the BLAS under numpy):
on a small machine that oversubscribes every core and throughput collapses. Set before they load;
an operator can still override them in the environment.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from yellowcart.app import create_app  # noqa: E402 - after the thread limits above

app = create_app()
