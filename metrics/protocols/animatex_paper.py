"""`animatex-paper`: the DisCo toolkit as the Animate-X paper used it, with the float PSNR fix (PSNR*).

Which DisCo script each metric follows is documented in docs/metrics.md.
"""

from a2bench.metrics import preprocess
from a2bench.metrics.clip import ClipIdentity, ClipTemporal
from a2bench.metrics.fid import FID
from a2bench.metrics.fid_vid import FIDVID
from a2bench.metrics.fvd import FVD
from a2bench.metrics.fvd_gif import DISCO_FVD_GIF_CLIPS
from a2bench.metrics.l1 import L1
from a2bench.metrics.lpips_metric import LPIPS
from a2bench.metrics.protocol import Alignment, Protocol, metric
from a2bench.metrics.psnr import PSNR, LegacyPSNR
from a2bench.metrics.registry import PROTOCOLS
from a2bench.metrics.ssim import SSIM

ANIMATEX_PAPER = PROTOCOLS.register(Protocol(
    id="animatex-paper",
    version="1.1",
    description="The DisCo toolkit as the Animate-X paper used it, with the float PSNR fix (PSNR*). Use it to "
                "compare with published tables.",
    alignment=Alignment(resize="opencv-bilinear"),
    metrics=(
        metric(PSNR),
        metric(LegacyPSNR),
        metric(SSIM, window="uniform", covariance="sample"),
        metric(L1),
        metric(LPIPS, net="vgg", input_range="[0,1]"),
        metric(FID, preprocessing=preprocess.CLEAN_FID_IMAGES, ddof=1),
        metric(FIDVID, preprocessing=preprocess.DISCO_FID_VID_SEGMENTS, ddof=1),
        metric(FVD, clips=preprocess.DISCO_FVD_CLIPS, variant="disco", ddof=1),
        metric(FVD, "fvd_gif", label="FVD (GIF)", clips=DISCO_FVD_GIF_CLIPS, variant="disco", ddof=1),
        metric(ClipIdentity),
        metric(ClipTemporal),
    ),
))
