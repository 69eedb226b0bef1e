"""Pose sequences: the on-disk format, COCO-18 constants and the OpenPose-style renderer."""

from a2bench.data.poses.format import COCO18, PoseSequence, load_poses, save_poses
from a2bench.data.poses.render import render_skeleton, render_skeleton_video

__all__ = ["COCO18", "PoseSequence", "load_poses", "render_skeleton", "render_skeleton_video", "save_poses"]
