"""The GPU backend's torch-free parts, tested everywhere: probe, choice, routing, metadata
segments, chunking, prefetch, failure classification, CPU fallback, and import hygiene."""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys
import threading
import time

import pytest
import pyvips

from trousseau.errors import ImagingError, SettingsError
from trousseau.imaging import Original, enabled_profiles, load_profiles, render_batch
from trousseau.imaging.fallback import FallbackRenderer, renderer_for
from trousseau.imaging.gpu.backend import srgb_icc
from trousseau.imaging.gpu.device import GpuProbe, probe
from trousseau.imaging.gpu.failure import GpuFailure, is_gpu_failure, is_out_of_memory
from trousseau.imaging.gpu.pipeline import Prefetch, Recycler, chunk_by_pixels
from trousseau.imaging.gpu.routing import gpu_decodable, icc_description, icc_is_srgb
from trousseau.imaging.gpu.segments import header_bytes, read_header, with_metadata
from trousseau.imaging.selection import backend_choice, choose, select_backend
from trousseau.imaging.vips import VipsBackend
from trousseau.settings import ImagingSettings

PROFILES = enabled_profiles(load_profiles())


def _jpeg(width=640, height=480, seed=1) -> bytes:
    image = pyvips.Image.gaussnoise(width, height, mean=128, sigma=30, seed=seed).cast("uchar")
    image = image.bandjoin([image.rot180(), image.flip("horizontal")]).copy(interpretation="srgb")
    return image.jpegsave_buffer(Q=90)


# -- probe and choice ------------------------------------------------------------------------


def _probe(found=("torch", "torchvision"), devices=(1, None), torch=("H200", None)):
    return probe(
        find_spec=lambda name: name in found,
        driver_devices=lambda: devices,
        torch_device=lambda: torch,
    )


def test_probe_stops_at_the_first_missing_piece():
    missing = _probe(found=("torch",))
    assert not missing.usable and "torchvision missing" in missing.detail
    assert "trousseau[gpu]" in missing.detail
    no_driver = _probe(devices=(0, "no NVIDIA driver here (libcuda.so.1 cannot be loaded)"))
    assert not no_driver.usable and "no NVIDIA driver" in no_driver.detail
    none = _probe(devices=(0, None))
    assert not none.usable and "no CUDA device" in none.detail
    broken = _probe(torch=(None, "torch could not open the GPU: RuntimeError: driver too old"))
    assert not broken.usable and "driver too old" in broken.detail


def test_probe_names_the_device_and_the_decoder():
    ok = _probe(found=("torch", "torchvision", "nvidia.nvimgcodec"))
    assert ok.usable and ok.nvimgcodec and ok.detail == "H200; decode: nvImageCodec"
    without = _probe()
    assert without.usable and not without.nvimgcodec and "torchvision nvJPEG" in without.detail


def test_probe_never_asks_the_driver_when_the_extra_is_missing():
    asked = []
    probe(
        find_spec=lambda name: False,
        driver_devices=lambda: asked.append("driver") or (1, None),
        torch_device=lambda: asked.append("torch") or ("x", None),
    )
    assert asked == []


def test_choice_follows_the_setting_and_the_probe():
    usable, unusable = GpuProbe(True, "H200"), GpuProbe(False, "no NVIDIA driver here")
    assert choose("cpu", usable).name == "cpu"
    assert choose("auto", usable).name == "gpu"
    auto = choose("auto", unusable)
    assert (auto.name, auto.usable) == ("cpu", True) and "no NVIDIA driver" in auto.describe()
    forced = choose("gpu", unusable)
    assert not forced.usable and "unusable: no NVIDIA driver" in forced.describe()


def test_gpu_setting_without_a_gpu_is_a_clear_settings_error(monkeypatch):
    from trousseau.imaging import selection

    monkeypatch.setattr(selection, "probe_gpu", lambda: GpuProbe(False, "no NVIDIA driver here"))
    with pytest.raises(SettingsError, match=r"cannot use a GPU: no NVIDIA driver here.*auto"):
        select_backend(ImagingSettings(backend="gpu"))
    assert select_backend(ImagingSettings(backend="auto")).name == "cpu"
    assert backend_choice(ImagingSettings(backend="cpu")).reason == "libvips, as configured"


def test_nothing_gpu_is_imported_for_auto_and_a_cpu_render(tmp_path):
    """Importing trousseau, choosing `auto` and rendering on the CPU load no GPU module.

    The child sees no CUDA device (CUDA_VISIBLE_DEVICES is empty), so on a GPU machine too
    `auto` must find that out without importing torch."""
    (tmp_path / "in.jpg").write_bytes(_jpeg())
    script = """
import json, sys
import trousseau, trousseau.imaging, trousseau.kinds, trousseau.cli.app
from trousseau.imaging import Original, enabled_profiles, load_profiles, render
from trousseau.imaging.selection import backend_choice, select_backend
from trousseau.settings import ImagingSettings
settings = ImagingSettings(backend="auto")
backend = select_backend(settings)
data = open(sys.argv[1], "rb").read()
render(Original(data, "jpeg", "in.jpg"), enabled_profiles(load_profiles()), backend)
gpu = [m for m in sys.modules if m.split(".")[0] in ("torch", "torchvision", "nvidia")]
print(json.dumps({"backend": backend.name, "choice": backend_choice(settings).name, "gpu": gpu}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "in.jpg")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["gpu"] == []
    if report["choice"] == "cpu":
        assert report["backend"] == "cpu"


# -- routing ---------------------------------------------------------------------------------


def test_srgb_profiles_are_recognised_and_others_are_not(shared_data):
    assert icc_is_srgb(srgb_icc())
    p3 = pyvips.Image.new_from_file(str(shared_data / "photos/color/prophoto_rgb.jpg"))
    prophoto = bytes(p3.get("icc-profile-data"))
    assert not icc_is_srgb(prophoto) and icc_description(prophoto)
    adobe = pyvips.Image.new_from_file(str(shared_data / "photos/color/adobe_rgb__canon_xmp.jpg"))
    if "icc-profile-data" in adobe.get_fields():
        assert not icc_is_srgb(bytes(adobe.get("icc-profile-data")))
    assert icc_description(b"not a profile") is None


def test_only_rgb_srgb_jpegs_go_to_the_gpu_decoder():
    assert gpu_decodable(fmt="jpeg", bands=3, interpretation="srgb", icc=None)
    assert gpu_decodable(fmt="jpeg", bands=3, interpretation="srgb", icc=srgb_icc())
    assert not gpu_decodable(fmt="jpeg", bands=4, interpretation="cmyk", icc=None)
    assert not gpu_decodable(fmt="jpeg", bands=1, interpretation="b-w", icc=None)
    assert not gpu_decodable(fmt="heic", bands=3, interpretation="srgb", icc=None)
    assert not gpu_decodable(fmt="png", bands=3, interpretation="srgb", icc=None)


# -- metadata segments -----------------------------------------------------------------------


def test_exif_and_icc_segments_are_read_back_like_the_cpu_encoders(shared_data):
    from trousseau.imaging.metadata import filter_exif
    from trousseau.imaging.pixels import exif_of
    from trousseau.imaging.profiles import MetadataPolicy

    source = pyvips.Image.new_from_file(str(shared_data / "photos/exif/iphone6_gps.jpg"))
    exif = filter_exif(exif_of(source), MetadataPolicy())
    bare = pyvips.Image.black(64, 48, bands=3).jpegsave_buffer(Q=80, keep="none")
    tagged = with_metadata(bare, exif=exif, icc=srgb_icc())
    image = pyvips.Image.new_from_buffer(tagged, "")
    fields = image.get_fields()
    assert bytes(image.get("icc-profile-data")) == srgb_icc()
    assert image.get("exif-ifd0-Make").startswith("Apple")
    assert not [f for f in fields if f.startswith("exif-ifd3-")]  # GPS was filtered out
    assert image.avg() == pyvips.Image.new_from_buffer(bare, "").avg()
    assert with_metadata(bare, exif=None, icc=None) == bare
    with pytest.raises(ValueError, match="SOI"):
        with_metadata(b"GIF89a", exif=exif, icc=None)


def test_the_header_before_the_scan_reads_like_the_whole_file(shared_data):
    """Size, bands, orientation, EXIF and ICC from the bytes before the scan, for every real
    JPEG of the corpus (progressive, CMYK, Adobe RGB, EXIF with GPS, the rotated ones)."""
    from trousseau.imaging.decode import source_size

    jpegs = sorted(
        p for p in (shared_data / "photos").rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")
    )
    jpegs = [p for p in jpegs if "bad" not in p.parts and p.read_bytes()[:2] == b"\xff\xd8"]
    assert len(jpegs) >= 10
    for path in jpegs:
        data = path.read_bytes()
        prefix = header_bytes(data)
        assert len(prefix) < len(data), path.name
        whole, head = (
            pyvips.Image.new_from_buffer(data, ""),
            pyvips.Image.new_from_buffer(prefix, ""),
        )
        for field in ("width", "height", "bands", "interpretation"):
            assert getattr(head, field) == getattr(whole, field), (path.name, field)
        for field in ("orientation", "exif-data", "icc-profile-data"):
            has = field in whole.get_fields()
            assert (field in head.get_fields()) == has, (path.name, field)
            if has:
                assert head.get(field) == whole.get(field), (path.name, field)
        name = path.name
        assert source_size(prefix, fmt="jpeg", name=name) == source_size(
            data, fmt="jpeg", name=name
        )


def test_the_header_read_from_the_markers_is_what_libvips_reads(shared_data):
    """Size, components, orientation, EXIF and ICC as libvips reads them, for every real JPEG
    of the corpus: the GPU route is decided from these bytes without libvips."""
    jpegs = sorted(
        p for p in (shared_data / "photos").rglob("*") if p.suffix.lower() in (".jpg", ".jpeg")
    )
    jpegs = [p for p in jpegs if "bad" not in p.parts and p.read_bytes()[:2] == b"\xff\xd8"]
    assert len(jpegs) >= 10
    seen_orientations, seen_icc = set(), 0
    for path in jpegs:
        data = path.read_bytes()
        header, image = read_header(data), pyvips.Image.new_from_buffer(data, "")
        assert header is not None, path.name
        fields = image.get_fields()
        assert (header.width, header.height) == (image.width, image.height), path.name
        assert header.components == image.bands, path.name
        expected = int(image.get("orientation")) if "orientation" in fields else 1
        assert header.orientation == expected, path.name
        exif = bytes(image.get("exif-data")) if "exif-data" in fields else None
        assert header.exif == exif, path.name
        icc = bytes(image.get("icc-profile-data")) if "icc-profile-data" in fields else None
        assert header.icc == icc, path.name
        assert header.plain and not header.rgb_coded, path.name
        seen_orientations.add(header.orientation)
        seen_icc += icc is not None
    assert len(seen_orientations) > 1 and seen_icc > 1  # the corpus exercises both


def _marked_jpeg(*segments: bytes, sof: int = 0xC0, precision: int = 8) -> bytes:
    frame = bytes([precision]) + struct.pack(">HHB", 30, 40, 3) + bytes(9)
    body = b"".join(segments) + b"\xff" + bytes([sof]) + struct.pack(">H", len(frame) + 2) + frame
    scan = b"\xff\xda" + struct.pack(">H", 12) + bytes(10)
    return b"\xff\xd8" + body + scan + b"\x00\x01\xff\xd9"


def _app(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def test_frames_the_hardware_decoders_cannot_read_are_told_apart():
    exif = b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    exif += struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + bytes(4)
    header = read_header(_marked_jpeg(_app(0xE1, exif)))
    assert header is not None
    assert (header.width, header.height, header.components) == (40, 30, 3)
    assert header.orientation == 6 and header.exif == exif and header.plain
    assert read_header(_marked_jpeg(sof=0xC9)).plain is False  # arithmetic coding
    assert read_header(_marked_jpeg(precision=12)).plain is False
    adobe_rgb = _app(0xEE, b"Adobe" + bytes([0, 100, 0, 0, 0, 0, 0]))
    assert read_header(_marked_jpeg(adobe_rgb)).rgb_coded is True  # transform 0: RGB, not YCbCr
    icc = [
        _app(0xE2, b"ICC_PROFILE\x00" + bytes([n, 2]) + part) for n, part in ((2, b"B"), (1, b"A"))
    ]
    assert read_header(_marked_jpeg(*icc)).icc == b"AB"  # chunks joined by number, not file order
    assert read_header(_marked_jpeg()).orientation == 1 and read_header(_marked_jpeg()).exif is None
    whole = _marked_jpeg()
    assert read_header(whole[: len(whole) - 20]) is None  # cut before the scan
    assert read_header(b"GIF89a") is None
    assert read_header(whole.replace(b"\xff\xc0", b"\xff\xc4", 1)) is None  # no frame


def test_a_header_that_cannot_be_walked_gives_back_the_whole_file():
    jpeg = _jpeg()
    prefix = header_bytes(jpeg)
    assert jpeg.startswith(prefix) and len(prefix) < len(jpeg)
    sos = prefix.rindex(b"\xff\xda")
    assert len(prefix) == sos + 2 + int.from_bytes(prefix[sos + 2 : sos + 4], "big")
    assert header_bytes(b"GIF89a...") == b"GIF89a..."
    assert header_bytes(jpeg[:40]) == jpeg[:40]  # cut inside a segment: no SOS reached
    broken = jpeg[:2] + b"\xff\xe1\x00\x01" + jpeg[2:]  # a length below its own two bytes
    assert header_bytes(broken) == broken
    assert header_bytes(b"\xff\xd8\x00\x00\x00\x00") == b"\xff\xd8\x00\x00\x00\x00"


def test_a_large_icc_profile_is_split_over_numbered_segments():
    bare = pyvips.Image.black(16, 16, bands=3).jpegsave_buffer(keep="none")
    profile = srgb_icc() * 300  # ~140 kB: three APP2 segments
    tagged = with_metadata(bare, exif=None, icc=profile)
    assert tagged.count(b"ICC_PROFILE\x00") == 3
    assert bytes(pyvips.Image.new_from_buffer(tagged, "").get("icc-profile-data")) == profile


# -- chunks and prefetch ---------------------------------------------------------------------


def test_chunks_keep_order_and_stay_within_the_budget():
    assert chunk_by_pixels([10, 10, 10, 10], 25) == [[0, 1], [2, 3]]
    assert chunk_by_pixels([30, 5, 5], 25) == [[0], [1, 2]]  # too big alone: its own chunk
    assert chunk_by_pixels([], 10) == []
    with pytest.raises(ValueError):
        chunk_by_pixels([1], 0)


def test_prefetch_runs_one_item_ahead_and_in_order():
    started: list[int] = []
    release = threading.Event()

    def work(item: int) -> int:
        started.append(item)
        if item == 1:
            release.wait(5)
        return item * 10

    with Prefetch(work, [0, 1, 2, 3], depth=1) as ahead:
        results = []
        for item, result in ahead:
            if item == 0:
                time.sleep(0.2)
                assert started == [0, 1]  # item 1 is being worked on while 0 is consumed
                release.set()
            results.append(result)
    assert results == [0, 10, 20, 30]


def test_prefetch_raises_the_workers_error_at_its_item():
    def work(item: int) -> int:
        if item == 2:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return item

    seen = []
    with pytest.raises(RuntimeError, match="illegal memory access"), Prefetch(work, [1, 2, 3]) as a:
        for item, _ in a:
            seen.append(item)
    assert seen == [1]


def test_recycler_hands_back_buffers_with_their_events_only_when_enough_are_free():
    pool: Recycler[str] = Recycler()
    assert pool.take(2) is None  # nothing yet: the caller allocates new ones
    pool.give(["a", "b"], "chunk 1 done")
    pool.give(["c"], None)
    assert pool.take(4) is None and len(pool) == 3  # too few: none taken, none lost
    assert pool.take(2) == [("a", "chunk 1 done"), ("b", "chunk 1 done")]
    assert pool.take(1) == [("c", None)]
    assert pool.take(0) is None and len(pool) == 0
    pool.give(["d"], "e")
    pool.clear()
    assert pool.take(1) is None


# -- failures and the CPU fallback -----------------------------------------------------------


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which the classifier recognises by name."""


def test_gpu_failures_are_told_from_bad_photos():
    oom = OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    assert is_gpu_failure(oom) and is_out_of_memory(oom)
    driver = RuntimeError("CUDA error: unspecified launch failure")
    assert is_gpu_failure(driver) and not is_out_of_memory(driver)
    assert is_gpu_failure(GpuFailure("x", out_of_memory=True))
    assert not is_gpu_failure(ImagingError("IMG_1.JPG is truncated"))
    assert not is_gpu_failure(ValueError("bad value"))
    # nvImageCodec's own allocations fail by number, not with "out of memory"
    nv_oom = RuntimeError("CUDA Runtime failure: '#2' at python/image.cpp:61")
    assert is_gpu_failure(nv_oom) and is_out_of_memory(nv_oom)
    nv_other = RuntimeError("CUDA Runtime failure: '#700' at python/image.cpp:61")
    assert is_gpu_failure(nv_other) and not is_out_of_memory(nv_other)


class FailingGpu:
    """A backend double whose batch path fails like a GPU; it cannot render anything."""

    name = "gpu"

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def render_many(self, originals, profiles):
        self.calls += 1
        raise self.error

    def source_size(self, data, *, fmt, name):
        raise AssertionError("the batch path does not call the protocol methods")

    decode_batch = resize = size = encode = source_size


def test_out_of_memory_renders_the_batch_on_the_cpu_and_tries_the_gpu_again(caplog):
    cpu = VipsBackend(max_pixels=10**9)
    gpu = FailingGpu(OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB"))
    renderer = FallbackRenderer(gpu, lambda: cpu)
    originals = [Original(_jpeg(seed=s), "jpeg", f"IMG_{s}.JPG") for s in (1, 2)]
    with caplog.at_level(logging.WARNING, logger="trousseau.imaging"):
        first = renderer.render(originals, PROFILES)
    assert first == render_batch(originals, PROFILES, cpu)  # the same bytes as the CPU's
    (line,) = [r.getMessage() for r in caplog.records]
    assert "GPU backend failed (OutOfMemoryError: CUDA out of memory" in line
    assert "2 photo(s) on the CPU" in line and "next batch tries the GPU again" in line
    renderer.render(originals[:1], PROFILES)
    assert gpu.calls == 2 and renderer.disabled is None and renderer.fallbacks == 2


def test_a_driver_error_keeps_the_process_on_the_cpu(caplog):
    gpu = FailingGpu(RuntimeError("CUDA error: unspecified launch failure"))
    renderer = FallbackRenderer(gpu, lambda: VipsBackend(max_pixels=10**9))
    original = Original(_jpeg(), "jpeg", "IMG_1.JPG")
    with caplog.at_level(logging.WARNING, logger="trousseau.imaging"):
        renderer.render([original], PROFILES)
        renderer.render([original], PROFILES)
    assert gpu.calls == 1 and renderer.backend_name == "cpu"
    assert "stays on the CPU" in caplog.records[0].getMessage()


def test_other_errors_are_not_swallowed_by_the_fallback():
    renderer = FallbackRenderer(FailingGpu(ValueError("a bug")), lambda: VipsBackend(max_pixels=9))
    with pytest.raises(ValueError, match="a bug"):
        renderer.render([Original(_jpeg(), "jpeg", "x.jpg")], PROFILES)


def test_a_cpu_backend_gets_no_fallback():
    cpu = VipsBackend(max_pixels=10**9)
    renderer = renderer_for(cpu, lambda: pytest.fail("no fallback for the CPU"))
    (result,) = renderer.render([Original(b"", "jpeg", "empty.jpg")], PROFILES)
    assert isinstance(result, ImagingError) and "empty" in str(result)
