"""What Animate-X and UniAnimate share (Animate-X is a fork of UniAnimate): the `inference.py --cfg X.yaml
--debug` entry, a YAML derived from the repository's own config, `resolution` as [W, H], outputs under
`<log_dir>/<config stem>/`, and pose pictures drawn by their DWPose `draw_pose` (without face)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from a2bench.generate.adapter import GenerationRequest
from a2bench.generate.drawing import DWPOSE_BODY_FOOT, draw_frame, draw_sequence
from a2bench.generate.external import ExternalAdapter, Staged
from a2bench.generate.normalise import JobFailed
from a2bench.generate.staging import check_config_strings, load_yaml, merge, write_frames, write_image, write_yaml

JOB_CONFIG = "a2bench_job.yaml"
RESULTS = "results"
TRAINED_FRAMES = 32


class VilabAdapter(ExternalAdapter):
    """A method of the UniAnimate family, run through its repository's inference.py."""

    config_file: ClassVar[str]  # the repository's inference config, relative to the repository
    pose_name: ClassVar[str]  # how its preprocessing names pose pictures
    options: ClassVar[dict[str, type]] = {"height": int, "width": int}

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        height, width = self.native.size or protocol_size
        return int(self.option("height", height)), int(self.option("width", width))  # type: ignore[call-overload]

    def stage_poses(self, request: GenerationRequest, folder: Path) -> Path:
        """Pose pictures `folder/<pose_name>` and `ref_pose.jpg` (the reference's own pose; without one, the
        first driving pose, noted)."""
        assert request.poses is not None
        height, width = request.output_size
        write_frames(folder, draw_sequence(DWPOSE_BODY_FOOT, request.poses, height, width), self.pose_name)
        if request.reference_poses is not None:
            reference = request.reference_poses
        else:
            reference = request.poses
            request.notes.append("the case has no reference pose: ref_pose.jpg shows its first driving pose")
        extra = {name: part[0] for name, part in reference.extra.items()}
        write_image(folder / "ref_pose.jpg", draw_frame(DWPOSE_BODY_FOOT, reference.body[0], height, width,
                                                        extra.get("feet"), extra.get("hands")))
        return folder

    def job_config(self, request: GenerationRequest, folder: Path, changes: dict[str, Any]) -> Path:
        """The repository's config with this job's keys (and the user's overrides), written for `--cfg`."""
        frames = request.frames
        if frames < 2:
            raise JobFailed(f"{self.name} needs at least 2 frames, the case has {frames}",
                            fix="score cases of at least 2 frames")
        height, width = request.output_size
        checkpoints = {"test_model": str(self.checkpoint(0)), "embedder": {"pretrained": str(self.checkpoint(1))},
                       "auto_encoder": {"pretrained": str(self.checkpoint(2))}}
        common = {"max_frames": frames, "resolution": [width, height], "round": 1, "seed": request.seed,
                  "save_fps": request.fps, "log_dir": str(folder / RESULTS), **checkpoints}
        document = merge(merge(load_yaml(self.code / self.config_file), {**common, **changes}),
                         self.config.overrides if self.config else {})
        path = folder / JOB_CONFIG
        check_config_strings(document, path)
        return write_yaml(path, document)

    def command(self, config: Path, folder: Path) -> Staged:
        return Staged(["inference.py", "--cfg", str(config), "--debug"], folder / RESULTS / Path(JOB_CONFIG).stem)


def reference_file(request: GenerationRequest, folder: Path) -> Path:
    """The reference image as `images/<case>.png` (read with cv2.imread by both repositories)."""
    return write_image(folder / "images" / f"{request.case_id}.png", np.asarray(request.reference_image))
