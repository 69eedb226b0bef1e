"""Fake ali-vilab/UniAnimate `inference.py --cfg X.yaml [--debug]`: reads what inference_unianimate_entrance.py
reads, the way it reads it, and writes only the 3-panel `<log_dir>/<cfg stem>/rank_…_<keys>_<ref>_HxW.mp4`."""

import argparse
import os
import re
import sys
from pathlib import Path

import numpy as np
import yaml
from fakekit import fail, generated, image, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--cfg", dest="cfg_file", default="configs/UniAnimate_infer.yaml")
parser.add_argument("--debug", action="store_true")
parser.add_argument("opts", nargs=argparse.REMAINDER)
args = parser.parse_args()
start(sys.argv)
if not args.debug:
    fail("without --debug the entrance calls dist.init_process_group('nccl')")
cfg = yaml.safe_load(Path(args.cfg_file).read_text())
for key, value in cfg.items():
    if isinstance(value, str) and value[1:3] == "e-":
        cfg[key] = float(value)
for path in (cfg["test_model"], cfg["embedder"]["pretrained"], cfg["auto_encoder"]["pretrained"]):
    require_file(path, "checkpoint")
max_frames = cfg["max_frames"]
width, height = cfg["resolution"]
keys_list = cfg.get("partial_keys", [["image", "randomref", "dwpose"]])
test_list = [item for _ in range(cfg.get("round", 1)) for item in cfg["test_list_path"]]
for idx, entry in enumerate(test_list):
    frame_interval, ref_image, pose_dir = entry[:3]
    names = [n for n in sorted(os.listdir(pose_dir)) if n != "ref_pose.jpg"]
    try:
        reference = image(ref_image)
        poses = [image(os.path.join(pose_dir, n)) for n in names]
        image(os.path.join(pose_dir, "ref_pose.jpg"))  # mandatory
    except Exception as exc:  # load_video_frames returns None for everything; the caller crashes
        print(f"Error reading video frame: {exc}", flush=True)
        raise AttributeError("'NoneType' object has no attribute 'unsqueeze'") from None
    stride = frame_interval
    cover = stride * (max_frames - 1) + 1
    end = cover
    if len(poses) < cover:
        stride = max((len(poses) - 1) // (max_frames - 1), 1)
        end = stride * max_frames
    sampled = [resize(poses[i], height, width) for i in range(0, end, stride) if i < len(poses)]
    sampled += [np.zeros((height, width, 3), np.uint8)] * (max_frames - len(sampled))  # black padding
    result = generated(resize(reference, height, width), max_frames)
    cap = re.sub(r"[^\w\s]", "", ref_image.split("/")[-1].split(".")[0])
    folder = os.path.join(cfg.get("log_dir", "outputs/"), os.path.basename(args.cfg_file).split(".")[0])
    for keys in keys_list:
        name = f"seed_{int(cfg['seed'] + idx)}" + "".join("_" + k for k in keys)
        file = f"rank_01_00_{idx:02d}_{name}_{cap}_{height}x{width}.mp4"
        panels = [np.concatenate([resize(reference, height, width), pose, frame], axis=1)
                  for pose, frame in zip(sampled, result, strict=True)]
        write_video(os.path.join(folder, file), panels, cfg.get("save_fps", 8))
