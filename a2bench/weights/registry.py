"""Every network file a metric needs: where it comes from, how big it is, what hash it must have."""

from __future__ import annotations

from dataclasses import dataclass

from a2bench.registry import Registry


@dataclass(frozen=True)
class WeightSpec:
    """One weights file. `sha256` is a published full hash, `sha256_prefix` the hex part of a torch-hub style
    file name; with neither, the hash seen at first fetch is pinned in the weights dir's lock file."""

    name: str
    filename: str
    url: str
    format: str
    license: str
    size: int | None = None
    sha256: str | None = None
    sha256_prefix: str | None = None
    package_file: tuple[str, str] | None = None  # (package, path inside it): copied from an installed wheel


_TORCHVISION = "https://download.pytorch.org/models/"
_LPIPS_LICENSE = "BSD-2-Clause (lpips package)"

WEIGHTS: Registry[WeightSpec] = Registry("weights", WeightSpec, name_of=lambda spec: spec.name)
for _spec in (
    WeightSpec(
        name="vgg16", filename="vgg16-397923af.pth", url=_TORCHVISION + "vgg16-397923af.pth",
        format="torchvision VGG16 state_dict (features.N.*, classifier.N.*)",
        license="BSD-3-Clause (torchvision); ImageNet-trained", size=553433881, sha256_prefix="397923af"),
    WeightSpec(
        name="alexnet", filename="alexnet-owt-7be5be79.pth", url=_TORCHVISION + "alexnet-owt-7be5be79.pth",
        format="torchvision AlexNet state_dict (features.N.*, classifier.N.*)",
        license="BSD-3-Clause (torchvision); ImageNet-trained", size=244408911, sha256_prefix="7be5be79"),
    WeightSpec(
        name="lpips-vgg-lin", filename="lpips-v0.1-vgg.pth", url="package:lpips/weights/v0.1/vgg.pth",
        format="lpips v0.1 linear layers state_dict (lin0..lin4.model.1.weight)",
        license=_LPIPS_LICENSE, size=7289,
        sha256="a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        package_file=("lpips", "weights/v0.1/vgg.pth")),
    WeightSpec(
        name="lpips-alex-lin", filename="lpips-v0.1-alex.pth", url="package:lpips/weights/v0.1/alex.pth",
        format="lpips v0.1 linear layers state_dict (lin0..lin4.model.1.weight)",
        license=_LPIPS_LICENSE, size=6009,
        sha256="df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        package_file=("lpips", "weights/v0.1/alex.pth")),
    WeightSpec(
        name="fid-inception", filename="pt_inception-2015-12-05-6726825d.pth",
        url="https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
            "pt_inception-2015-12-05-6726825d.pth",
        format="pytorch-fid FID Inception-v3 state_dict (torchvision Inception3 keys, fc 1008, no AuxLogits)",
        license="Apache-2.0 (TF inception-2015-12-05 graph, ported by pytorch-fid)",
        sha256_prefix="6726825d"),
    WeightSpec(
        name="i3d-kinetics400", filename="i3d_pretrained_400.pt",
        url="https://github.com/songweige/TATS/raw/main/tats/fvd/i3d_pretrained_400.pt",
        format="InceptionI3d state_dict, piergiaj/TATS layout (TF-Hub i3d-kinetics-400 converted; bn.weight = 1)",
        license="Apache-2.0 (DeepMind kinetics-i3d); converted by TATS (MIT)"),
    WeightSpec(
        name="resnet3d50-kinetics", filename="resnet-50-kinetics.pth",
        url="https://github.com/yjh0410/YOWOF/releases/download/yowof-weight/resnet-50-kinetics.pth",
        format="kenshohara 3D-ResNets checkpoint {'arch': 'resnet-50', 'state_dict': 'module.'-prefixed, ...}; "
               "shortcut B",
        license="MIT (kenshohara/3D-ResNets-PyTorch)"),
    WeightSpec(
        name="clip-vit-b-32", filename="open_clip_pytorch_model.bin",
        url="https://huggingface.co/laion/CLIP-ViT-B-32-laion2B-s34B-b79K/resolve/main/open_clip_pytorch_model.bin",
        format="open_clip ViT-B-32 state_dict (pretrained tag laion2b_s34b_b79k)",
        license="MIT (LAION)"),
):
    WEIGHTS.register(_spec)


def get_spec(name: str) -> WeightSpec:
    """The spec registered under `name`, with the known names in the error."""
    return WEIGHTS.get(name)


def spec_for_file(filename: str) -> WeightSpec | None:
    """The spec whose file is called `filename`, if any."""
    return next((spec for spec in WEIGHTS.values() if spec.filename == filename), None)
