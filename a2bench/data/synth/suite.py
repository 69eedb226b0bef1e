"""Generate a synthetic suite on disk: per case a reference image, poses, skeleton frames and the video.

Everything derives from the suite's seed, so two machines produce the same decoded content, which the
suite's manifest pins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from a2bench.data.poses.format import PoseSequence, save_poses
from a2bench.data.poses.render import render_skeleton_video
from a2bench.data.synth.characters import BODY_STRUCTURES, Character, sample_character
from a2bench.data.synth.motion import REST, forward_kinematics, motion_angles
from a2bench.data.synth.puppet import background, build_parts, render_frame
from a2bench.video.io import write_png, write_video

GENERATOR_VERSION = "1"


@dataclass(frozen=True)
class SynthConfig:
    """What a synthetic suite contains: structures cycled over cases, frame count, size, motion styles."""

    name: str
    cases: int
    frames: int
    size: int
    fps: int
    styles: tuple[str, ...]
    seed: int
    structures: tuple[str, ...] = tuple(BODY_STRUCTURES)
    settings: tuple[str, ...] = ("self",)

    def case_ids(self) -> list[str]:
        """Case ids in order: `<structure>-<style>-<index>`."""
        return [self.case_id(index) for index in range(self.cases)]

    def case_id(self, index: int) -> str:
        return f"{self.structure(index)}-{self.style(index)}-{index:02d}"

    def structure(self, index: int) -> str:
        """Body structures cycle fastest over the cases."""
        return self.structures[index % len(self.structures)]

    def style(self, index: int) -> str:
        """Motion styles change after each full cycle of body structures."""
        return self.styles[(index // len(self.structures)) % len(self.styles)]


SYNTH_CONFIGS = {
    "synth-mini": SynthConfig("synth-mini", cases=8, frames=24, size=256, fps=8, styles=("dance",), seed=2025),
    "synth": SynthConfig("synth", cases=48, frames=32, size=512, fps=8, styles=("dance", "walk"), seed=2026,
                         settings=("self", "rescaled")),
}


@dataclass
class SynthCase:
    """One generated case, in memory."""

    case_id: str
    character: Character
    reference: np.ndarray
    reference_pose: PoseSequence
    poses: PoseSequence
    video: np.ndarray


def _case_rng(config: SynthConfig, index: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, index])


def _designed(config: SynthConfig, index: int) -> tuple[Character, np.ndarray, np.random.Generator]:
    """The case's character and backdrop, and its generator positioned for the motion draws."""
    rng = _case_rng(config, index)
    character = sample_character(config.structure(index), rng)
    backdrop = background(config.size, config.size, tuple(int(v) for v in rng.integers(150, 250, 3)),
                          tuple(int(v) for v in rng.integers(60, 160, 3)))
    return character, backdrop, rng


def case_look(config: SynthConfig, index: int) -> tuple[Character, np.ndarray]:
    """The case's character and backdrop alone (what a re-rendering with other poses needs)."""
    character, backdrop, _ = _designed(config, index)
    return character, backdrop


def render_poses(character: Character, backdrop: np.ndarray, poses: PoseSequence) -> np.ndarray:
    """The character performing a pose sequence over the backdrop: uint8 (T, H, W, 3)."""
    parts = build_parts(character, backdrop.shape[0])
    return np.stack([render_frame(parts, frame, backdrop) for frame in poses.pixels()])


def generate_case(config: SynthConfig, index: int) -> SynthCase:
    """Build one case deterministically from (suite seed, case index)."""
    character, backdrop, rng = _designed(config, index)
    size = config.size
    parts = build_parts(character, size)
    rest = forward_kinematics(character, REST, size, size)
    keypoints = np.stack([forward_kinematics(character, angles, size, size)
                          for angles in motion_angles(config.style(index), config.frames, config.fps, rng)])
    return SynthCase(
        case_id=config.case_id(index),
        character=character,
        reference=render_frame(parts, rest, backdrop),
        reference_pose=PoseSequence.from_pixels(rest[None], (size, size)),
        poses=PoseSequence.from_pixels(keypoints, (size, size)),
        video=np.stack([render_frame(parts, frame, backdrop) for frame in keypoints]),
    )


CASE_FILES = {
    "reference": "reference.png",
    "reference_pose": "reference_pose.npz",
    "poses": "poses.npz",
    "skeleton": "skeleton",
    "ground_truth": "video",
}


def write_case(case: SynthCase, folder: Path) -> None:
    """Write a case's files under `folder/<case_id>/` (see CASE_FILES)."""
    target = folder / case.case_id
    write_png(target / CASE_FILES["reference"], case.reference)
    save_poses(target / CASE_FILES["reference_pose"], case.reference_pose)
    save_poses(target / CASE_FILES["poses"], case.poses)
    write_video(target / CASE_FILES["skeleton"], render_skeleton_video(case.poses))
    write_video(target / CASE_FILES["ground_truth"], case.video)


def generate_suite(config: SynthConfig, folder: Path,
                   on_case: Callable[[str], None] | None = None) -> list[str]:
    """Generate every case of the suite into `folder`; returns the case ids."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(config.cases):
        case = generate_case(config, index)
        write_case(case, folder)
        if on_case:
            on_case(case.case_id)
    return config.case_ids()
