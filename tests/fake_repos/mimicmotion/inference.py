"""Fake Tencent/MimicMotion `inference.py --inference_config X.yaml --output_dir OUT`: decodes the raw driving
video at its stride, applies the reference's cover + centre crop, enforces the tiling's length rule and writes
`OUT/<video stem>_<timestamp>.mp4` (the result only)."""

import argparse
import math
import os
import sys
from datetime import datetime
from pathlib import Path

import yaml
from fakekit import fail, generated, image, read_video, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--inference_config", default="configs/test.yaml")
parser.add_argument("--output_dir", default="outputs/")
parser.add_argument("--log_file", default=None)
parser.add_argument("--no_use_float16", action="store_true")
args = parser.parse_args()
start(sys.argv)
for onnx in ("models/DWPose/yolox_l.onnx", "models/DWPose/dw-ll_ucoco_384.onnx"):  # relative to the cwd
    require_file(onnx, "DWPose model")
cfg = yaml.safe_load(Path(args.inference_config).read_text())
require_file(cfg["ckpt_path"], "checkpoint")
if not os.path.isdir(cfg["base_model_path"]):
    fail(f"{cfg['base_model_path']} is not a local SVD folder (offline: cannot download the gated model)")
os.makedirs(args.output_dir, exist_ok=True)
stamp = datetime.now().strftime("%Y%m%d%H%M%S")
open(os.path.join(args.output_dir, f"{stamp}.log"), "a").close()
for task in cfg["test_case"]:
    reference = image(task["ref_image_path"])
    h, w = reference.shape[:2]
    short = task["resolution"]
    if h > w:
        width, height = short, int(short / (9 / 16) // 64) * 64
    else:
        width, height = int(short / (9 / 16) // 64) * 64, short
    scale = max(height / h, width / w)
    covered = resize(reference, math.ceil(h * scale), math.ceil(w * scale))
    top, left = (covered.shape[0] - height) // 2, (covered.shape[1] - width) // 2
    cropped = covered[top:top + height, left:left + width]
    frames, fps = read_video(task["ref_video_path"])
    stride = task["sample_stride"] * max(1, int(fps / 24))
    sampled = frames[::stride]
    count = len(sampled) + 1
    tile, overlap = task["num_frames"], task["frames_overlap"]
    if tile - overlap <= 0:
        fail("ValueError: range() arg 3 must not be zero")
    indices = [[0, *range(i + 1, min(i + tile, count))] for i in range(0, count - tile + 1, tile - overlap)]
    indices[-1]  # IndexError: list index out of range (MimicMotion#74) on videos shorter than num_frames
    result = generated(cropped, count)[1:]
    stem = os.path.basename(task["ref_video_path"]).split(".")[0]
    write_video(os.path.join(args.output_dir, f"{stem}_{stamp}.mp4"), result, task["fps"])
