"""A province on dask.distributed: many counties' notebooks on a cluster's workers.

``run_counties`` runs each county as ``kcbx run`` does (its own as_of folder, manifest and
index, failures isolated), but hands the notebooks to dask workers instead of local
processes: the county pass runs here, the notebooks wherever a worker is free. Each
worker keeps a warm kernel (``WarmKernels``, a dask WorkerPlugin) for all the notebooks
it runs, whichever county they belong to.

The scheduler and the workers are started with dask's own CLI (README, "A province");
``scheduler="local"`` starts a LocalCluster of ``workers`` processes on this machine.
Workers must see the same paths as this process: the project (notebooks and kcbx), each
county's store and outputs folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from distributed import Client, LocalCluster, WorkerPlugin

from kcbx.params import Params
from kcbx.runner.engines import DEFAULT_ENGINE, start_worker
from kcbx.runner.manifest import Manifest
from kcbx.runner.run import run_county


class WarmKernels(WorkerPlugin):
    """A warm kernel on each worker: started when the worker joins, closed when it leaves.

    The kernel belongs to the thread that runs the notebooks (its event loop is that
    thread's), so it is started and closed on the worker's task thread, not on the
    thread that calls the plugin. Run workers with ``--nthreads 1``: one kernel each.
    """

    idempotent = True
    name = "kcbx-warm-kernels"

    def setup(self, worker) -> None:
        worker.executors["default"].submit(start_worker, DEFAULT_ENGINE)

    def teardown(self, worker) -> None:
        from kcbx.runner.kernels.engine import shutdown_warm_kernel  # after start_worker's setup

        worker.executors["default"].submit(shutdown_warm_kernel)


@dataclass(frozen=True)
class CountyOutcome:
    """One county of a province run: its manifest, or why it could not run at all."""

    params: Params
    manifest: Manifest | None
    error: str | None = None


def connect(scheduler: str, workers: int) -> Client:
    """A client of the scheduler at ``scheduler`` (tcp://host:port), or of a new local
    cluster of ``workers`` single-threaded processes when it is "local"."""
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster)
    return Client(scheduler, timeout="30s")


def run_counties(counties: Sequence[Params], as_of: dt.date, *, scheduler: str = "local",
                 workers: int = 2, progress: bool = True, force: bool = False,
                 engine: str = DEFAULT_ENGINE) -> list[CountyOutcome]:
    """Every county's reports, county after county, the notebooks on the dask cluster.

    A county that cannot run (no store, a damaged store, a broken worker: any Exception, in
    one line) is reported and the next one runs; KeyboardInterrupt and SIGTERM
    (``kcbx.runner.private.Terminated``) stop the province. The manifests record the scheduler's address and each notebook's worker.
    """
    outcomes = []
    with connect(scheduler, workers) as client:
        client.register_plugin(WarmKernels())
        address = client.scheduler.address
        n_workers = max(1, len(client.scheduler_info()["workers"]))
        executor = client.get_executor(pure=False)  # every notebook runs, even with equal arguments
        for params in counties:
            try:
                manifest = run_county(params, as_of, None, workers=n_workers, progress=progress,
                                      force=force, engine=engine, pool=executor, scheduler=address)
            except Exception as exc:  # any county's failure is its own; Ctrl-C and SIGTERM stop the province
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                outcomes.append(CountyOutcome(params, None, f"{type(exc).__name__}: {'; '.join(lines)}"))
            else:
                outcomes.append(CountyOutcome(params, manifest))
        if scheduler == "local":
            client.cluster.close()
    return outcomes
