"""`a2bench-v1`: the corrected protocol, recommended for new work (differences in docs/metrics.md)."""

from a2bench.metrics import preprocess
from a2bench.metrics.clip import ClipIdentity, ClipTemporal
from a2bench.metrics.fid import FID
from a2bench.metrics.fid_vid import FIDVID
from a2bench.metrics.fvd import FVD
from a2bench.metrics.l1 import L1
from a2bench.metrics.lpips_metric import LPIPS
from a2bench.metrics.protocol import Alignment, Protocol, metric
from a2bench.metrics.psnr import PSNR
from a2bench.metrics.registry import PROTOCOLS
from a2bench.metrics.ssim import SSIM

A2BENCH_V1 = PROTOCOLS.register(Protocol(
    id="a2bench-v1",
    version="1.1",
    description="Corrected protocol: Wang et al. SSIM, LPIPS-AlexNet with [-1, 1] inputs, pytorch-fid "
                "preprocessing, StyleGAN-V-style FVD. Recommended for new work.",
    alignment=Alignment(resize="opencv-bilinear"),
    metrics=(
        metric(PSNR),
        metric(SSIM, window="gaussian", sigma=1.5, covariance="population"),
        metric(L1),
        metric(LPIPS, net="alex", input_range="[-1,1]"),
        metric(FID, preprocessing=preprocess.PYTORCH_FID_IMAGES, ddof=1),
        metric(FIDVID, preprocessing=preprocess.DISCO_FID_VID_SEGMENTS, ddof=1),
        metric(FVD, clips=preprocess.STYLEGAN_V_CLIPS, variant="tats", ddof=0),
        metric(ClipIdentity),
        metric(ClipTemporal),
    ),
))
