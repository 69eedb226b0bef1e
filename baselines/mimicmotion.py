"""`mimicmotion`: MimicMotion (Tencent/MimicMotion), run through its repository.

It takes the raw driving video and runs DWPose itself. Staged: the reference image and the driving frames as an
MP4, both letterboxed into its 9:16 (or 16:9) frame so its centre crop removes nothing; a YAML from
`configs/test.yaml` with one `test_case`: `sample_stride: 1` (one output frame per driving frame at a2bench's
frame rates), `num_frames` (its tile) at most the case's length + 1 (its tiling indexes past the end of shorter
videos), `frames_overlap` below it. The result is the one MP4 in `--output_dir`, named by the video's stem and a
timestamp.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.external import ExternalAdapter, Staged
from a2bench.generate.staging import check_config_strings, find_output, load_yaml, merge, write_image, write_mp4
from a2bench.generate.staging import write_yaml as write_config

SHORT_SIDE = 576
TILE = 72  # frames per tile of MimicMotion 1.1 (16 for the 1.0 model)
OVERLAP = 6


def sizes(short: int, portrait: bool) -> tuple[int, int]:
    """(H, W) MimicMotion generates for a short side: the long side is short·16/9 rounded down to 64."""
    long = int(short / (9 / 16) // 64) * 64
    return (long, short) if portrait else (short, long)


@register_adapter
class MimicMotion(ExternalAdapter):
    """MimicMotion's own inference script on a staged driving video."""

    name = "mimicmotion"
    description = "MimicMotion, from its repository Tencent/MimicMotion."
    repository = "Tencent/MimicMotion"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.DRIVING_FRAMES})
    native = Native(size=(1024, 576), frames=TILE, fps=15)
    markers = ("inference.py", "configs/test.yaml", "mimicmotion/pipelines/pipeline_mimicmotion.py")
    checkpoints_folder = "models"
    checkpoint_files = (("MimicMotion_1-1.pth", "MimicMotion_1.pth"),)
    code_files = ("models/DWPose/yolox_l.onnx", "models/DWPose/dw-ll_ucoco_384.onnx")
    options: ClassVar[dict[str, type]] = {"resolution": int, "base_model": str, "steps": int, "guidance": float}

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        """Portrait when the protocol is, else landscape (MimicMotion's choice for square images too)."""
        return sizes(int(self.option("resolution", SHORT_SIDE)),  # type: ignore[call-overload]
                     protocol_size[0] > protocol_size[1])

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        frames = request.frames
        checkpoint = self.checkpoint(0)
        tile = min(16 if checkpoint.name == "MimicMotion_1.pth" else TILE, frames + 1)
        reference = write_image(folder / "reference.png", request.reference_image)
        driving = write_mp4(folder / "driving.mp4", np.asarray(request.driving_frames), request.fps)
        base = load_yaml(self.code / "configs/test.yaml")
        case = {"ref_video_path": str(driving), "ref_image_path": str(reference), "num_frames": tile,
                "resolution": min(request.output_size), "frames_overlap": min(OVERLAP, tile - 1),
                "num_inference_steps": self.option("steps", 25), "noise_aug_strength": 0,
                "guidance_scale": self.option("guidance", 2.0), "sample_stride": 1, "fps": request.fps,
                "seed": request.seed}
        changes = {"base_model_path": self.option("base_model", base.get("base_model_path")),
                   "ckpt_path": str(checkpoint), "test_case": [case]}
        document = merge(merge(base, changes), self.config.overrides if self.config else {})
        config = folder / "a2bench_job.yaml"
        check_config_strings(document, config)
        write_config(config, document)
        outputs = folder / "outputs"
        return Staged(["inference.py", "--inference_config", str(config), "--output_dir", str(outputs)], outputs)

    def collect(self, request: GenerationRequest, staged: Staged) -> Path:
        return find_output(staged.outputs, "driving_*.mp4", "result video")
