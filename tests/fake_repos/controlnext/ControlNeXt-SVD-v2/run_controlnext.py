"""Fake dvlab-research/ControlNeXt `ControlNeXt-SVD-v2/run_controlnext.py`: its arguments, the DWPose models it
loads relative to the cwd, the reference's cover + centre crop, its frame count rule (frame 0 reproduces the
reference) and `<output_dir>/output.mp4`; it fails loudly where the real one silently averages nothing."""

import argparse
import math
import os
import sys

import numpy as np
from fakekit import fail, generated, image, read_video, require_file, resize, start, write_video

parser = argparse.ArgumentParser()
parser.add_argument("--pretrained_model_name_or_path", required=True)
parser.add_argument("--validation_control_video_path", default=None)
parser.add_argument("--validation_control_images_folder", default=None)
parser.add_argument("--output_dir", required=True)
parser.add_argument("--height", type=int, default=768)
parser.add_argument("--width", type=int, default=512)
parser.add_argument("--guidance_scale", type=float, default=2.0)
parser.add_argument("--num_inference_steps", type=int, default=25)
parser.add_argument("--controlnext_path", required=True)
parser.add_argument("--unet_path", required=True)
parser.add_argument("--max_frame_num", type=int, default=50)
parser.add_argument("--ref_image_path", required=True)
parser.add_argument("--batch_frames", type=int, default=14)
parser.add_argument("--overlap", type=int, default=4)
parser.add_argument("--sample_stride", type=int, default=2)
args = parser.parse_args()
start(sys.argv)
for onnx in ("pretrained/DWPose/yolox_l.onnx", "pretrained/DWPose/dw-ll_ucoco_384.onnx"):
    require_file(onnx, "DWPose model")
for path in (args.controlnext_path, args.unet_path):
    if not path.endswith((".bin", ".safetensors")):
        fail(f"TypeError: os._exit() for {path}")
    require_file(path, "checkpoint")
if not os.path.isdir(args.pretrained_model_name_or_path):
    fail("not a local SVD folder (offline: cannot download the gated model)")
if args.height % 8 or args.width % 8:
    fail("height and width must be divisible by 8")
reference = image(args.ref_image_path)
h, w = reference.shape[:2]
scale = max(args.height / h, args.width / w)
covered = resize(reference, math.ceil(h * scale), math.ceil(w * scale))
top, left = (covered.shape[0] - args.height) // 2, (covered.shape[1] - args.width) // 2
cropped = covered[top:top + args.height, left:left + args.width]
frames, fps = read_video(args.validation_control_video_path)
count = min(args.max_frame_num, 1 + math.ceil(len(frames) / args.sample_stride))
batch = min(args.batch_frames, count)
if args.overlap < 1 or count <= args.overlap or batch - args.overlap <= 0:
    fail(f"{count} frames with batch {batch} and overlap {args.overlap}: windows average nothing (NaN output)")
result = generated(cropped, count)
result[0] = cropped
os.makedirs(args.output_dir, exist_ok=True)
write_video(os.path.join(args.output_dir, "output.mp4"), result, math.floor(fps) / args.sample_stride)
write_video(os.path.join(args.output_dir, "test_1.mp4"), np.concatenate([result, result], axis=2), fps)
