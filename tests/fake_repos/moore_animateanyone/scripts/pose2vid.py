"""Fake MooreThreads/Moore-AnimateAnyone `python -m scripts.pose2vid --config X.yaml -W -H -L`: reads the pose
videos of `test_cases`, stretches everything to W×H and writes the grid [reference | pose | result] (2-pixel
padding) to `output/<date>/<HHMM>--seed_<seed>-<W>x<H>/<ref>_<pose>_<H>x<W>_<cfg>_<HHMM>.mp4`."""

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import src.pipelines.pipeline_pose2vid_long  # noqa: F401  (only importable from the repository root)
import yaml
from fakekit import fail, generated, image, read_video, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--config")
parser.add_argument("-W", type=int, default=512)
parser.add_argument("-H", type=int, default=784)
parser.add_argument("-L", type=int, default=24)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--cfg", type=float, default=3.5)
parser.add_argument("--steps", type=int, default=30)
parser.add_argument("--fps", type=int)
args = parser.parse_args()
start(sys.argv)
config = yaml.safe_load(Path(args.config).read_text())
require_file(Path(config["pretrained_base_model_path"]) / "unet" / "config.json", "base UNet config")
for key in ("denoising_unet_path", "reference_unet_path", "pose_guider_path", "motion_module_path"):
    require_file(config[key], key)  # the real skips a missing motion module silently: the fake does not
require_file(config["inference_config"], "inference config")
if args.W % 8 or args.H % 8:
    fail("width and height must be multiples of 8")
width, height = args.W, args.H
stamp = datetime.now()
folder = Path(f"output/{stamp:%Y%m%d}/{stamp:%H%M}--seed_{args.seed}-{width}x{height}")
for ref_path, pose_paths in config["test_cases"].items():
    reference = resize(image(ref_path), height, width)
    for pose_path in pose_paths:
        poses, fps = read_video(pose_path)
        if len(poses) < args.L:
            fail(f"IndexError: the pose video has {len(poses)} frames, -L asks for {args.L}")
        poses = [resize(p, height, width) for p in poses[:args.L]]
        result = generated(reference, args.L)
        canvas = np.zeros((args.L, height + 4, 3 * width + 8, 3), np.uint8)
        for k, panel in enumerate(([reference] * args.L, poses, result)):
            left = 2 + k * (width + 2)
            canvas[:, 2:2 + height, left:left + width] = np.stack(panel)
        name = f"{Path(ref_path).stem}_{Path(pose_path).stem.replace('_kps', '')}_{height}x{width}_{int(args.cfg)}_" \
               f"{stamp:%H%M}.mp4"
        os.makedirs(folder, exist_ok=True)
        write_video(folder / name, canvas, args.fps or fps)
