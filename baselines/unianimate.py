"""`unianimate`: UniAnimate (ali-vilab/UniAnimate), run through its repository.

Staged as its `run_align_pose.py` writes and `inference_unianimate_entrance.py` reads: `saved_pose/<case>/0000.jpg…`
(skeletons drawn by its DWPose `draw_pose` without face) and the mandatory `ref_pose.jpg`; a YAML from
`configs/UniAnimate_infer.yaml` with one `test_list_path` entry `[1, ref, pose_dir]`, `partial_keys`
`[[image, randomref, dwpose]]` (the plain UniAnimate setting, one video), `round: 1`, `max_frames` equal to the
case's length. The setting's poses are staged as they are (a2bench does not run run_align_pose.py). The
repository writes only a 3-panel video `[reference | poses | result]`; the result is its right third.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from a2bench.baselines.vilab import TRAINED_FRAMES, VilabAdapter, reference_file
from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.external import Staged, crop_panel
from a2bench.generate.staging import find_output


@register_adapter
class UniAnimate(VilabAdapter):
    """UniAnimate's own inference script on staged skeletons."""

    name = "unianimate"
    description = "UniAnimate, from its repository ali-vilab/UniAnimate."
    repository = "ali-vilab/UniAnimate"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.POSES})
    native = Native(size=(768, 512), frames=TRAINED_FRAMES, fps=8)
    markers = ("inference.py", "configs/UniAnimate_infer.yaml", "tools/inferences/inference_unianimate_entrance.py")
    config_file = "configs/UniAnimate_infer.yaml"
    pose_name = "{:04d}.jpg"
    checkpoints_folder = "checkpoints"
    checkpoint_files = (("unianimate_16f_32f_non_ema_223000.pth",), ("open_clip_pytorch_model.bin",),
                        ("v2-1_512-ema-pruned.ckpt",))

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        data = folder / "data"
        reference = reference_file(request, data)
        poses = self.stage_poses(request, data / "saved_pose" / request.case_id)
        changes = {"test_list_path": [[1, str(reference), str(poses)]],
                   "partial_keys": [["image", "randomref", "dwpose"]]}
        return self.command(self.job_config(request, folder, changes), folder)

    def collect(self, request: GenerationRequest, staged: Staged) -> np.ndarray:
        video = find_output(staged.outputs, "rank_*_image_randomref_dwpose_*.mp4", "3-panel video")
        return crop_panel(video, 3, 2, *request.output_size)
