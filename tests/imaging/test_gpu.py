"""The GPU backend against the CPU one: same sizes, PSNR >= 38 dB, orientation, colour,
formats joining the batch, metadata, encode quality, bounded memory and the OOM fallback.

Every test runs on `device`: "cpu" needs only torch (the same pipeline on CPU tensors, with
libvips as the JPEG codec) and skips without it; "cuda" is marked `gpu` and needs the gpu
extra and a CUDA device (nvImageCodec or torchvision nvJPEG decode, GPU JPEG encode).
On the GPU machine: `pytest -m gpu tests/imaging/test_gpu.py`.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import pyvips

from trousseau.errors import ImagingError
from trousseau.imaging import DecodeRequest, Original, enabled_profiles, load_profiles
from trousseau.imaging import render_batch as render_on
from trousseau.imaging.fallback import FallbackRenderer
from trousseau.imaging.gpu.failure import GpuFailure
from trousseau.imaging.vips import VipsBackend

torch = pytest.importorskip("torch")

from trousseau.imaging.gpu.backend import GpuBackend, srgb_icc  # noqa: E402

PROFILES = enabled_profiles(load_profiles())
WHEN = dt.datetime(2026, 6, 13, 14, 0, tzinfo=dt.UTC)
FLOOR_DB = 38.0


@pytest.fixture(
    params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)], scope="module", name="device"
)
def _device(request: pytest.FixtureRequest) -> str:
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    return request.param


@pytest.fixture(scope="module")
def gpu(device: str) -> GpuBackend:
    backend = GpuBackend(max_pixels=200_000_000, device=device, cpu_threads=4)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def cpu() -> VipsBackend:
    return VipsBackend(max_pixels=200_000_000)


def photo(index: int, megapixels: float) -> bytes:
    from trousseau.demo.samples import generate_photo

    return generate_photo(index, seed=2026, megapixels=megapixels, when=WHEN)


def psnr(a: bytes | pyvips.Image, b: bytes | pyvips.Image) -> float:
    def pixels(x: bytes | pyvips.Image) -> np.ndarray:
        image = pyvips.Image.new_from_buffer(x, "") if isinstance(x, bytes) else x
        return image.numpy().astype(np.float64)

    first, second = pixels(a), pixels(b)
    assert first.shape == second.shape
    mse = float(((first - second) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def channel_means(data: bytes) -> np.ndarray:
    return pyvips.Image.new_from_buffer(data, "").numpy()[..., :3].reshape(-1, 3).mean(axis=0)


def assert_matches(gpu_result, cpu_result, floor: float = FLOOR_DB) -> None:
    assert not isinstance(gpu_result, ImagingError), gpu_result
    assert (gpu_result.source_width, gpu_result.source_height) == (
        cpu_result.source_width,
        cpu_result.source_height,
    )
    for g, c in zip(gpu_result.variants, cpu_result.variants, strict=True):
        assert (g.profile, g.format, g.width, g.height) == (c.profile, c.format, c.width, c.height)
        assert pyvips.Image.new_from_buffer(g.data, "").interpretation == "srgb"
        assert psnr(g.data, c.data) >= floor, g.profile
        assert np.abs(channel_means(g.data) - channel_means(c.data)).max() < 1.5, g.profile


def test_variants_match_the_cpu_variants_of_the_same_size(gpu, cpu, device):
    megapixels = 24 if device == "cuda" else 12
    originals = [Original(photo(i, megapixels), "jpeg", f"IMG_{i}.JPG") for i in (1, 2, 3)]
    gpu_results = render_on(originals, PROFILES, gpu)
    for g, c in zip(gpu_results, render_on(originals, PROFILES, cpu), strict=True):
        assert g.decode_path.startswith("gpu-")
        assert_matches(g, c)


def _oriented(orientation: int) -> bytes:
    """An asymmetric JPEG whose EXIF says `orientation`."""
    x = pyvips.Image.xyz(96, 64)
    image = (x[0] * 2).bandjoin([x[1] * 3, (x[0] + x[1])]).cast("uchar")
    image = image.copy(interpretation="srgb")
    image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
    return image.jpegsave_buffer(Q=95, keep="exif")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(gpu, cpu, orientation):
    data = _oriented(orientation)
    request = DecodeRequest(data, "jpeg", f"o{orientation}.jpg", long_edge=96)
    (mine,) = gpu.decode_batch([request])
    (theirs,) = cpu.decode_batch([request])
    assert not isinstance(mine, ImagingError) and mine.path.startswith("gpu-")
    assert (mine.width, mine.height) == (theirs.width, theirs.height)
    assert (mine.source_width, mine.source_height) == (theirs.source_width, theirs.source_height)
    assert psnr(gpu.to_host(mine.image), theirs.image) >= 40


@pytest.mark.parametrize("name", ["cmyk_ycck_adobe.jpg", "prophoto_rgb.jpg"])
def test_cmyk_and_wide_gamut_jpegs_are_converted_to_srgb_on_the_cpu(gpu, cpu, photos, name):
    original = Original((photos / "color" / name).read_bytes(), "jpeg", name)
    (g,) = render_on([original], PROFILES, gpu)
    (c,) = render_on([original], PROFILES, cpu)
    assert not g.decode_path.startswith("gpu-")
    # small, detailed files: bicubic and lanczos3 differ more in detail than on 24 MP photos;
    # the colour conversion itself must agree (channel means within 1.5 levels)
    assert_matches(g, c, floor=32)


def test_heic_and_png_join_the_gpu_batch_and_alpha_stays_on_the_cpu(gpu, cpu, photos):
    files = [
        ("heic/iphone8plus_p3_portrait.heic", "heic"),
        ("color/rgb_16bit.png", "png"),
        ("color/alpha_rgba.png", "png"),
    ]
    originals = [Original(photo(4, 6), "jpeg", "IMG_4.JPG")]
    originals += [Original((photos / rel).read_bytes(), fmt, rel) for rel, fmt in files]
    requests = [DecodeRequest(o.data, o.fmt, o.name, long_edge=3000) for o in originals]
    decoded = gpu.decode_batch(requests)
    assert [isinstance(d.image, pyvips.Image) for d in decoded] == [False, False, False, True]
    assert all(torch.is_tensor(d.image) for d in decoded[:3])
    on_cpu = render_on(originals, PROFILES, cpu)
    for g, c in zip(render_on(originals, PROFILES, gpu), on_cpu, strict=True):
        assert_matches(g, c, floor=32 if g.source_width < 3000 else FLOOR_DB)


def test_a_bad_photo_fails_alone_in_its_batch(gpu, photos):
    bad = photos.parent / "photos" / "bad" / "jpeg_truncated_baseline.jpg"
    originals = [
        Original(photo(5, 2), "jpeg", "IMG_5.JPG"),
        Original(bad.read_bytes(), "jpeg", "IMG_0666.JPG"),
        Original(b"", "jpeg", "empty.jpg"),
    ]
    good, broken, empty = render_on(originals, PROFILES, gpu)
    assert not isinstance(good, ImagingError)
    assert isinstance(broken, ImagingError) and "IMG_0666.JPG" in str(broken)
    assert isinstance(empty, ImagingError) and "empty" in str(empty)


def test_a_small_pixel_budget_renders_the_same_variants(device, photos):
    originals = [Original(photo(i, 4), "jpeg", f"IMG_{i}.JPG") for i in (6, 7, 8)]
    roomy = GpuBackend(max_pixels=10**9, device=device, batch_megapixels=512)
    tight = GpuBackend(max_pixels=10**9, device=device, batch_megapixels=1)
    try:
        wide, narrow = render_on(originals, PROFILES, roomy), render_on(originals, PROFILES, tight)
    finally:
        roomy.close()
        tight.close()
    for a, b in zip(wide, narrow, strict=True):
        assert [v.data for v in a.variants] == [v.data for v in b.variants]


class _JpegsOnTheEncodePath(GpuBackend):
    """On the CPU device the JPEGs take the GPU encode path too (libvips as its codec)."""

    def _gpu_jpeg(self, profile) -> bool:
        return profile.format == "jpeg" and profile.sharpen == 0


def test_jpegs_from_the_encode_thread_are_those_encoded_inline(device):
    originals = [Original(photo(i, 4), "jpeg", f"IMG_{i}.JPG") for i in (6, 7, 8, 9)]
    # 1 MP chunks: each photo its own chunk, so encodes of one overlap the next one's resize
    backends = [
        _JpegsOnTheEncodePath(max_pixels=10**9, device=device, batch_megapixels=1),
        _JpegsOnTheEncodePath(
            max_pixels=10**9, device=device, batch_megapixels=1, encode_thread=False
        ),
        GpuBackend(max_pixels=10**9, device=device),
    ]
    try:
        threaded, inline, plain = (render_on(originals, PROFILES, b) for b in backends)
    finally:
        for backend in backends:
            backend.close()
    for a, b, c in zip(threaded, inline, plain, strict=True):
        assert [v.data for v in a.variants] == [v.data for v in b.variants]
        assert [v.data for v in a.variants] == [v.data for v in c.variants]
        assert all(v.data for v in a.variants)


def test_a_photo_already_at_a_jpeg_profiles_size_is_encoded_from_its_own_copy(device):
    """The decoder's buffer is handed back once the chunk is queued: a variant that is the
    decoded image itself (no resize) must not be read from it by the encode thread."""
    from trousseau.imaging.gpu.backend import _same_memory

    pixels = torch.zeros((3, 8, 8), dtype=torch.uint8)
    assert _same_memory(pixels.transpose(1, 2), pixels)
    assert not _same_memory(pixels.clone(), pixels)
    exact = pyvips.Image.new_from_buffer(photo(12, 6), "").thumbnail_image(3000, height=3000)
    assert max(exact.width, exact.height) == 3000
    original = Original(exact.jpegsave_buffer(Q=92), "jpeg", "IMG_3000.JPG")
    threaded = _JpegsOnTheEncodePath(max_pixels=10**9, device=device, batch_megapixels=1)
    inline = _JpegsOnTheEncodePath(
        max_pixels=10**9, device=device, batch_megapixels=1, encode_thread=False
    )
    try:
        (a,), (b,) = (
            render_on([original], PROFILES, threaded),
            render_on([original], PROFILES, inline),
        )
    finally:
        threaded.close()
        inline.close()
    assert max(a.source_width, a.source_height) == 3000
    assert [v.data for v in a.variants] == [v.data for v in b.variants]


def test_a_gpu_failure_on_the_encode_thread_reaches_the_caller():
    class Failing(_JpegsOnTheEncodePath):
        def _encode_jpegs(self, images, exifs, profile):
            raise RuntimeError("CUDA error: an illegal memory access was encountered")

    backend = Failing(max_pixels=10**9, device="cpu", batch_megapixels=1)
    originals = [Original(photo(i, 2), "jpeg", f"IMG_{i}.JPG") for i in (1, 2, 3)]
    try:
        with pytest.raises(GpuFailure, match="illegal memory access"):
            backend.render_many(originals, PROFILES)
    finally:
        backend.close()


def test_metadata_policy_applies_to_gpu_encoded_jpegs(gpu, photos):
    original = Original((photos / "exif/iphone6_gps.jpg").read_bytes(), "jpeg", "gps.jpg")
    (result,) = render_on([original], PROFILES, gpu)
    for variant in result.variants:
        image = pyvips.Image.new_from_buffer(variant.data, "")
        fields = image.get_fields()
        assert not [f for f in fields if f.startswith("exif-ifd3-")], variant.profile
        assert (image.get("orientation") if "orientation" in fields else 1) == 1
        if variant.format == "jpeg":
            assert bytes(image.get("icc-profile-data")) == srgb_icc()
            assert image.get("exif-ifd0-Make").startswith("Apple")


def test_jpeg_quality_follows_the_profile(gpu):
    from trousseau.imaging.profiles import DEFAULT_PROFILES

    source = pyvips.Image.new_from_buffer(photo(9, 2), "")
    tensor = gpu.upload(source.copy_memory())
    portrait = DEFAULT_PROFILES["portrait"]
    high = gpu.encode(tensor, portrait, exif=None)
    low = gpu.encode(tensor, portrait.model_copy(update={"quality": 40}), exif=None)
    assert len(low) < len(high) / 2
    assert psnr(high, source) >= 40 > psnr(low, source)


@pytest.mark.gpu
def test_out_of_memory_under_a_tiny_cap_falls_back_to_the_cpu(cpu):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    originals = [Original(photo(i, 24), "jpeg", f"IMG_{i}.JPG") for i in (10, 11)]
    capped = GpuBackend(max_pixels=10**9, memory_mb=48)
    try:
        with pytest.raises(GpuFailure) as failure:
            capped.render_many(originals, PROFILES)
        assert failure.value.out_of_memory
        renderer = FallbackRenderer(capped, lambda: cpu)
        results = renderer.render(originals, PROFILES)
        assert renderer.fallbacks == 1
        assert results == render_on(originals, PROFILES, cpu)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        capped.close()


@pytest.mark.gpu
def test_the_hardware_decoder_is_used_when_installed(gpu, device):
    if device != "cuda":
        pytest.skip("the CPU device decodes with libvips")
    (result,) = render_on([Original(photo(12, 24), "jpeg", "IMG_12.JPG")], PROFILES, gpu)
    assert result.decode_path == f"gpu-{gpu.decoder}"
    assert gpu.decoder in ("nvimgcodec", "torchvision")
