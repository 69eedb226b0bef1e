"""Fake antgroup/animate-x `inference.py --cfg X.yaml [--debug]`: reads what inference_animate_x_entrance.py reads,
the way it reads it, and writes `<log_dir>/<cfg stem>/…_results_1col.mp4` (and the 3-panel video)."""

import argparse
import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import yaml
from fakekit import fail, generated, image, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--cfg", dest="cfg_file", default="configs/Animate_X_infer.yaml")
parser.add_argument("--debug", action="store_true")
parser.add_argument("opts", nargs=argparse.REMAINDER)
args = parser.parse_args()
start(sys.argv)
if not args.debug:
    fail("without --debug the entrance calls dist.init_process_group('nccl')")
cfg = yaml.safe_load(Path(args.cfg_file).read_text())
for key, value in cfg.items():  # utils/config.py _update_dict
    if isinstance(value, str) and value[1:3] == "e-":
        cfg[key] = float(value)
if cfg["TASK_TYPE"] != "inference_animate_x_entrance":
    fail(f"KeyError: {cfg['TASK_TYPE']} not found in INFER_ENGINE registry")
for path in (cfg["test_model"], cfg["embedder"]["pretrained"], cfg["auto_encoder"]["pretrained"]):
    require_file(path, "checkpoint")  # torch.load
max_frames = cfg["max_frames"]
width, height = cfg["resolution"]
if max_frames > 32 and cfg["UNet"].get("seq_len", 33) < max_frames + 1:
    fail(f"max_frames {max_frames} needs UNet.seq_len ≥ {max_frames + 1} (positional table of 33)")
if max_frames // cfg.get("chunk_size", 2) == 0:
    fail("torch.chunk: chunks must be greater than 0")
test_list = [item for _ in range(cfg.get("round", 5)) for item in cfg["test_list_path"]]
for idx, entry in enumerate(test_list):
    frame_interval, ref_image, pose_dir, frames_dir, pose_pkl = entry[:5]
    seed = entry[5] if len(entry) > 5 else cfg["seed"]
    data = pickle.loads(Path(pose_pkl).read_bytes())
    try:
        ref = pickle.loads(Path(pose_pkl.replace(".pkl", "_ref_pose.pkl")).read_bytes())
        ref_embedding = ref["bodies"]["candidate"][:18].swapaxes(0, 1)
    except Exception:
        ref_embedding = data["bodies"][0][:18].T
    if ref_embedding.shape != (2, 18):
        fail(f"reference pose embedding has shape {ref_embedding.shape}")
    reference = image(ref_image)  # cv2.imread → RGB
    frames_all, embeddings = {}, {}
    for name in sorted(os.listdir(pose_dir)):
        if name == "ref_pose.jpg":
            continue
        frames_all[name] = image(os.path.join(pose_dir, name))
        try:
            number = int(name.split(".")[0])
        except ValueError:
            number = int(name.split(".")[0].split("_")[1])
        embeddings[name] = data["bodies"][number][:18].T  # IndexError past the pickle's frames
    driving = {name: image(os.path.join(frames_dir, name)) for name in sorted(os.listdir(frames_dir))}
    ref_pose_path = os.path.join(pose_dir, "ref_pose.jpg")
    if not os.path.exists(ref_pose_path):
        ref_pose_path = os.path.join(pose_dir, os.listdir(pose_dir)[0])
    image(ref_pose_path)
    stride = frame_interval
    total = len(frames_all)
    cover = stride * (max_frames - 1) + 1
    if total < cover:
        stride = max((total - 1 // (max_frames - 1)), 1)  # the upstream precedence bug
        end = stride * max_frames
    else:
        end = cover
    keys = list(frames_all)
    poses = []
    for index in range(0, end, stride):
        key = keys[index]  # IndexError on videos shorter than max_frames (upstream)
        driving[key.strip()]  # KeyError when frame names differ from pose names
        poses.append(resize(frames_all[key], height, width))
    result = generated(resize(reference, height, width), max_frames)
    cap = re.sub(r"[^\w\s]", "", ref_image.split("/")[-1].split(".")[0])
    pose_name = re.sub(r"[^\w\s]", "", pose_dir.split("/")[-1].split(".")[0])
    folder = os.path.join(cfg["log_dir"], os.path.basename(args.cfg_file).split(".")[0])
    name = f"{cap}_{pose_name}_seed_{int(seed + idx)}_rank_01_00_{idx:02d}_{height}x{width}.mp4"
    fps = cfg.get("save_fps", 8)
    panels = [[resize(reference, height, width), pose, frame] for pose, frame in zip(poses, result, strict=True)]
    write_video(os.path.join(folder, name), [np.concatenate(p, axis=1) for p in panels], fps)
    write_video(os.path.join(folder, name[:-4] + "_results_1col.mp4"), result, fps)
