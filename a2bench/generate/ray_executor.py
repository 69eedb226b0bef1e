"""The Ray executor (`pip install 'a2bench[ray]'`): one Ray task per job, one GPU each for GPU adapters.

`--ray-address auto` joins the cluster this machine belongs to, `HOST:PORT` a given one, `local` starts a
private instance. Workers need a2bench installed and the run directory and data root on a shared file system;
results come back to the calling process, which alone writes the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from a2bench.errors import A2BenchError
from a2bench.generate.job import JobResult, JobSpec, execute, failed


def _task(spec: JobSpec) -> JobResult:
    """A job inside a Ray worker: Ray has made its GPU (if any) the only visible one, so it is cuda:0."""
    import ray

    return execute(spec, "cuda:0" if ray.get_gpu_ids() else "cpu")


def _connect(address: str) -> Any:
    try:
        import ray
    except ImportError:
        raise A2BenchError("the Ray executor needs Ray", fix="pip install 'a2bench[ray]'") from None
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=None if address == "local" else address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise A2BenchError(f"cannot connect to the Ray cluster at {address!r} ({exc})",
                           fix="start one with `ray start --head`, pass --ray-address HOST:PORT, or use "
                               "--ray-address local") from None
    return ray


def run_ray(specs: Sequence[JobSpec], address: str, gpu: Callable[[JobSpec], bool],
            on_start: Callable[[JobSpec, str], None], on_result: Callable[[JobSpec, JobResult], None]) -> None:
    """Submit every job as a task (one GPU each where `gpu(spec)`), recording results as they finish."""
    ray = _connect(address)
    if any(gpu(spec) for spec in specs) and ray.cluster_resources().get("GPU", 0) < 1:
        raise A2BenchError(f"the Ray cluster at {address!r} has no GPU, and GPU methods would wait for one forever",
                           fix="start the Ray workers on GPU machines (ray start --num-gpus N)")
    task = ray.remote(max_retries=0)(_task)
    refs = {}
    for spec in specs:
        refs[task.options(num_cpus=1, num_gpus=1 if gpu(spec) else 0).remote(spec)] = spec
        on_start(spec, "ray")
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                spec = refs.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the task's worker died or Ray lost it
                    result = failed(spec, "ray", f"the Ray task failed: {type(exc).__name__}: {exc}")
                on_result(spec, result)
    finally:
        for ref in refs:
            ray.cancel(ref, force=True)
