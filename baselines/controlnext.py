"""`controlnext-svd`: ControlNeXt-SVD v2 (dvlab-research/ControlNeXt, folder ControlNeXt-SVD-v2), run through its
repository.

It takes the raw driving video and runs DWPose and its pose alignment itself. Staged: the reference image and
the driving frames as an MP4, letterboxed into its frame so its centre crop removes nothing. Run as
`python run_controlnext.py …` with `--sample_stride 1`, `--max_frame_num` the case's length + 1 (frame 0 of its
output reproduces the reference and is dropped), `--overlap` below the frame count (else its windows average
nothing). The result is `<output_dir>/output.mp4`. Its script takes no seed, so runs are not reproducible.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from a2bench.generate.adapter import GenerationRequest, Input, Native, register_adapter
from a2bench.generate.external import ExternalAdapter, Staged
from a2bench.generate.normalise import JobFailed, decode_output
from a2bench.generate.staging import write_image, write_mp4

SVD = "stable-video-diffusion-img2vid-xt-1-1"
BATCH_FRAMES = 24
OVERLAP = 6


@register_adapter
class ControlNeXtSVD(ExternalAdapter):
    """ControlNeXt-SVD v2's own script on a staged driving video."""

    name = "controlnext-svd"
    description = "ControlNeXt (SVD v2), from its repository dvlab-research/ControlNeXt."
    repository = "dvlab-research/ControlNeXt"
    consumes = frozenset({Input.REFERENCE_IMAGE, Input.DRIVING_FRAMES})
    native = Native(size=(1024, 576), frames=BATCH_FRAMES)
    code_folder = "ControlNeXt-SVD-v2"
    markers = ("run_controlnext.py", "pipeline/pipeline_stable_video_diffusion_controlnext.py", "dwpose/preprocess.py")
    checkpoints_folder = "pretrained"
    checkpoint_files = (("unet.bin", "controlnext-svd_v2-unet-fp16.safetensors"),
                        ("controlnet.bin", "controlnext-svd_v2-controlnet-fp16.safetensors"))
    code_files = ("pretrained/DWPose/yolox_l.onnx", "pretrained/DWPose/dw-ll_ucoco_384.onnx")
    options: ClassVar[dict[str, type]] = {"height": int, "width": int, "base_model": str, "steps": int,
                                          "guidance": float, "batch_frames": int, "overlap": int}

    @property
    def code(self) -> Path:
        """The ControlNeXt-SVD-v2 folder (`repo` may name the repository or that folder)."""
        assert self.config is not None and self.config.repo is not None
        repo = self.config.repo
        return repo if (repo / self.markers[0]).is_file() else repo / self.code_folder

    def canvas(self, protocol_size: tuple[int, int]) -> tuple[int, int]:
        """Portrait (its training frame) unless the protocol is landscape."""
        long, short = self.native.size or (1024, 576)
        height, width = (short, long) if protocol_size[1] > protocol_size[0] else (long, short)
        return int(self.option("height", height)), int(self.option("width", width))  # type: ignore[call-overload]

    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        height, width = request.output_size
        frames = request.frames + 1
        local = self.checkpoints / SVD
        base = self.option("base_model", str(local) if local.is_dir() else f"stabilityai/{SVD}")
        reference = write_image(folder / "reference.png", request.reference_image)
        driving = write_mp4(folder / "driving.mp4", np.asarray(request.driving_frames), request.fps)
        outputs = folder / "outputs"
        argv = ["run_controlnext.py", "--pretrained_model_name_or_path", str(base),
                "--validation_control_video_path", str(driving), "--output_dir", str(outputs),
                "--ref_image_path", str(reference), "--height", str(height), "--width", str(width),
                "--max_frame_num", str(frames), "--sample_stride", "1",
                "--batch_frames", str(min(int(self.option("batch_frames", BATCH_FRAMES)), frames)),  # type: ignore[call-overload]
                "--overlap", str(min(int(self.option("overlap", OVERLAP)), frames - 1)),  # type: ignore[call-overload]
                "--guidance_scale", str(self.option("guidance", 3.0)),
                "--num_inference_steps", str(self.option("steps", 25)),
                "--controlnext_path", str(self.checkpoint(1)), "--unet_path", str(self.checkpoint(0))]
        request.notes.append("ControlNeXt's script takes no seed: the run is not reproducible")
        return Staged(argv, outputs)

    def collect(self, request: GenerationRequest, staged: Staged) -> np.ndarray:
        frames, _ = decode_output(staged.outputs / "output.mp4")
        if len(frames) < 2:
            raise JobFailed(f"wrote {len(frames)} frame(s): nothing after its reference frame",
                            path=staged.outputs / "output.mp4", fix="see the job's log")
        return frames[1:]
