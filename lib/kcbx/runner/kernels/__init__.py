"""Kernels for notebooks: the warm kernel (``engine``), the papermill engine "kcbx"
(``papermill_engine``), and the reset between notebooks (``reset``, imported inside the kernel)."""
