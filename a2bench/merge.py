"""`a2bench merge`: combine run directories (shards of one run, `--shard i/n`) into one.

Runs must agree on what they generated for (suite, fingerprint, setting, derivation) and, where they were
scored, on how (protocol id, version and digest, metrics, device type, mode, weights): otherwise nothing is
merged and the differences are named. Jobs are combined (a done job wins over a failed one), finished videos
are copied into the target (hard links where possible), per-case scores are copied; set-level values (FID,
FID-VID, FVD) need every case, so they are computed by the next `a2bench run` on the merged directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2bench.atomic import atomic_folder
from a2bench.errors import A2BenchError
from a2bench.evaluation import RunMismatch, merge_identity, merge_provenance
from a2bench.generate.runner import VIDEOS, run_lock
from a2bench.store import STORE_FILE, JobRow, Store
from a2bench.writable import require_writable_folder


@dataclass(frozen=True)
class MergeSummary:
    """What a merge wrote: jobs and scored runs taken from each source."""

    jobs: int
    videos: int
    scored: int


def _copy_video(source: Path, target: Path) -> None:
    """A finished video (frame folder or file) copied whole or not at all; hard links when on one file system."""
    def place(src: Path, dst: Path) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        def replace(existing: Path) -> None:
            shutil.rmtree(existing)

        with atomic_folder(target, replace=replace) as staging:
            for file in sorted(source.iterdir()):
                place(file, staging / file.name)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.a2bench-tmp-merge")
        place(source, temporary)
        os.replace(temporary, target)


def _check_generation(identities: Sequence[tuple[Path, dict[str, Any] | None]]) -> dict[str, Any] | None:
    known = [(path, identity) for path, identity in identities if identity is not None]
    if not known:
        return None
    first_path, first = known[0]
    for path, identity in known[1:]:
        differences = [f"{key}: {first.get(key)} vs {identity.get(key)}" for key in first
                       if first.get(key) != identity.get(key)]
        if differences:
            raise RunMismatch(f"runs generated for different suites or settings ({'; '.join(differences)}; "
                              f"compared with {first_path}); nothing was merged", path=path,
                              fix="merge only shards of one run (same --suite, --setting, --derive-seed)")
    return first


def merge_runs(sources: Sequence[Path], out: Path) -> MergeSummary:
    """Merge the run directories `sources` into `out` (which may be one of them); see the module docstring."""
    if not sources:
        raise A2BenchError("no run directories to merge", fix="pass RUN_DIR... and --out RUN_DIR")
    require_writable_folder(out, "--out")
    stores = [Store(source / STORE_FILE, create=False) for source in sources]
    try:
        with run_lock(out), Store(out / STORE_FILE) as target:
            others = [store for store in stores if store.path.resolve() != target.path.resolve()]
            generation = _check_generation([(out, target.generation()),
                                            *((s.path.parent, s.generation()) for s in others)])
            identity = target.run(target.run_id())["identity"] if target.run_id() is not None else None
            for store in others:
                run_id = store.run_id()
                if run_id is not None:
                    new = store.run(run_id)["identity"]
                    identity = new if identity is None else merge_identity(identity, new, store.path.parent)
            if generation is not None:
                target.open_generation(generation)
            jobs = videos = runs = 0
            for store in others:
                moved: dict[str, str] = {}
                current = {row.key: row.state for row in target.jobs()}
                for row in store.jobs():
                    if current.get(row.key) == "done" or (row.key in current and row.state != "done"):
                        continue
                    path = _place(row, store, out, moved)
                    videos += int(row.source == "adapter" and row.state == "done")
                    jobs += target.copy_jobs([row], lambda _row, path=path: path)
                run_id = store.run_id()
                if run_id is not None:
                    stored = store.run(run_id)
                    target_run = target.open_run(stored["identity"], stored["protocol"], stored["provenance"],
                                                 lambda old, new: merge_identity(old, new, out), merge_provenance)
                    target.copy_scores(store, run_id, target_run, lambda text, moved=moved: moved.get(text or "", text))
                    target.note_provenance(target_run, "merged_from", [str(s.resolve()) for s in sources])
                    runs += 1
    finally:
        for store in stores:
            store.close()
    return MergeSummary(jobs, videos, runs)


def _place(row: JobRow, store: Store, out: Path, moved: dict[str, str]) -> Path | None:
    """The path a job's video has in the merged run: a video inside the source run is copied there."""
    if row.path is None or row.state != "done":
        return row.path
    source_dir = store.path.parent.resolve()
    source = row.path.resolve()
    try:
        relative = source.relative_to(source_dir)
    except ValueError:
        return row.path  # a precomputed folder outside the run: referenced where it is
    if relative.parts[0] != VIDEOS:
        return row.path
    target = out.resolve() / relative
    if source.exists():
        _copy_video(source, target)
    moved[str(source)] = str(target)
    return target
