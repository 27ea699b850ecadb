"""``kcbx run``: the county run (``run``), its county pass and slices (``prepare``), the
manifest, the index page, earlier runs (``history``), warm kernels and the papermill
engine (``kernels``), and many counties on dask.distributed (``cluster``).

Kept free of imports at package level: a kernel imports ``kcbx.runner.kernels.reset``."""
