"""Fake TMElyralab/MusePose `test_stage_2.py --config X.yaml -W -H -L --skip`: reads the aligned pose videos of
`test_cases`, samples them as the real script does and writes the result-only video
`output/video-<date>/<HHMM>-<cfg>-<m1>-<m2>/<ref>_<pose>_<cfg>_<steps>_<skip>.mp4` plus the grid beside it."""

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml
from fakekit import fail, generated, image, read_video, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--config", default="./configs/test_stage_2.yaml")
parser.add_argument("-W", type=int, default=768)
parser.add_argument("-H", type=int, default=768)
parser.add_argument("-L", type=int, default=300)
parser.add_argument("-S", type=int, default=48)
parser.add_argument("-O", type=int, default=4)
parser.add_argument("--cfg", type=float, default=3.5)
parser.add_argument("--seed", type=int, default=99)
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--fps", type=int)
parser.add_argument("--skip", type=int, default=1)
args = parser.parse_args()
start(sys.argv)
config = yaml.safe_load(Path(args.config).read_text())
for key in ("denoising_unet_path", "reference_unet_path", "pose_guider_path", "motion_module_path"):
    require_file(config[key], key)  # the real skips a missing motion module silently: the fake does not
require_file(Path(config["pretrained_base_model_path"]) / "unet" / "config.json", "base UNet config")
require_file(config["inference_config"], "inference config")
if args.S - args.O <= 0:
    fail("context overlap must be below the context size")
stamp = datetime.now()
m1 = config["pose_guider_path"].split(".")[0].split("/")[-1]
m2 = config["motion_module_path"].split(".")[0].split("/")[-1]
folder = Path(f"./output/video-{stamp:%Y%m%d}/{stamp:%H%M}-{args.cfg}-{m1}-{m2}")
for ref_path, pose_paths in config["test_cases"].items():
    reference = image(ref_path)
    for pose_path in pose_paths:
        poses, fps = read_video(pose_path)
        length = min(args.L, len(poses))
        poses = poses[:: args.skip + 1]
        fps = fps // (args.skip + 1)
        length = length // (args.skip + 1)
        if length == 0:
            fail("IndexError: list index out of range (no pose frame left)")
        height, width = poses.shape[1:3]
        result = generated(resize(reference, height, width), length)
        stem = f"{Path(ref_path).stem}_{Path(pose_path).stem}_{args.cfg}_{args.steps}_{args.skip}"
        os.makedirs(folder, exist_ok=True)
        write_video(folder / f"{stem}.mp4", result, args.fps or fps)
        grid = np.concatenate([np.stack([resize(reference, height, width)] * length), poses[:length], result], axis=2)
        write_video(folder / f"{stem}_{m1}_{m2}.mp4", grid, args.fps or fps)
