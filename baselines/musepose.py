"""`musepose`: MusePose (TMElyralab/MusePose), run through its repository.

Its `pose_align.py` (the mmlab stack) only turns a driving video into an aligned pose video; a2bench stages that
video itself from the setting's poses, drawn as pose_align draws (body and hands, no face, lengths-dependent
widths on a 1024-wide canvas, BGR→RGB), at the generation size. A YAML from `configs/test_stage_2.yaml` maps the
reference to it, with the weights' paths made absolute. Run as `python test_stage_2.py --config … -W … -H …
-L <frames> --skip 0 --seed … --fps …`. The result-only video is
`output/video-<date>/<HHMM>-<cfg>-…/<ref>_<pose>_<cfg>_<steps>_<skip>.mp4`; a2bench moves it out of the repository
and removes the grid video written beside it.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import ClassVar

from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.drawing import MUSEPOSE, draw_sequence
from a2bench.generate.external import ExternalAdapter, Staged
from a2bench.generate.staging import check_config_strings, find_output, load_yaml, merge, write_image, write_mp4
from a2bench.generate.staging import write_yaml as write_config

WEIGHTS = {"pretrained_base_model_path": "sd-image-variations-diffusers", "pretrained_vae_path": "sd-vae-ft-mse",
           "image_encoder_path": "image_encoder", "denoising_unet_path": "MusePose/denoising_unet.pth",
           "reference_unet_path": "MusePose/reference_unet.pth", "pose_guider_path": "MusePose/pose_guider.pth",
           "motion_module_path": "MusePose/motion_module.pth"}


@register_adapter
class MusePose(ExternalAdapter):
    """MusePose's test_stage_2.py on a staged, aligned pose video."""

    name = "musepose"
    description = "MusePose, from its repository TMElyralab/MusePose."
    repository = "TMElyralab/MusePose"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.POSES})
    native = Native(size=(768, 512), frames=48)
    markers = ("test_stage_2.py", "configs/test_stage_2.yaml", "musepose/pipelines/pipeline_pose2vid_long.py")
    checkpoints_folder = "pretrained_weights"
    checkpoint_files = tuple((name,) for name in (
        "MusePose/denoising_unet.pth", "MusePose/reference_unet.pth", "MusePose/pose_guider.pth",
        "MusePose/motion_module.pth", "sd-image-variations-diffusers/unet/config.json", "sd-vae-ft-mse/config.json",
        "image_encoder/config.json"))
    options: ClassVar[dict[str, type]] = {"height": int, "width": int}

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        height, width = self.native.size or protocol_size
        return int(self.option("height", height)), int(self.option("width", width))  # type: ignore[call-overload]

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        assert request.poses is not None
        height, width = request.output_size
        token = uuid.uuid4().hex[:12]
        reference = write_image(folder / f"ref_{token}.png", request.reference_image)
        poses = write_mp4(folder / f"pose_{token}.mp4", draw_sequence(MUSEPOSE, request.poses, height, width),
                          request.fps)
        changes = {key: str(self.checkpoints / name) for key, name in WEIGHTS.items()}
        changes["inference_config"] = str(self.code / "configs/inference_v2.yaml")
        document = {**merge(load_yaml(self.code / "configs/test_stage_2.yaml"), changes),
                    "test_cases": {str(reference): [str(poses)]}}  # replaces the repository's examples
        document = merge(document, self.config.overrides if self.config else {})
        config = folder / "a2bench_job.yaml"
        check_config_strings(document, config)
        write_config(config, document)
        argv = ["test_stage_2.py", "--config", str(config), "-W", str(width), "-H", str(height),
                "-L", str(request.frames), "--skip", "0", "--seed", str(request.seed), "--fps", str(request.fps)]
        return Staged(argv, self.code / "output", {"token": token})

    def collect(self, request: GenerationRequest, staged: Staged) -> Path:
        stem = f"ref_{staged.names['token']}_pose_{staged.names['token']}"
        found = find_output(staged.outputs, f"video-*/*/{stem}_*.mp4", "result video",
                            regex=rf"{stem}_[0-9.]+_\d+_0\.mp4")
        for grid in found.parent.glob(f"{stem}_*.mp4"):
            if grid != found:
                grid.unlink()
        assert request.workdir is not None
        return Path(shutil.move(found, request.workdir / found.name))
