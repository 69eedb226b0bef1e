"""Character specifications: body structure, proportions and palette of a 2D articulated puppet.

Proportions are fractions of the canvas height so a character looks the same at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# name -> (torso, neck, head_radius, shoulder_half, upper_arm, forearm, hip_half, thigh, shin,
#          limb_half_width, torso_half_width, has_arms, has_head)
BODY_STRUCTURES: dict[str, tuple[float, ...]] = {
    "humanoid": (0.20, 0.040, 0.070, 0.070, 0.105, 0.095, 0.045, 0.125, 0.115, 0.026, 0.075, 1, 1),
    "armless": (0.22, 0.030, 0.075, 0.080, 0.0, 0.0, 0.050, 0.110, 0.100, 0.030, 0.095, 0, 1),
    "chibi": (0.14, 0.020, 0.125, 0.060, 0.070, 0.060, 0.040, 0.070, 0.060, 0.030, 0.075, 1, 1),
    "lanky": (0.17, 0.050, 0.060, 0.065, 0.145, 0.135, 0.040, 0.165, 0.155, 0.018, 0.060, 1, 1),
    "object": (0.26, 0.0, 0.0, 0.110, 0.090, 0.080, 0.070, 0.105, 0.095, 0.014, 0.115, 1, 0),
    "stout": (0.19, 0.025, 0.080, 0.105, 0.080, 0.070, 0.065, 0.090, 0.080, 0.034, 0.115, 1, 1),
}
TORSO_SHAPES = {"humanoid": "ellipse", "armless": "pear", "chibi": "ellipse", "lanky": "ellipse",
                "object": "box", "stout": "box"}
PATTERNS = ("stripes", "checker", "dots", "zigzag")


@dataclass(frozen=True)
class Character:
    """One puppet: proportions in canvas-height units, colours as RGB tuples, pattern names."""

    structure: str
    torso: float
    neck: float
    head_radius: float
    shoulder_half: float
    upper_arm: float
    forearm: float
    hip_half: float
    thigh: float
    shin: float
    limb_half_width: float
    torso_half_width: float
    has_arms: bool
    has_head: bool
    torso_shape: str
    body_colors: tuple[tuple[int, int, int], tuple[int, int, int]]
    limb_colors: tuple[tuple[int, int, int], tuple[int, int, int]]
    head_color: tuple[int, int, int]
    pattern: str
    texture_seed: int
    face_drop: float = 0.3  # head-less characters: painted face's centre below the neck, in torso lengths
    face_scale: float = 1.0  # head-less characters: painted face's size relative to the default


def _color(rng: np.random.Generator, low: int = 40, high: int = 230) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, size=3))  # type: ignore[return-value]


def sample_character(structure: str, rng: np.random.Generator) -> Character:
    """A character of the given body structure with ±10% jittered proportions and a random palette."""
    if structure not in BODY_STRUCTURES:
        raise ValueError(f"unknown body structure {structure!r}; known: {', '.join(BODY_STRUCTURES)}")
    *lengths, has_arms, has_head = BODY_STRUCTURES[structure]
    jitter = rng.uniform(0.9, 1.1, size=len(lengths))
    values = [round(float(v * j), 5) for v, j in zip(lengths, jitter, strict=True)]
    return Character(
        structure,
        *values,
        has_arms=bool(has_arms),
        has_head=bool(has_head),
        torso_shape=TORSO_SHAPES[structure],
        body_colors=(_color(rng), _color(rng)),
        limb_colors=(_color(rng), _color(rng)),
        head_color=_color(rng, 120, 250),
        pattern=PATTERNS[int(rng.integers(len(PATTERNS)))],
        texture_seed=int(rng.integers(2**31)),
    )
