"""Where the GPU render path's time goes, stage by stage, on the GPU machine.

`python -m bench.gpu_stages [--photos 32]` times each stage of `GpuBackend.render_many` alone
on the same generated 24-megapixel JPEGs as bench.gpu (CUDA synchronised around each, the
median of `--repeats` after a warm-up): header routing, hardware decode, the first resize
in float32, float16 and bilinear, the rest of the cascade, each JPEG encode with and without
optimised Huffman tables, the host copies and WebP encodes of the small variants; then one
batch under torch's profiler (the CUDA kernels and CPU operators that took the most time).
It prints a table; nothing is written to the docs (bench.gpu owns the GPU section).
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    raise SystemExit("run it from the repository root as a module: python -m bench.gpu_stages")

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.gpu import _profiles, inputs, machine
from bench.harness import say


def timed(run: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    run()
    sync()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    import torch
    from nvidia import nvimgcodec
    from torch.nn import functional
    from torchvision.io import encode_jpeg

    from trousseau.imaging import DecodeRequest, Original, encode
    from trousseau.imaging.gpu.backend import GpuBackend
    from trousseau.imaging.render import decode_long_edge

    say(f"machine: {machine()}")
    paths = inputs([(i, "jpeg") for i in range(1, args.photos + 1)], 16)
    datas = [Path(p).read_bytes() for p in paths]
    n = len(datas)
    profiles = _profiles()
    by_name = {p.name: p for p in profiles}
    backend = GpuBackend(max_pixels=10**9)
    sync = torch.cuda.synchronize
    rows: list[tuple[str, float]] = []

    def row(label: str, run: Callable[[], Any]) -> None:
        try:
            seconds = timed(run, args.repeats, sync)
        except Exception as exc:
            say(f"{label}: {type(exc).__name__}: {exc}")
            return
        rows.append((label, seconds))
        say(f"{label}: {1000 * seconds / n:.2f} ms/photo")

    originals = [Original(d, "jpeg", f"IMG_{i}.JPG") for i, d in enumerate(datas)]
    row(
        "route: headers (pyvips) + decode size",
        lambda: [
            backend._route(
                DecodeRequest(o.data, "jpeg", o.name, decode_long_edge(o, profiles, backend.cpu))
            )
            for o in originals
        ],
    )
    decoder = nvimgcodec.Decoder()
    params = nvimgcodec.DecodeParams(apply_exif_orientation=False)
    row("decode: nvImageCodec batch", lambda: decoder.decode(datas, params=params))
    images = [
        torch.as_tensor(i, device="cuda").permute(2, 0, 1).clone()
        for i in decoder.decode(datas, params=params)
    ]
    h, w = images[0].shape[1:]
    s = 3000 / max(h, w)
    size = (round(h * s), round(w * s))

    def first(mode: str, dtype: torch.dtype, batch: int = 1, cl: bool = False) -> Callable[[], Any]:
        def run() -> None:
            for start in range(0, n, batch):
                x = torch.stack(images[start : start + batch]) if batch > 1 else images[start][None]
                x = x.to(dtype)
                if cl:
                    x = x.contiguous(memory_format=torch.channels_last)
                y = functional.interpolate(x, size=size, mode=mode, antialias=True)
                y.round_().clamp_(0, 255).to(torch.uint8)

        return run

    row("resize 24 MP -> 3000: bicubic AA float32 (now)", first("bicubic", torch.float32))
    row("resize 24 MP -> 3000: bicubic AA float16", first("bicubic", torch.float16))
    row("resize 24 MP -> 3000: bicubic AA float32, batch 8", first("bicubic", torch.float32, 8))
    row("resize 24 MP -> 3000: bicubic AA float16, batch 8", first("bicubic", torch.float16, 8))
    row(
        "resize 24 MP -> 3000: bicubic AA f16 channels_last",
        first("bicubic", torch.float16, 1, True),
    )
    row("resize 24 MP -> 3000: bilinear AA float32", first("bilinear", torch.float32))
    row("to float32 only", lambda: [i.to(torch.float32) for i in images])
    portraits = [backend._interpolate(i, size[1], size[0]) for i in images]

    def cascade() -> None:
        for p in portraits:
            a = backend._interpolate(p, 2048, round(2048 * size[0] / size[1]))
            b = backend._interpolate(a, 1080, round(1080 * size[0] / size[1]))
            backend._interpolate(b, 400, round(400 * size[0] / size[1]))

    row("cascade 3000 -> 2048 -> 1080 -> 400 (float32)", cascade)
    receptions = [backend._interpolate(p, 2048, round(2048 * size[0] / size[1])) for p in portraits]
    socials = [backend._interpolate(p, 1080, round(1080 * size[0] / size[1])) for p in receptions]
    thumbs = [backend._interpolate(p, 400, round(400 * size[0] / size[1])) for p in socials]
    encoder = nvimgcodec.Encoder()

    def nv(imgs: list[Any], quality: int, css: Any, optimized: bool) -> Callable[[], Any]:
        jpeg = nvimgcodec.JpegEncodeParams(progressive=False, optimized_huffman=optimized)
        p = nvimgcodec.EncodeParams(
            quality_type=nvimgcodec.QualityType.QUALITY,
            quality_value=float(quality),
            chroma_subsampling=css,
            jpeg_encode_params=jpeg,
        )

        def run() -> None:
            hwc = [t.permute(1, 2, 0).contiguous() for t in imgs]
            out = encoder.encode([nvimgcodec.as_image(t) for t in hwc], "jpeg", params=p)
            [bytes(o) for o in out]

        return run

    c444, c420 = nvimgcodec.ChromaSubsampling.CSS_444, nvimgcodec.ChromaSubsampling.CSS_420
    row("encode portrait 3000 4:4:4 q92, optimised Huffman (now)", nv(portraits, 92, c444, True))
    row("encode portrait 3000 4:4:4 q92, standard Huffman", nv(portraits, 92, c444, False))
    row("encode portrait 3000 4:2:0 q92, standard Huffman", nv(portraits, 92, c420, False))
    row("encode reception 2048 4:2:0 q85, optimised (now)", nv(receptions, 85, c420, True))
    row("encode reception 2048 4:2:0 q85, standard", nv(receptions, 85, c420, False))
    row("encode portrait 3000 torchvision q92", lambda: encode_jpeg(portraits, quality=92))
    row("host copies of social + thumb (.cpu() each)", lambda: [t.cpu() for t in socials + thumbs])
    pool = ThreadPoolExecutor(16)

    def webps() -> None:
        hosts = [backend.to_host(t) for t in socials + thumbs]
        names = ["social"] * len(socials) + ["thumb"] * len(thumbs)
        list(
            pool.map(
                lambda a: encode(a[0], by_name[a[1]], exif=None), zip(hosts, names, strict=True)
            )
        )

    row("WebP social + thumb on 16 threads (with host copies)", webps)
    row("render_many, whole batch (4 variants)", lambda: backend.render_many(originals, profiles))
    jpegs = [p for p in profiles if p.format == "jpeg"]
    row("render_many, JPEG variants only", lambda: backend.render_many(originals, jpegs))

    print(f"\n{machine()}\n{n} photos of 24 MP, median of {args.repeats}\n")
    print("| stage | ms/photo |\n|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {1000 * seconds / n:.2f} |")

    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        backend.render_many(originals, profiles)
        sync()
    print(
        prof.key_averages().table(sort_by="cuda_time_total", row_limit=14, max_name_column_width=60)
    )
    print(
        prof.key_averages().table(sort_by="cpu_time_total", row_limit=14, max_name_column_width=60)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
