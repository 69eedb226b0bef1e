"""`moore-animateanyone`: Moore-AnimateAnyone (MooreThreads/Moore-AnimateAnyone), run through its repository.

Staged: the reference image and a pose video `<name>_kps.mp4` drawn as its `tools/vid2pose.py` draws (body,
hands and face, RGB) at the generation size; a YAML from `configs/prompts/animation.yaml` whose `test_cases` map
the reference to that video, with the weights' paths made absolute. Run as `python -m scripts.pose2vid --config
… -W … -H … -L <frames> --seed …`. It writes a grid `[reference | poses | result]` (torchvision's make_grid,
2-pixel padding) under `output/<date>/<HHMM>--seed_<seed>-<W>x<H>/`; a2bench moves its own file out of the
repository and crops the result panel.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import ClassVar

import numpy as np

from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.drawing import OPENPOSE_BODY, draw_sequence
from a2bench.generate.external import ExternalAdapter, Staged, crop_panel
from a2bench.generate.staging import check_config_strings, find_output, load_yaml, merge, write_image, write_mp4
from a2bench.generate.staging import write_yaml as write_config

WEIGHTS = {"pretrained_base_model_path": "stable-diffusion-v1-5", "pretrained_vae_path": "sd-vae-ft-mse",
           "image_encoder_path": "image_encoder", "denoising_unet_path": "denoising_unet.pth",
           "reference_unet_path": "reference_unet.pth", "pose_guider_path": "pose_guider.pth",
           "motion_module_path": "motion_module.pth"}


@register_adapter
class MooreAnimateAnyone(ExternalAdapter):
    """Moore-AnimateAnyone's pose2vid script on a staged pose video."""

    name = "moore-animateanyone"
    description = "Moore-AnimateAnyone, from its repository MooreThreads/Moore-AnimateAnyone."
    repository = "MooreThreads/Moore-AnimateAnyone"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.POSES})
    native = Native(size=(768, 512), frames=24)
    markers = ("scripts/pose2vid.py", "configs/prompts/animation.yaml", "src/pipelines/pipeline_pose2vid_long.py")
    checkpoints_folder = "pretrained_weights"
    checkpoint_files = (("denoising_unet.pth",), ("reference_unet.pth",), ("pose_guider.pth",),
                        ("motion_module.pth",), ("stable-diffusion-v1-5/unet/config.json",),
                        ("sd-vae-ft-mse/config.json",), ("image_encoder/config.json",))
    options: ClassVar[dict[str, type]] = {"height": int, "width": int}

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        height, width = self.native.size or protocol_size
        return int(self.option("height", height)), int(self.option("width", width))  # type: ignore[call-overload]

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        assert request.poses is not None
        height, width = request.output_size
        token = uuid.uuid4().hex[:12]
        reference = write_image(folder / f"ref_{token}.png", request.reference_image)
        poses = write_mp4(folder / f"pose_{token}_kps.mp4", draw_sequence(OPENPOSE_BODY, request.poses, height,
                                                                          width), request.fps)
        changes = {key: str(self.checkpoints / name) for key, name in WEIGHTS.items()}
        changes["inference_config"] = str(self.code / "configs/inference/inference_v2.yaml")
        document = {**merge(load_yaml(self.code / "configs/prompts/animation.yaml"), changes),
                    "test_cases": {str(reference): [str(poses)]}}  # replaces the repository's examples
        document = merge(document, self.config.overrides if self.config else {})
        config = folder / "a2bench_job.yaml"
        check_config_strings(document, config)
        write_config(config, document)
        argv = ["-m", "scripts.pose2vid", "--config", str(config), "-W", str(width), "-H", str(height),
                "-L", str(request.frames), "--seed", str(request.seed), "--fps", str(request.fps)]
        return Staged(argv, self.code / "output", {"token": token})

    def collect(self, request: GenerationRequest, staged: Staged) -> np.ndarray:
        height, width = request.output_size
        token = staged.names["token"]
        found = find_output(staged.outputs, f"*/*--seed_{request.seed}-{width}x{height}/ref_{token}_pose_{token}_*.mp4",
                            "grid video")
        assert request.workdir is not None
        grid = Path(shutil.move(found, request.workdir / found.name))
        return crop_panel(grid, 3, 2, height, width, pad=2)
