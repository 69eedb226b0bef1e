"""Optional DWPose extractor on onnxruntime: YOLOX-L person detection, then RTMPose-style whole-body SimCC.

Needs the `dwpose` extra (`pip install 'a2bench[dwpose]'`) and the two ONNX files of the Hugging Face
repository yzd-v/DWPose, `yolox_l.onnx` and `dw-ll_ucoco_384.onnx`, in the weights folder: `weights_dir`,
else `$A2BENCH_WEIGHTS/dwpose`, else `dwpose/` in the per-user weights cache (`~/.cache/a2bench/weights` on
Linux, the folder a2bench's other weights use). The steps follow DWPose's
ControlNet annotator (onnxdet.py, onnxpose.py, wholebody.py) as UniAnimate's run_align_pose.py uses it:

1. Detection: letterbox the frame into 640×640 (scale r = min(640/H, 640/W), top-left, padding 114), run
   YOLOX, decode its grid (strides 8, 16, 32: centre = (raw + cell) · stride, size = exp(raw) · stride),
   score = objectness × class, greedy NMS at IoU 0.45 over scores > 0.1, keep people (class 0) above 0.3.
2. Pose: per box, centre c and scale s = 1.25 × (w, h), widened to the model's 3:4 aspect; the affine map
   x ↦ k (x − c) + (w_in/2, h_in/2), k = w_in / s_x, crops 288×384; pixels are normalised with mean
   (123.675, 116.28, 103.53) and std (58.395, 57.12, 57.375).
3. SimCC decoding: per keypoint the arg-max bin of the x and y vectors divided by the split ratio 2, the
   score min(max x, max y); a point whose score is ≤ 0 is missing. Crop → image: x = loc / w_in · s + c − s/2.
4. COCO-WholeBody (133 points) → a2bench: body COCO-18 with neck = mid-shoulders, confidence 1 when both
   shoulders score above 0.3, else 0 (DWPose's rule); feet 17–22, face 23–90, left hand 91–111, right hand
   112–132. Scores are clipped to [0, 1]; coordinates divided by the frame's width and height.

DWPose's video pipelines read frames with OpenCV, so the networks see BGR; `bgr=True` (the default)
reproduces that from a2bench's RGB frames. With several people the highest-scoring box is kept (as
run_align_pose.py keeps the first); with none the whole frame is the box (as onnxpose.py does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from a2bench.data.poses.format import JOINT, PoseSequence
from a2bench.errors import A2BenchError
from a2bench.weights.store import ENV_VAR as WEIGHTS_ENV
from a2bench.weights.store import weights_folder

DETECTOR_FILE = "yolox_l.onnx"
POSE_FILE = "dw-ll_ucoco_384.onnx"
WEIGHTS_SOURCE = "https://huggingface.co/yzd-v/DWPose"
DETECTOR_SIZE = (640, 640)
POSE_SIZE = (288, 384)  # (width, height) of dw-ll_ucoco_384
STRIDES = (8, 16, 32)
PAD_VALUE = 114
BOX_PADDING = 1.25
SIMCC_SPLIT = 2.0
MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])
NMS_IOU, SCORE_MIN, PERSON_MIN, NECK_MIN = 0.45, 0.1, 0.3, 0.3
COCO17 = ("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist",
          "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle")
PART_SPANS = {"feet": slice(17, 23), "face": slice(23, 91), "hands": slice(91, 133)}


def weights_dir(folder: Path | str | None = None) -> Path:
    """Where the ONNX files are looked up: `folder`, else `dwpose/` in the weights folder of the registry."""
    if folder is not None:
        return Path(folder).expanduser()
    return weights_folder() / "dwpose"


def find_weights(folder: Path | str | None = None) -> tuple[Path, Path]:
    """The detector and pose model paths; A2BenchError naming the missing files and where to get them."""
    root = weights_dir(folder)
    paths = (root / DETECTOR_FILE, root / POSE_FILE)
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise A2BenchError(f"DWPose weights missing: {', '.join(missing)}", path=root,
                           fix=f"download {' and '.join(missing)} from {WEIGHTS_SOURCE} into this folder "
                               f"(or point ${WEIGHTS_ENV} at a folder holding dwpose/)")
    return paths


# --- detection -------------------------------------------------------------------------------------------------

def letterbox(image: np.ndarray, size: tuple[int, int] = DETECTOR_SIZE) -> tuple[np.ndarray, float]:
    """YOLOX input: the image scaled by r into the top-left of a `size` (H, W) canvas of 114; float32 (3, H, W)."""
    ratio = min(size[0] / image.shape[0], size[1] / image.shape[1])
    height, width = int(image.shape[0] * ratio), int(image.shape[1] * ratio)
    canvas = np.full((*size, 3), PAD_VALUE, dtype=np.uint8)
    canvas[:height, :width] = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(canvas.transpose(2, 0, 1), dtype=np.float32), ratio


def yolox_grid_decode(raw: np.ndarray, size: tuple[int, int] = DETECTOR_SIZE) -> np.ndarray:
    """Turn YOLOX's raw (A, 5 + classes) outputs into centre/size boxes in letterboxed pixels."""
    grids, strides = [], []
    for stride in STRIDES:
        ys, xs = np.meshgrid(np.arange(size[0] // stride), np.arange(size[1] // stride), indexing="ij")
        grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        strides.append(np.full((xs.size, 1), stride))
    grid, stride = np.concatenate(grids), np.concatenate(strides)
    if raw.shape[0] != grid.shape[0]:
        raise ValueError(f"detector gave {raw.shape[0]} anchors, expected {grid.shape[0]} for {size}")
    out = raw.astype(np.float64).copy()
    out[:, :2] = (out[:, :2] + grid) * stride
    out[:, 2:4] = np.exp(out[:, 2:4]) * stride
    return out


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float = NMS_IOU) -> list[int]:
    """Greedy non-maximum suppression over (x0, y0, x1, y1) boxes (YOLOX's +1 pixel area convention)."""
    areas = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        inter = np.prod(np.maximum(0.0, high - low + 1), axis=1)
        order = rest[inter / (areas[best] + areas[rest] - inter) <= threshold]
    return keep


def people_boxes(decoded: np.ndarray, ratio: float) -> np.ndarray:
    """Person boxes (n, 4) in image pixels, best first, from decoded YOLOX outputs."""
    centre, extent = decoded[:, :2], decoded[:, 2:4]
    boxes = np.concatenate([centre - extent / 2, centre + extent / 2], axis=1) / ratio
    scores = decoded[:, 4] * decoded[:, 5]
    valid = scores > SCORE_MIN
    boxes, scores = boxes[valid], scores[valid]
    keep = [index for index in nms(boxes, scores) if scores[index] > PERSON_MIN]
    return boxes[keep]


# --- top-down pose ---------------------------------------------------------------------------------------------

def box_center_scale(box: np.ndarray, size: tuple[int, int] = POSE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Centre and padded scale (w, h) of a box, widened to the pose model's aspect ratio w/h."""
    box = np.asarray(box, dtype=np.float64)
    center = (box[:2] + box[2:]) / 2
    w, h = (box[2:] - box[:2]) * BOX_PADDING
    aspect = size[0] / size[1]
    scale = np.array([w, w / aspect]) if w > h * aspect else np.array([h * aspect, h])
    return center, scale


def crop_matrix(center: np.ndarray, scale: np.ndarray, size: tuple[int, int] = POSE_SIZE) -> np.ndarray:
    """The 2×3 similarity taking the box (centre, scale) onto the model input of `size` (w, h)."""
    k = size[0] / scale[0]
    return np.array([[k, 0.0, size[0] / 2 - k * center[0]], [0.0, k, size[1] / 2 - k * center[1]]])


def crop_to_image(points: np.ndarray, center: np.ndarray, scale: np.ndarray,
                  size: tuple[int, int] = POSE_SIZE) -> np.ndarray:
    """Crop pixel coordinates back to the image: x / w_in · s + c − s / 2 (onnxpose.py's postprocess)."""
    return points / np.asarray(size, dtype=np.float64) * scale + center - scale / 2


def pose_input(image: np.ndarray, center: np.ndarray, scale: np.ndarray,
               size: tuple[int, int] = POSE_SIZE) -> np.ndarray:
    """The normalised crop fed to the pose model: float32 (1, 3, h, w)."""
    crop = cv2.warpAffine(image, crop_matrix(center, scale, size), size, flags=cv2.INTER_LINEAR)
    return ((crop - MEAN) / STD).transpose(2, 0, 1)[None].astype(np.float32)


def simcc_decode(simcc_x: np.ndarray, simcc_y: np.ndarray,
                 split: float = SIMCC_SPLIT) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (K, 2) in crop pixels and scores (K,) from SimCC vectors (K, Wx) and (K, Wy)."""
    locs = np.stack([simcc_x.argmax(axis=1), simcc_y.argmax(axis=1)], axis=1).astype(np.float64)
    scores = np.minimum(simcc_x.max(axis=1), simcc_y.max(axis=1)).astype(np.float64)
    locs[scores <= 0] = -1
    return locs / split, scores


# --- conversion ------------------------------------------------------------------------------------------------

def wholebody_to_parts(points: np.ndarray, scores: np.ndarray,
                       image_size: tuple[int, int]) -> dict[str, np.ndarray]:
    """133 COCO-WholeBody points (pixels) and scores → normalised `body` (18, 3), `feet`, `face`, `hands`."""
    height, width = image_size
    rows = np.concatenate([np.asarray(points, dtype=np.float64) / (width, height),
                           np.clip(scores, 0.0, 1.0)[:, None]], axis=1)
    rows[rows[:, 2] <= 0] = 0.0
    body = np.zeros((18, 3))
    for index, name in enumerate(COCO17):
        body[JOINT[name]] = rows[index]
    shoulders = [COCO17.index("l_shoulder"), COCO17.index("r_shoulder")]
    visible = bool(np.all(np.asarray(scores)[shoulders] > NECK_MIN))
    body[JOINT["neck"]] = (*rows[shoulders, :2].mean(axis=0), 1.0) if visible else (0.0, 0.0, 0.0)
    parts = {name: rows[span] for name, span in PART_SPANS.items()}
    return {"body": body, **parts}


# --- the extractor ---------------------------------------------------------------------------------------------

def _input_size(session: Any) -> tuple[int, int]:
    """The pose model's (w, h) from its input shape, DWPose's 288×384 when the shape is symbolic."""
    shape = session.get_inputs()[0].shape
    height, width = shape[2], shape[3]
    return (width, height) if isinstance(width, int) and isinstance(height, int) else POSE_SIZE


@dataclass
class DWPose:
    """A detector and a pose model (onnxruntime sessions or anything with their `run`/`get_inputs`)."""

    detector: Any
    pose_model: Any
    bgr: bool = True

    @classmethod
    def from_weights(cls, folder: Path | str | None = None, providers: list[str] | None = None) -> DWPose:
        """Load both ONNX files (see the module docstring); clear errors when they or onnxruntime are missing."""
        detector_path, pose_path = find_weights(folder)
        try:
            import onnxruntime
        except ImportError:
            raise A2BenchError("onnxruntime is not installed", fix="pip install 'a2bench[dwpose]'") from None
        chosen = providers or onnxruntime.get_available_providers()
        return cls(onnxruntime.InferenceSession(str(detector_path), providers=chosen),
                   onnxruntime.InferenceSession(str(pose_path), providers=chosen))

    def _run(self, session: Any, tensor: np.ndarray) -> list[np.ndarray]:
        return session.run(None, {session.get_inputs()[0].name: tensor})

    def detect(self, image: np.ndarray) -> np.ndarray:
        """Person boxes (n, 4) in pixels of a network-ordered frame, best first."""
        tensor, ratio = letterbox(image)
        raw = self._run(self.detector, tensor[None])[0][0]
        return people_boxes(yolox_grid_decode(raw), ratio)

    def frame(self, rgb: np.ndarray) -> dict[str, np.ndarray]:
        """One uint8 RGB frame (H, W, 3) → normalised `body`, `feet`, `face`, `hands` of the best person."""
        image = np.ascontiguousarray(rgb[..., ::-1]) if self.bgr else rgb
        boxes = self.detect(image)
        box = boxes[0] if len(boxes) else np.array([0.0, 0.0, image.shape[1], image.shape[0]])
        size = _input_size(self.pose_model)
        center, scale = box_center_scale(box, size)
        simcc_x, simcc_y = self._run(self.pose_model, pose_input(image, center, scale, size))[:2]
        locs, scores = simcc_decode(simcc_x[0], simcc_y[0])
        points = crop_to_image(locs, center, scale, size)
        return wholebody_to_parts(points, scores, image.shape[:2])

    def sequence(self, frames: np.ndarray) -> PoseSequence:
        """A video's uint8 RGB frames (T, H, W, 3) → a PoseSequence with body, feet, face and hands."""
        if frames.ndim != 4 or len(frames) == 0:
            raise A2BenchError(f"expected frames of shape (T, H, W, 3) with T > 0, got {frames.shape}",
                               fix="pass a decoded, non-empty video")
        results = [self.frame(frame) for frame in frames]
        stacked = {name: np.stack([r[name] for r in results]).astype(np.float32) for name in results[0]}
        return PoseSequence(body=stacked.pop("body"), image_size=frames.shape[1:3], extra=stacked)

