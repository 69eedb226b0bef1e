"""`a2bench generate`: every job (case × method × seed × setting) of a suite into a run directory, resumably.

Jobs are rows of the run's store. A finished job's video is written atomically and only then marked done, so a
run killed at any moment keeps every finished job and never counts a half-written video; running the command
again skips done jobs (and failed ones, unless --retry-failed) and runs the rest. A failed job — not configured,
crash, time limit, no output, undecodable or wrong-length output — is recorded with its reason and log tail and
the others go on. Folders of videos made elsewhere (`NAME=DIR`) become jobs too, checked case by case.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from a2bench.atomic import remove_leftovers
from a2bench.data.settings import SuiteSetting, open_setting
from a2bench.data.suites import Case, open_suite
from a2bench.errors import A2BenchError, VideoReadError
from a2bench.generate.adapter import Adapter, get_adapter
from a2bench.generate.config import find_config, load_config
from a2bench.generate.external import DEFAULT_TIMEOUT, ExternalAdapter
from a2bench.generate.job import JobResult, JobSpec
from a2bench.generate.process import KILL_GRACE
from a2bench.names import check_name
from a2bench.store import STORE_FILE, JobRow, Store
from a2bench.video.io import discover_videos, frame_files, read_video
from a2bench.writable import require_writable_folder

EXECUTORS = ("local", "ray")
LOCK_FILE = ".a2bench-generate.lock"
VIDEOS, WORK, LOGS = "videos", "work", "logs"


class GenerationError(A2BenchError):
    """Options or a run directory that generation cannot use."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (1-based): every count-th job, for SLURM-style job arrays."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
            raise GenerationError(f"--shard {text!r} is not i/n with 1 ≤ i ≤ n",
                                  fix="pass e.g. --shard 1/4 … --shard 4/4 (with SLURM: $SLURM_ARRAY_TASK_ID/N, "
                                      "array indices 1..N)")
        return cls(int(index), int(count))

    def take(self, items: Sequence[JobSpec]) -> list[JobSpec]:
        return list(items[self.index - 1::self.count])


def parse_seeds(text: str) -> tuple[int, ...]:
    """`--seeds 0,1,2` as distinct non-negative integers, in order."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        raise GenerationError(f"--seeds {text!r} is not a list of non-negative integers", fix="pass e.g. --seeds 0,1")
    return tuple(dict.fromkeys(int(part) for part in parts))


def parse_devices(text: str) -> tuple[str, ...]:
    """`--devices cuda:0,cuda:1` (or `cpu`, repeated for several CPU workers)."""
    devices = tuple(part.strip() for part in text.split(",") if part.strip())
    for device in devices:
        if not (device == "cpu" or device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit())):
            raise GenerationError(f"--devices: {device!r} is not cpu or cuda:N",
                                  fix="pass e.g. --devices cuda:0,cuda:1")
    gpus = [d for d in devices if d != "cpu"]
    if not devices or len(set(gpus)) != len(gpus):
        raise GenerationError(f"--devices {text!r} names no device or a GPU twice",
                              fix="name each GPU once: --devices cuda:0,cuda:1")
    return devices


def parse_methods(text: str) -> tuple[tuple[str, ...], dict[str, Path]]:
    """`--methods A,B,NAME=DIR`: registered methods, and folders of videos made elsewhere by name."""
    methods, folders = [], {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, equals, folder = part.partition("=")
        check_name(name, "method name (--methods)")
        if name in methods or name in folders:
            raise GenerationError(f"--methods names {name!r} twice", fix="name each method once")
        if equals:
            folders[name] = Path(folder).expanduser()
        else:
            methods.append(name)
    if not methods and not folders:
        raise GenerationError(f"--methods {text!r} names no method", fix="pass e.g. --methods static,pose-warp")
    return tuple(methods), folders


@dataclass(frozen=True)
class GenerateOptions:
    """What to generate: a suite under a setting, methods (and folders made elsewhere), seeds, where, how."""

    suite: str
    methods: tuple[str, ...] = ()
    precomputed: Mapping[str, Path] = field(default_factory=dict)
    setting: str = "self"
    derive_seed: int = 0
    seeds: tuple[int, ...] = (0,)
    devices: tuple[str, ...] | None = None
    executor: str = "local"
    ray_address: str = "auto"
    shard: Shard | None = None
    retry_failed: bool = False
    config: Path | None = None
    root: Path | None = None


@dataclass
class GenerationSummary:
    """What a generate call did: the setting, and this call's jobs as they ended (or were found)."""

    setting: SuiteSetting
    jobs: list[JobRow]
    ran: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[JobRow]:
        return [job for job in self.jobs if job.state != "done"]


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Exclusive right to generate into `run_dir` (released when the process ends, however it ends)."""
    path = run_dir / LOCK_FILE
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise GenerationError(f"another a2bench command (pid {holder}) is generating into this run directory",
                                  path=run_dir, fix="wait for it, or use another --out (and `a2bench merge`)"
                                  ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def job_paths(run_dir: Path, method: str, seed: int, case_id: str) -> tuple[Path, Path, Path]:
    """Where a job's video, scratch folder and log go."""
    tail = Path(method) / f"seed-{seed}"
    return (run_dir / VIDEOS / tail / case_id, run_dir / WORK / tail / case_id,
            run_dir / LOGS / tail / f"{case_id}.log")


def case_files(setting: SuiteSetting, case: Case, originals: Mapping[str, Case]) -> dict[str, Path]:
    """A case's files under the setting, with `driving`: its driving video, else the suite's own video (in
    derived settings the original, not the derived ground truth)."""
    files = dict(case.files)
    original = originals.get(case.id, case)
    driving = original.files.get("driving") or original.ground_truth
    if driving is not None:
        files["driving"] = driving
    return files


def _identity(setting: SuiteSetting) -> dict[str, object]:
    identity = setting.identity()
    return {"suite": identity["suite"], "fingerprint": identity["fingerprint"], "setting": identity["setting"],
            "derivation": identity["derivation"]}


def _check_identity(store: Store, setting: SuiteSetting, run_dir: Path) -> None:
    wanted = _identity(setting)
    stored = store.open_generation(wanted)
    differences = [f"{key}: {stored.get(key)} vs {wanted[key]}" for key in wanted if stored.get(key) != wanted[key]]
    if differences:
        raise GenerationError(f"this run directory generates for another suite or setting ({'; '.join(differences)})",
                              path=run_dir, fix="use another --out for each suite and setting")


def _frame_count(path: Path) -> int:
    return len(frame_files(path)) if path.is_dir() else len(read_video(path))


def check_precomputed(path: Path | None, folder: Path, case: Case) -> str | None:
    """Why a video made elsewhere cannot be scored for `case` (None when it can)."""
    if path is None:
        return f"no video named {case.id} (.mp4 or a frame folder) in {folder}"
    try:
        frames = _frame_count(path)
        if case.ground_truth is not None:
            expected = _frame_count(case.ground_truth)
            if frames != expected:
                return f"{path} has {frames} frames, its ground truth {expected}"
        if frames == 0:
            return f"{path} holds no frames"
    except VideoReadError as exc:
        return exc.line()
    return None


class Generation:
    """One generate call: the run directory's store, the setting, the methods and their jobs."""

    def __init__(self, run_dir: Path, options: GenerateOptions, store: Store, setting: SuiteSetting,
                 adapters: dict[str, Adapter], on_job: Callable[[JobRow], None] | None):
        self.run_dir, self.options, self.store, self.setting = run_dir, options, store, setting
        self.adapters, self.on_job = adapters, on_job
        self.originals = {case.id: case for case in setting.suite.cases()}
        defaults = setting.suite.manifest.protocol_defaults
        self.size, self.fps = tuple(defaults.resolution), defaults.fps
        self.warnings: list[str] = []

    def specs(self, method: str) -> list[JobSpec]:
        adapter = self.adapters[method]
        timeout = adapter.config.timeout if adapter.config else None
        # external adapters enforce their time limit on the model's process; the watchdog is a backstop
        watchdog = (timeout or DEFAULT_TIMEOUT) + KILL_GRACE + 60 if isinstance(adapter, ExternalAdapter) else timeout
        specs = []
        for seed in self.options.seeds:
            for case in self.setting.cases:
                output, workdir, log = job_paths(self.run_dir, method, seed, case.id)
                specs.append(JobSpec(method, case.id, seed, self.setting.setting,
                                     case_files(self.setting, case, self.originals), self.size, self.fps, output,
                                     workdir, log, adapter.config, timeout, watchdog))
        return specs

    def _finish(self, key: tuple[str, str, int, str], result: JobResult, log: Path | None) -> None:
        self.store.finish_job(key, done=result.done, path=result.path, reason=result.reason, log_path=log,
                              log_tail=result.log_tail or None, seconds=result.seconds,
                              peak_gpu_bytes=result.peak_gpu_bytes, normalised=result.normalised, device=result.device)
        if self.on_job:
            self.on_job(self._row(key))

    def _row(self, key: tuple[str, str, int, str]) -> JobRow:
        return next(row for row in self.store.jobs(key[0]) if row.key == key)

    def _source(self, method: str, source: str) -> None:
        existing = {row.source for row in self.store.jobs(method)}
        if existing and existing != {source}:
            before = "generated" if source == "precomputed" else "read from a folder"
            raise GenerationError(f"method {method!r} was {before} in this run directory before", path=self.run_dir,
                                  fix="give the folder of videos another name (NAME=DIR)")

    def precomputed(self, name: str, folder: Path) -> None:
        """Check a folder of videos made elsewhere, case by case: each is a done or failed job."""
        self._source(name, "precomputed")
        by_seed = precomputed_folders(name, folder, self.options.seeds)
        cases = {case.id: case for case in self.setting.cases}
        keys = [(name, case, seed, self.setting.setting) for seed in by_seed for case in cases]
        self.store.add_jobs(keys, "precomputed")
        for seed, path in by_seed.items():
            videos = discover_videos(path)
            unexpected = sorted(set(videos) - set(cases))
            if unexpected:
                shown = ", ".join(unexpected[:5]) + (f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else "")
                self.warnings.append(f"{name}: {len(unexpected)} file(s) in {path} are not cases of "
                                     f"{self.setting.suite.name} and were ignored: {shown}")
            for case_id, case in cases.items():
                video = videos.get(case_id)
                reason = check_precomputed(video, path, case)
                key = (name, case_id, seed, self.setting.setting)
                self.store.start_job(key, "precomputed")
                self._finish(key, JobResult(reason is None, "precomputed", 0.0, path=video, reason=reason), None)

    def _wanted(self, row: JobRow) -> bool:
        """Whether to run a job: not done, and not failed unless retrying (a job that never started is retried)."""
        if row.state == "failed":
            return self.options.retry_failed or row.attempts == 0
        return row.state != "done"

    def run(self) -> int:
        """Plan every adapter job, record the not-ready ones as failed, run the rest; returns how many ran."""
        todo: list[JobSpec] = []
        for method in self.options.methods:
            self._source(method, "adapter")
            specs = self.specs(method)
            if self.options.shard:
                specs = self.options.shard.take(specs)
            self.store.add_jobs([spec.key for spec in specs], "adapter")
            rows = {row.key: row for row in self.store.jobs(method)}
            for spec in specs:
                if not self._wanted(rows[spec.key]) and self.on_job:
                    self.on_job(rows[spec.key])
            specs = [spec for spec in specs if self._wanted(rows[spec.key])]
            readiness = self.adapters[method].readiness()
            if not readiness.ready:  # recorded without an attempt, so a later run tries again once it is ready
                reason = f"{method} is not ready: {'; '.join(readiness.missing)}"
                for spec in specs:
                    self._finish(spec.key, JobResult(False, "-", 0.0, reason=reason), None)
                continue
            for seed in self.options.seeds:
                remove_leftovers(self.run_dir / VIDEOS / method / f"seed-{seed}")
            todo += specs
        if not todo:
            return 0
        devices = self.devices(todo)

        def started(spec: JobSpec, device: str) -> None:
            self.store.start_job(spec.key, device)

        def ended(spec: JobSpec, result: JobResult) -> None:
            self._finish(spec.key, result, spec.log)

        if self.options.executor == "ray":
            from a2bench.generate.ray_executor import run_ray

            run_ray(todo, self.options.ray_address, lambda spec: self.adapters[spec.method].needs_gpu, started, ended)
        else:
            from a2bench.generate.local import run_local

            run_local(todo, devices, started, ended)
        return len(todo)

    def devices(self, todo: Sequence[JobSpec]) -> tuple[str, ...]:
        """`--devices`, or one worker: cuda:0 when a GPU method runs, else cpu; GPU methods refuse CPU devices."""
        gpu = sorted({spec.method for spec in todo if self.adapters[spec.method].needs_gpu})
        devices = self.options.devices or (("cuda:0",) if gpu else ("cpu",))
        if gpu and self.options.executor == "local" and "cpu" in devices:
            raise GenerationError(f"{', '.join(gpu)} run(s) on a GPU, but --devices includes cpu",
                                  fix="pass GPUs only, e.g. --devices cuda:0,cuda:1")
        return devices


def precomputed_folders(name: str, folder: Path, seeds: Sequence[int]) -> dict[int, Path]:
    """The folder of videos made elsewhere for each seed (DIR, or DIR/seed-N/ with several); GenerationError
    naming the one that is missing."""
    by_seed = {seed: folder if len(seeds) == 1 else folder / f"seed-{seed}" for seed in seeds}
    for path in by_seed.values():
        if not path.is_dir():
            problem = "does not exist" if not path.exists() else "is not a folder"
            raise GenerationError(f"{name}: the folder of videos {problem}", path=path,
                                  fix="pass NAME=DIR with the folder of videos (with several --seeds: DIR/seed-N/ "
                                      "for each seed)")
    return by_seed


def generate(run_dir: Path, options: GenerateOptions, on_job: Callable[[JobRow], None] | None = None
             ) -> GenerationSummary:
    """Generate (or check) every job of `options` into `run_dir`; see the module docstring."""
    if options.executor not in EXECUTORS:
        raise GenerationError(f"--executor {options.executor!r} is not one of {', '.join(EXECUTORS)}",
                              fix="pass --executor local or --executor ray")
    for name in options.methods:
        check_name(name, "method name")
    setting = open_setting(open_suite(options.suite, options.root), options.setting, options.derive_seed)
    configs = load_config(find_config(options.config))
    adapters = {name: get_adapter(name, configs.get(name)) for name in options.methods}
    for name, folder in options.precomputed.items():
        precomputed_folders(name, folder, options.seeds)
    require_writable_folder(run_dir, "--out")
    with run_lock(run_dir), Store(run_dir / STORE_FILE) as store:
        _check_identity(store, setting, run_dir)
        generation = Generation(run_dir, options, store, setting, adapters, on_job)
        for name, folder in options.precomputed.items():
            generation.precomputed(name, folder)
        ran = generation.run()
        names = [*options.methods, *options.precomputed]
        jobs = [row for name in names for row in store.jobs(name)]
        if options.shard:
            planned = {spec.key for name in options.methods for spec in options.shard.take(generation.specs(name))}
            jobs = [row for row in jobs if row.source == "precomputed" or row.key in planned]
    return GenerationSummary(setting, jobs, ran, generation.warnings)
