"""Video I/O: decode a video file or a folder of frames once into uint8 RGB frames (T, H, W, 3)."""

from a2bench.video.io import VIDEO_SUFFIXES, discover_videos, read_video, write_video

__all__ = ["VIDEO_SUFFIXES", "discover_videos", "read_video", "write_video"]
