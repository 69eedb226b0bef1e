"""Derived settings of a suite: driving poses for `self`, `rescaled` (Table 1) and robustness tracks.

A setting is parsed from `--setting` (grammar below and in docs/poses.md):

    self                  the case's own poses (Table 2 of the paper)
    rescaled[:OPS]        poses realigned to a seeded random human anchor (Table 1), then OPS
    track:OPS             a robustness track: OPS alone
    OPS := OP[,OP...]     OP := GROUP=FACTOR | drop=PART[+PART...] | anchor=NAME (tracks only)

GROUP is a retargeting group (body, hips, legs, shoulders, arms, neck, face), PART one of arms, legs, head
and NAME an anchor of a2bench.data.poses.anchors. Each setting has one canonical spelling that names its
folder, `<suite>/derived/<setting>-s<seed>/`, which holds per case `poses.npz`, `skeleton/` and
`provenance.json` (plus `video/`, the exact ground truth, for synthetic suites), and `derivation.json`, the
hashes of every file. The folder is written whole or not at all, and never over existing files.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import a2bench
from a2bench.atomic import atomic_folder, atomic_write_json
from a2bench.data.hashing import content_sha256, file_sha256
from a2bench.data.poses.anchors import ANCHORS, anchor_pose
from a2bench.data.poses.format import PoseSequence, load_poses, save_poses
from a2bench.data.poses.render import render_skeleton_video
from a2bench.data.poses.retarget import BONES, DROPPABLE, GROUPS, realignment_factors, rescale_factors, retarget
from a2bench.data.suites import ROOT_OPTION, Case, Suite, require_present
from a2bench.errors import A2BenchError, DataError
from a2bench.video.io import write_video
from a2bench.writable import require_writable_folder

KINDS = ("self", "rescaled", "track")
MAX_FACTOR = 10.0
GRAMMAR = ("use `self`, `rescaled`, `rescaled:OPS` or `track:OPS` with OPS such as `arms=0.5`, "
           "`legs=1.5,drop=head` or `anchor=child` (groups: " + ", ".join(GROUPS) + "; drop: "
           + ", ".join(DROPPABLE) + "; anchors: " + ", ".join(ANCHORS) + ")")
DERIVED_DIR = "derived"
DERIVATION_FILE = "derivation.json"
PROVENANCE_FILE = "provenance.json"
FORMAT = 1


@dataclass(frozen=True)
class Setting:
    """A parsed setting: its kind, a fixed anchor (tracks), group scales and dropped parts, canonically ordered."""

    kind: str
    anchor: str | None = None
    scales: tuple[tuple[str, float], ...] = ()
    drop: tuple[str, ...] = ()

    @property
    def operations(self) -> list[str]:
        """The canonical OP strings: anchor first, then scales in GROUPS order, then the dropped parts."""
        ops = [f"anchor={self.anchor}"] if self.anchor else []
        ops += [f"{group}={factor:g}" for group, factor in self.scales]
        if self.drop:
            ops.append("drop=" + "+".join(self.drop))
        return ops

    @property
    def name(self) -> str:
        """The canonical spelling, e.g. `track:arms=0.5,drop=head`."""
        ops = self.operations
        return f"{self.kind}:{','.join(ops)}" if ops else self.kind

    def folder(self, seed: int) -> str:
        """The derivation folder's name: the canonical spelling made path-safe, plus the seed."""
        return re.sub(r"[:,]", "_", self.name) + f"-s{seed}"


def _bad(text: str, problem: str) -> A2BenchError:
    return A2BenchError(f"invalid --setting '{text}': {problem}", fix=GRAMMAR)


def _factor(text: str, group: str, value: str) -> float:
    try:
        factor = float(value)
    except ValueError:
        raise _bad(text, f"'{value}' is not a number (in {group}={value})") from None
    if not 0 < factor <= MAX_FACTOR:
        raise _bad(text, f"{group}={value} must lie in (0, {MAX_FACTOR:g}]")
    return factor


def parse_setting(text: str) -> Setting:
    """Parse and validate a setting string; every mistake raises A2BenchError naming it and the grammar."""
    kind, _, rest = text.strip().partition(":")
    if kind not in KINDS:
        raise _bad(text, f"unknown setting '{kind}'")
    if kind == "self" and rest:
        raise _bad(text, "`self` takes no operations")
    if kind == "track" and not rest.strip():
        raise _bad(text, "a track needs at least one operation")
    anchor, scales, drop = None, {}, set()
    for op in (part.strip() for part in rest.split(",") if rest):
        key, sep, value = op.partition("=")
        if not sep or not key or not value:
            raise _bad(text, f"'{op}' is not of the form NAME=VALUE")
        if key == "anchor":
            if kind != "track":
                raise _bad(text, "anchor=NAME belongs to tracks; `rescaled` draws its anchor from the seed")
            if value not in ANCHORS:
                raise _bad(text, f"unknown anchor '{value}'")
            anchor = value
        elif key == "drop":
            unknown = sorted(set(value.split("+")) - set(DROPPABLE))
            if unknown:
                raise _bad(text, f"cannot drop '{'+'.join(unknown)}'")
            drop |= set(value.split("+"))
        elif key in GROUPS:
            if key in scales:
                raise _bad(text, f"'{key}' is given twice")
            scales[key] = _factor(text, key, value)
        else:
            raise _bad(text, f"unknown operation '{key}'")
    ordered = tuple((group, scales[group]) for group in GROUPS if group in scales)
    return Setting(kind, anchor, ordered, tuple(part for part in DROPPABLE if part in drop))


def _case_key(case_id: str) -> int:
    """A stable integer per case id, so a case's draw does not depend on the other cases."""
    return int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:8], "big")


def choose_anchor(setting: Setting, seed: int, case_id: str) -> str | None:
    """The anchor a case is realigned to: drawn from (seed, case id) for `rescaled`, fixed for tracks."""
    if setting.kind == "rescaled":
        names = list(ANCHORS)
        return names[int(np.random.default_rng([seed, _case_key(case_id)]).integers(len(names)))]
    return setting.anchor


def derive_poses(poses: PoseSequence, setting: Setting, anchor: str | None) -> tuple[PoseSequence, list[dict]]:
    """Apply a setting's operations to a case's poses; returns the result and the operations as applied."""
    applied: list[dict[str, Any]] = []
    if anchor:
        factors = realignment_factors(poses, anchor_pose(anchor))
        poses = retarget(poses, factors)
        applied.append({"op": "realign", "anchor": anchor,
                        "factors": {bone.name: round(float(f), 6) for bone, f in zip(BONES, factors, strict=True)}})
    if setting.scales or setting.drop:
        poses = retarget(poses, rescale_factors(dict(setting.scales)), setting.drop)
        applied.append({"op": "rescale", "scales": dict(setting.scales), "drop": list(setting.drop)})
    return poses, applied


@dataclass(frozen=True)
class Derivation:
    """A derivation folder on disk: where, how many cases, whether this call wrote it, its fingerprint."""

    folder: Path
    cases: int
    written: bool
    fingerprint: str


def derived_folder(suite: Suite, setting: Setting, seed: int) -> Path:
    """Where a setting's derivation of a suite lives."""
    return suite.folder / DERIVED_DIR / setting.folder(seed)


def _source_poses(suite: Suite, case: Case) -> tuple[PoseSequence, str]:
    """A case's poses and their hash, checked against the manifest; DataError names the file and the fix."""
    fix = (f"run `a2bench data download {suite.name}`" if suite.manifest.generated
           else "extract the poses with DWPose (docs/poses.md) and re-import the suite")
    entry = next(e for e in suite.manifest.cases if e.id == case.id).files.get("poses")
    if entry is None or case.poses is None:
        raise DataError(f"case '{case.id}' has no poses in the manifest", path=suite.folder / case.id, fix=fix)
    if not case.poses.exists():
        raise DataError(f"missing poses of case '{case.id}'", path=case.poses, fix=fix)
    digest = content_sha256(case.poses) if entry.hash == "content" else file_sha256(case.poses)
    if digest != entry.sha256:
        raise DataError("poses altered: their hash differs from the manifest", path=case.poses, fix=fix)
    return load_poses(case.poses), digest


def _exact_ground_truth(suite: Suite, case: Case, original: PoseSequence,
                        derived: PoseSequence) -> tuple[np.ndarray, dict[str, float]] | None:
    """For synthetic suites: the case's character re-proportioned to the derived poses, performing them;
    returns the video and the new proportions (fractions of the frame height)."""
    from a2bench.data.synth.reproportion import PROPORTIONS, reproportion
    from a2bench.data.synth.suite import SYNTH_CONFIGS, case_look, render_poses

    config = SYNTH_CONFIGS.get(suite.name)
    if config is None or not suite.manifest.generated:
        return None
    character, backdrop = case_look(config, config.case_ids().index(case.id))
    reshaped = reproportion(character, original, derived)
    return (render_poses(reshaped, backdrop, derived),
            {name: round(float(getattr(reshaped, name)), 6) for name in PROPORTIONS})


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _write_json(path: Path, document: dict[str, Any]) -> None:
    atomic_write_json(path, document, indent=1, sort_keys=True)


def _derive_case(suite: Suite, case: Case, setting: Setting, seed: int, tmp: Path,
                 header: dict[str, Any]) -> dict[str, Any]:
    """Write one case's derived files under `tmp/<case>/`; returns its derivation.json entry."""
    original, source_hash = _source_poses(suite, case)
    anchor = choose_anchor(setting, seed, case.id)
    derived, applied = derive_poses(original, setting, anchor)
    target = tmp / case.id
    save_poses(target / "poses.npz", derived)
    write_video(target / "skeleton", render_skeleton_video(derived))
    exact = None if setting.kind == "self" else _exact_ground_truth(suite, case, original, derived)
    if exact is not None:
        write_video(target / "video", exact[0])
    original_gt = _relative(case.ground_truth, suite.folder) if case.ground_truth else None
    files = {role: {"path": f"{case.id}/{name}", "sha256": content_sha256(target / name)}
             for role, name in (("poses", "poses.npz"), ("skeleton", "skeleton"), ("ground_truth", "video"))
             if (target / name).exists()}
    provenance = {
        **header,
        "case": case.id,
        "anchor": {"name": anchor, "description": ANCHORS[anchor].description} if anchor else None,
        "operations": applied,
        "source_poses": {"path": _relative(case.poses, suite.folder), "sha256": source_hash},
        "reference": _relative(case.reference, suite.folder),
        "exact_ground_truth": {"path": files["ground_truth"]["path"], "proportions": exact[1]} if exact else None,
        "original_video": original_gt,
        "files": files,
    }
    _write_json(target / PROVENANCE_FILE, provenance)
    files["provenance"] = {"path": f"{case.id}/{PROVENANCE_FILE}", "sha256": file_sha256(target / PROVENANCE_FILE)}
    return {"id": case.id, "anchor": anchor, "files": files, "suite_files": {
        "reference": _relative(case.reference, suite.folder), "original_video": original_gt}}


def _fingerprint(cases: list[dict[str, Any]]) -> str:
    lines = sorted(f"{case['id']}/{role}:{entry['sha256']}" for case in cases for role, entry in case["files"].items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _existing(folder: Path, header: dict[str, Any]) -> Derivation:
    """An existing derivation folder: accepted when it is this very derivation, intact; else refused."""
    fix = f"remove {folder} to derive again (a2bench never overwrites it)"
    try:
        document = json.loads((folder / DERIVATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DataError("folder exists but holds no readable derivation.json", path=folder, fix=fix) from None
    if {key: document.get(key) for key in header} != header:
        raise DataError("folder holds a different derivation (other suite version, setting, seed or a2bench)",
                        path=folder, fix=fix)
    for case in document.get("cases", []):
        for entry in case["files"].values():
            path = folder / entry["path"]
            if not path.exists():
                raise DataError("derived file missing", path=path, fix=fix)
            try:
                digest = file_sha256(path) if path.suffix == ".json" else content_sha256(path)
            except DataError:
                digest = None
            if digest != entry["sha256"]:
                raise DataError("derived file altered: its hash differs from derivation.json", path=path, fix=fix)
    return Derivation(folder, len(document["cases"]), written=False, fingerprint=document["fingerprint"])


def derive_suite(suite: Suite, setting: Setting, seed: int,
                 on_case: Callable[[str], None] | None = None) -> Derivation:
    """Derive every case of a present suite for a setting and seed; reproducible byte for byte."""
    require_present(suite)
    folder = derived_folder(suite, setting, seed)
    header = {"format": FORMAT, "a2bench": a2bench.__version__, "suite": suite.name,
              "suite_version": suite.manifest.version, "suite_fingerprint": suite.manifest.fingerprint(),
              "setting": setting.name, "seed": seed}
    if folder.exists():
        return _existing(folder, header)
    require_writable_folder(folder.parent, ROOT_OPTION)
    with atomic_folder(folder) as tmp:
        cases = []
        for case in suite.cases():
            cases.append(_derive_case(suite, case, setting, seed, tmp, header))
            if on_case:
                on_case(case.id)
        fingerprint = _fingerprint(cases)
        _write_json(tmp / DERIVATION_FILE, {**header, "cases": cases, "fingerprint": fingerprint})
    return Derivation(folder, len(cases), written=True, fingerprint=fingerprint)
