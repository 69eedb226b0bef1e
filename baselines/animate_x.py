"""`animate-x`: Animate-X (antgroup/animate-x, ICLR 2025), run through its repository.

Staged as its `process_data.py` writes and `inference_animate_x_entrance.py` reads a video `<case>`:
`saved_frames/<case>/frame_0000.jpg…` (driving frames), `saved_pose/<case>/frame_0000.jpg…` (the same names,
skeletons drawn by its DWPose `draw_pose` without face) plus `ref_pose.jpg`, `saved_pkl/<case>.pkl` (driving
keypoints) and `saved_pkl/<case>_ref_pose.pkl` (the reference's); a YAML from `configs/Animate_X_infer.yaml` with
one `test_list_path` entry `[1, ref, pose_dir, frames_dir, pkl, seed]`, `round: 1` and `max_frames` equal to the
case's length (the sampler crashes on videos shorter than stride·(max_frames−1)+1; `UNet.seq_len` is raised past
32 frames, as its README says). The result is `<log_dir>/a2bench_job/…_results_1col.mp4`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from a2bench.baselines.vilab import TRAINED_FRAMES, VilabAdapter, reference_file
from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.drawing import dwpose_detection, dwpose_keypoints
from a2bench.generate.external import Staged
from a2bench.generate.staging import find_output, write_frames, write_pickle

FRAME_NAME = "frame_{:04d}.jpg"


@register_adapter
class AnimateX(VilabAdapter):
    """Animate-X's own inference script on staged frames, skeletons and keypoints."""

    name = "animate-x"
    description = "Animate-X (ICLR 2025), from its repository antgroup/animate-x."
    repository = "antgroup/animate-x"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.DRIVING_FRAMES, Input.POSES})
    native = Native(size=(768, 512), frames=TRAINED_FRAMES, fps=8)
    markers = ("inference.py", "configs/Animate_X_infer.yaml", "animatex/inference_animate_x_entrance.py")
    config_file = "configs/Animate_X_infer.yaml"
    pose_name = FRAME_NAME
    checkpoints_folder = "checkpoints"
    checkpoint_files = (("animate-x_ckpt.pth", "animate-x.pth"), ("open_clip_pytorch_model.bin",),
                        ("v2-1_512-ema-pruned.ckpt",))

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        assert request.poses is not None and request.driving_frames is not None
        data, case = folder / "data", request.case_id
        reference = reference_file(request, data)
        frames = data / "saved_frames" / case
        write_frames(frames, np.asarray(request.driving_frames), FRAME_NAME)
        poses = self.stage_poses(request, data / "saved_pose" / case)
        keypoints = write_pickle(data / "saved_pkl" / f"{case}.pkl", dwpose_keypoints(request.poses, request.fps))
        if request.reference_poses is not None:
            write_pickle(data / "saved_pkl" / f"{case}_ref_pose.pkl", dwpose_detection(request.reference_poses))
        changes: dict[str, object] = {
            "test_list_path": [[1, str(reference), str(poses), str(frames), str(keypoints), request.seed]]}
        if request.frames > TRAINED_FRAMES:
            changes["UNet"] = {"seq_len": request.frames + 1}
        return self.command(self.job_config(request, folder, changes), folder)

    def collect(self, request: GenerationRequest, staged: Staged) -> Path:
        return find_output(staged.outputs, "*_results_1col.mp4", "result video (…_results_1col.mp4)")
