"""The GPU backend: batched hardware JPEG decode, antialiased resize and JPEG encode on CUDA.

Stages of `render_many`, for a batch of originals:

1. headers (CPU, microseconds): orientation, EXIF, ICC and colour space of each original
   decide its route (`routing.gpu_decodable`), and its decoded size the pixel-budget chunk;
2. decode, one chunk ahead (prefetch thread, own CUDA stream): sRGB JPEGs in one batched
   call to nvImageCodec's hardware decoder (torchvision's nvJPEG when nvImageCodec is
   missing), then the EXIF orientation applied on the GPU; everything else (HEIC, RAW, PNG,
   CMYK or P3/Adobe RGB JPEG) decoded by libvips on CPU threads, converted to sRGB there
   and uploaded to join the chunk;
3. resize (main thread, default stream): the cascade planner's steps with
   `interpolate(mode="bicubic", antialias=True)`, cover crops on the GPU (centre) or with
   libvips' attention/entropy crop on a host copy;
4. encode: JPEG variants of the whole chunk in one batched GPU encode per profile, then the
   policy-filtered EXIF and the sRGB ICC profile inserted as the CPU path writes them;
   WebP/AVIF (no GPU encoder exists) from host copies by libvips on CPU threads, which run
   while the GPU already decodes and resizes the next chunk.

Photos with transparency stay on the CPU for the whole cascade (the GPU path is 3-channel).
Any CUDA error is raised as GpuFailure, which the caller answers by rendering the batch on
the CPU backend; a bad photo is an ImagingError in its slot, as on the CPU.

`device="cpu"` runs the same pipeline on torch's CPU tensors with libvips doing the JPEG
decode and encode ("host" codecs): that is how the pipeline is tested without a GPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.util
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pyvips

from trousseau.errors import ImagingError
from trousseau.imaging.backend import BackendImage, DecodeRequest
from trousseau.imaging.cascade import plan
from trousseau.imaging.encode import encode as vips_encode
from trousseau.imaging.gpu.failure import (
    GpuFailure,
    describe_gpu_failure,
    is_gpu_failure,
    is_out_of_memory,
)
from trousseau.imaging.gpu.pipeline import Prefetch, Recycler, chunk_by_pixels
from trousseau.imaging.gpu.routing import gpu_decodable
from trousseau.imaging.gpu.segments import header_bytes, read_header, with_metadata
from trousseau.imaging.metadata import filter_exif
from trousseau.imaging.pixels import exif_of, upright_exif
from trousseau.imaging.profiles import Profile
from trousseau.imaging.render import Original, RenderedVariant, Rendering, decode_long_edge
from trousseau.imaging.vips import VipsBackend

DECODERS = ("nvimgcodec", "torchvision", "host")
JPEG_ENCODERS = ("nvimgcodec", "torchvision", "host")
_SWAPPED = frozenset({5, 6, 7, 8})


@dataclass
class _Routed:
    """One original after its header was read: where it decodes, and what it will cost."""

    request: DecodeRequest
    on_gpu: bool
    orientation: int = 1
    exif: bytes | None = None
    upright: tuple[int, int] | None = None
    pixels: int = 0


@functools.cache
def srgb_icc() -> bytes:
    """libvips' compact sRGB profile, the one the CPU encoder embeds."""
    image = pyvips.Image.black(8, 8, bands=3).copy(interpretation="srgb")
    data = image.jpegsave_buffer(profile="srgb", keep=pyvips.enums.ForeignKeep.ICC)
    return bytes(pyvips.Image.new_from_buffer(data, "").get("icc-profile-data"))


def default_codecs() -> tuple[str, str]:
    """nvImageCodec for decode and JPEG encode when installed, else torchvision's nvJPEG."""
    try:
        found = importlib.util.find_spec("nvidia.nvimgcodec") is not None
    except (ImportError, ValueError):
        found = False
    return ("nvimgcodec", "nvimgcodec") if found else ("torchvision", "torchvision")


class GpuBackend:
    """Backend protocol on torch tensors (CHW uint8, sRGB, upright), plus `render_many`."""

    name = "gpu"

    def __init__(
        self,
        *,
        max_pixels: int,
        raw_policy: str = "auto",
        device: str = "cuda",
        batch_megapixels: int = 512,
        cpu_threads: int = 0,
        memory_mb: int = 0,
        decoder: str | None = None,
        jpeg_encoder: str | None = None,
        reuse_images: bool = True,
        encode_thread: bool = True,
        plain_444_on_torchvision: bool = True,
    ) -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.on_cuda = self.device.type == "cuda"
        if self.on_cuda and self.device.index is None:
            self.device = torch.device("cuda", torch.cuda.current_device())
        self.cpu = VipsBackend(max_pixels=max_pixels, raw_policy=raw_policy)
        self.max_pixels = max_pixels
        self.batch_pixels = batch_megapixels * 1_000_000
        gpu_decoder, gpu_encoder = default_codecs() if self.on_cuda else ("host", "host")
        self.decoder = decoder or gpu_decoder
        self.jpeg_encoder = jpeg_encoder or gpu_encoder
        if self.decoder not in DECODERS or self.jpeg_encoder not in JPEG_ENCODERS:
            raise ValueError(f"unknown GPU codec {self.decoder!r} / {self.jpeg_encoder!r}")
        self.threads = cpu_threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="trousseau-gpu-cpu")
        # the GPU JPEG encodes of chunk n run here while the main thread queues chunk n+1
        self._encoder = (
            ThreadPoolExecutor(1, thread_name_prefix="trousseau-gpu-encode")
            if encode_thread
            else None
        )
        self._plain_444_on_torchvision = (
            plain_444_on_torchvision
            and self.jpeg_encoder == "nvimgcodec"
            and importlib.util.find_spec("torchvision") is not None
        )
        if self.threads > 1:  # the pool is the parallelism: libvips' own threads per operation
            pyvips.concurrency_set(1)  # on top of it would oversubscribe the cores
        self._nv_decoder: Any = None
        self._nv_encoder: Any = None
        self._nv_outputs: list[Any] = []
        self._nv_reuse = True
        self._nv_images: Recycler[Any] = Recycler()
        self._nv_reuse_images = reuse_images
        self._decode_stream: Any = None
        self._encode_stream: Any = None
        if self.on_cuda:
            if memory_mb:  # blocks already cached would be handed out past the cap: free them
                torch.cuda.empty_cache()
                total = torch.cuda.get_device_properties(self.device).total_memory
                fraction = min(1.0, memory_mb * 2**20 / total)
                torch.cuda.set_per_process_memory_fraction(fraction, self.device)
            self._decode_stream = torch.cuda.Stream(self.device)
            self._encode_stream = torch.cuda.Stream(self.device)

    # -- the Backend protocol ---------------------------------------------------------------

    def source_size(self, data: bytes, *, fmt: str, name: str) -> tuple[int, int]:
        header = header_bytes(data) if fmt == "jpeg" else data
        return self.cpu.source_size(header, fmt=fmt, name=name)

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[BackendImage | ImagingError]:
        return self._decode([self._route(r) for r in requests])

    def resize(self, image: Any, width: int, height: int, *, cover: bool, crop: str) -> Any:
        if isinstance(image, pyvips.Image):
            return self.cpu.resize(image, width, height, cover=cover, crop=crop)
        return self._resize(image, width, height, cover=cover, crop=crop)

    def size(self, image: Any) -> tuple[int, int]:
        if isinstance(image, pyvips.Image):
            return image.width, image.height
        return int(image.shape[2]), int(image.shape[1])

    def encode(self, image: Any, profile: Any, *, exif: bytes | None) -> bytes:
        if isinstance(image, pyvips.Image):
            return vips_encode(image, profile, exif=exif)
        if self._gpu_jpeg(profile):
            return self._encode_jpegs([image], [exif], profile)[0]
        return vips_encode(self.to_host(image), profile, exif=exif)

    # -- the batch pipeline -----------------------------------------------------------------

    def render_many(
        self, originals: Sequence[Original], profiles: Sequence[Profile]
    ) -> list[Rendering | ImagingError]:
        """Every original to every profile, decode of chunk n+1 overlapping chunk n's work.

        Raises GpuFailure when the GPU fails (out of memory, driver error): nothing of the
        batch is returned then, and the caller renders it again on the CPU.
        """
        try:
            return self._render_many(originals, profiles)
        except GpuFailure:
            raise
        except Exception as exc:
            if not is_gpu_failure(exc):
                raise
            self.release()
            raise GpuFailure(
                f"the GPU failed rendering {len(originals)} photo(s): {describe_gpu_failure(exc)}",
                out_of_memory=is_out_of_memory(exc),
            ) from exc

    def release(self) -> None:
        """Give cached GPU memory back (after a failure, or when the worker stops)."""
        if self.on_cuda:
            with contextlib.suppress(Exception):
                self.torch.cuda.synchronize(self.device)
            self._nv_images.clear()
            with contextlib.suppress(Exception):
                self.torch.cuda.empty_cache()

    def close(self) -> None:
        if self._encoder is not None:
            self._encoder.shutdown(wait=True)
        self._pool.shutdown(wait=True)
        self.release()

    def _render_many(
        self, originals: Sequence[Original], profiles: Sequence[Profile]
    ) -> list[Rendering | ImagingError]:
        if not profiles:
            raise ValueError("no profile is enabled: enable at least one in the profiles settings")

        def route(original: Original) -> _Routed:
            long_edge = decode_long_edge(original, profiles, self)
            return self._route(DecodeRequest(original.data, original.fmt, original.name, long_edge))

        # the headers are read on the CPU threads (from the bytes before the scan): on one
        # thread they held the whole batch back before the GPU started
        routed = list(self._pool.map(route, originals))
        chunks = chunk_by_pixels([r.pixels for r in routed], self.batch_pixels)
        results: list[Rendering | ImagingError | None] = [None] * len(originals)
        outputs: dict[int, dict[str, RenderedVariant]] = {}
        decoded_info: dict[int, BackendImage] = {}
        futures: list[tuple[int, Profile, int, int, Future[bytes]]] = []
        encodes: list[tuple[list[int], str, Future[list[bytes]]]] = []
        last_chunk = 0

        def decode_chunk(chunk: list[int]) -> tuple[list[BackendImage | ImagingError], list[Any]]:
            buffers: list[Any] = []
            return self._decode([routed[i] for i in chunk], buffers), buffers

        try:
            with Prefetch(decode_chunk, chunks, depth=1) as ahead:
                for chunk, (images, buffers) in ahead:
                    gpu_jpegs = self._cascade_chunk(
                        chunk, images, profiles, results, outputs, decoded_info, futures
                    )
                    del images
                    self._give_back(buffers)
                    # one chunk's JPEGs encode while the next is resized; no more are held
                    for _, _, pending in encodes[:last_chunk]:
                        pending.result()
                    last_chunk = len(encodes)
                    encodes += self._encode_chunk(gpu_jpegs, profiles)
            for indices, name, pending in encodes:
                for index, encoded in zip(indices, pending.result(), strict=True):
                    shell = outputs[index][name]
                    outputs[index][name] = dataclasses.replace(shell, data=encoded)
        finally:
            for _, _, pending in encodes:  # nothing may still use the GPU when this returns
                pending.exception()
            done = [(i, p, w, h, f.exception() or f.result()) for i, p, w, h, f in futures]
        for index, profile, width, height, data in done:
            if isinstance(data, BaseException):
                if not isinstance(data, ImagingError):
                    raise data
                results[index] = data
                continue
            outputs[index][profile.name] = RenderedVariant(
                profile.name, profile.format, data, width, height
            )
        for index, decoded in decoded_info.items():
            if isinstance(results[index], ImagingError):
                continue
            variants = outputs[index]
            results[index] = Rendering(
                variants=tuple(variants[p.name] for p in profiles),
                source_width=decoded.source_width,
                source_height=decoded.source_height,
                decode_path=decoded.path,
            )
        return [r if r is not None else ImagingError("not rendered") for r in results]

    def _cascade_chunk(
        self,
        chunk: list[int],
        images: list[BackendImage | ImagingError],
        profiles: Sequence[Profile],
        results: list[Rendering | ImagingError | None],
        outputs: dict[int, dict[str, RenderedVariant]],
        decoded_info: dict[int, BackendImage],
        futures: list[tuple[int, Profile, int, int, Future[bytes]]],
    ) -> dict[str, list[tuple[int, Any, bytes | None]]]:
        """Queue a chunk's resizes; WebP encodes go to the CPU threads, and the JPEGs for the
        GPU encoder are returned by profile (with empty shells in `outputs` to fill)."""
        by_name = {p.name: p for p in profiles}
        gpu_jpegs: dict[str, list[tuple[int, Any, bytes | None]]] = {}
        for index, decoded in zip(chunk, images, strict=True):
            if isinstance(decoded, ImagingError):
                results[index] = decoded
                continue
            # sizes and path only: holding the pixels here would keep every chunk on the GPU
            decoded_info[index] = dataclasses.replace(decoded, image=None)
            outputs[index] = {}
            if not isinstance(decoded.image, pyvips.Image) and self.on_cuda:
                decoded.image.record_stream(self.torch.cuda.current_stream(self.device))
            steps = plan(decoded.source_width, decoded.source_height, profiles).steps
            made: dict[str | None, Any] = {None: decoded.image}
            try:
                for step in steps:
                    profile = by_name[step.profile]
                    image = self.resize(
                        made[step.source],
                        step.width,
                        step.height,
                        cover=step.cover,
                        crop=profile.crop,
                    )
                    made[step.profile] = image
                    width, height = self.size(image)
                    if not isinstance(image, pyvips.Image) and self._gpu_jpeg(profile):
                        if _same_memory(image, decoded.image):
                            # a photo already at the profile's size: the decoder's buffer goes
                            # back to it before the encode thread reads the pixels
                            image = image.clone()
                        gpu_jpegs.setdefault(profile.name, []).append((index, image, decoded.exif))
                        outputs[index][profile.name] = RenderedVariant(
                            profile.name, profile.format, b"", width, height
                        )
                        continue
                    if isinstance(image, pyvips.Image):
                        job = functools.partial(vips_encode, image, profile, exif=decoded.exif)
                    else:  # the copy to the host runs behind the GPU work, not in its way
                        job = functools.partial(
                            _encode_when_copied, self._host_later(image), profile, decoded.exif
                        )
                    futures.append((index, profile, width, height, self._pool.submit(job)))
            except ImagingError as exc:
                results[index] = exc
        return gpu_jpegs

    def _encode_chunk(
        self,
        gpu_jpegs: dict[str, list[tuple[int, Any, bytes | None]]],
        profiles: Sequence[Profile],
    ) -> list[tuple[list[int], str, Future[list[bytes]]]]:
        """Start the GPU JPEG encodes of a chunk whose resizes are queued: on the encode
        thread and its stream (after the resizes), or here when there is no encode thread."""
        by_name = {p.name: p for p in profiles}
        ready = None
        if self.on_cuda and gpu_jpegs:
            ready = self.torch.cuda.Event()
            ready.record(self.torch.cuda.current_stream(self.device))
        started = []
        for name, entries in gpu_jpegs.items():
            images = [image for _, image, _ in entries]
            exifs = [exif for _, _, exif in entries]
            job = functools.partial(self._encode_after, ready, images, exifs, by_name[name])
            future: Future[list[bytes]]
            if self._encoder is not None:
                future = self._encoder.submit(job)
            else:
                future = Future()
                try:
                    future.set_result(job())
                except Exception as exc:
                    future.set_exception(exc)
            started.append(([index for index, _, _ in entries], name, future))
        return started

    def _encode_after(
        self, ready: Any, images: list[Any], exifs: list[bytes | None], profile: Profile
    ) -> list[bytes]:
        """`_encode_jpegs` on the encode stream once `ready` (the resizes) has passed."""
        if ready is None or self._encoder is None:
            return self._encode_jpegs(images, exifs, profile)
        with self.torch.cuda.stream(self._encode_stream):
            self._encode_stream.wait_event(ready)
            return self._encode_jpegs(images, exifs, profile)

    # -- routing and decode -----------------------------------------------------------------

    def _route(self, request: DecodeRequest) -> _Routed:
        """Read the header once: GPU or CPU decode, orientation, EXIF, decoded pixels."""
        long_edge = request.long_edge
        cpu_estimate = long_edge * long_edge
        if request.fmt != "jpeg" or not request.data:
            return _Routed(request, on_gpu=False, pixels=cpu_estimate)
        parsed = read_header(request.data)
        if parsed is not None:
            width, height = parsed.width, parsed.height
            orientation = parsed.orientation
            upright = (height, width) if orientation in _SWAPPED else (width, height)
            on_gpu = (
                parsed.plain
                and not parsed.rgb_coded
                and gpu_decodable(
                    fmt=request.fmt,
                    bands=parsed.components,
                    interpretation="srgb" if parsed.components == 3 else "other",
                    icc=parsed.icc,
                )
                and width * height <= self.max_pixels
            )
            if not on_gpu:
                scale = min(1.0, long_edge / max(upright))
                return _Routed(request, False, pixels=int(width * height * scale * scale) + 1)
            exif = upright_exif(parsed.exif)
            return _Routed(request, True, orientation, exif, upright, width * height)
        try:  # markers it cannot walk: libvips reads the header as the CPU path would
            header = pyvips.Image.new_from_buffer(header_bytes(request.data), "")
            fields = header.get_fields()
            icc = bytes(header.get("icc-profile-data")) if "icc-profile-data" in fields else None
            orientation = int(header.get("orientation")) if "orientation" in fields else 1
            width, height = header.width, header.height
            upright = (height, width) if orientation in _SWAPPED else (width, height)
            on_gpu = gpu_decodable(
                fmt=request.fmt, bands=header.bands, interpretation=header.interpretation, icc=icc
            ) and (width * height <= self.max_pixels)
            exif = exif_of(header)
        except pyvips.Error:
            return _Routed(request, on_gpu=False, pixels=cpu_estimate)
        if not on_gpu:
            scale = min(1.0, long_edge / max(upright))
            return _Routed(request, False, pixels=int(width * height * scale * scale) + 1)
        return _Routed(request, True, orientation, exif, upright, width * height)

    def _decode(
        self, routed: Sequence[_Routed], buffers: list[Any] | None = None
    ) -> list[BackendImage | ImagingError]:
        """Decode a chunk: GPU routes in one batched call, CPU routes on threads, then upload.

        The hardware decoder's output images are appended to `buffers` when given: the caller
        hands them back (`_give_back`) once the chunk's GPU work is queued.
        """
        stream = (
            self.torch.cuda.stream(self._decode_stream)
            if self._decode_stream is not None
            else contextlib.nullcontext()
        )
        results: list[BackendImage | ImagingError | None] = [None] * len(routed)
        with stream:
            gpu_slots = [i for i, r in enumerate(routed) if r.on_gpu]
            cpu_slots = [i for i, r in enumerate(routed) if not r.on_gpu]
            cpu_futures = {
                i: self._pool.submit(self.cpu.decode_batch, [routed[i].request]) for i in cpu_slots
            }
            tensors = self._decode_jpegs([routed[i].request.data for i in gpu_slots], buffers)
            for slot, tensor in zip(gpu_slots, tensors, strict=True):
                item = routed[slot]
                if tensor is None:  # the hardware decoder refused it: libvips decides
                    cpu_futures[slot] = self._pool.submit(self.cpu.decode_batch, [item.request])
                    continue
                tensor = _orient(tensor, item.orientation)
                width, height = int(tensor.shape[2]), int(tensor.shape[1])
                assert item.upright is not None
                results[slot] = BackendImage(
                    image=tensor,
                    width=width,
                    height=height,
                    source_width=item.upright[0],
                    source_height=item.upright[1],
                    exif=item.exif,
                    path=f"gpu-{self.decoder}",
                )
            for slot, future in cpu_futures.items():
                (decoded,) = future.result()
                joined = decoded if isinstance(decoded, ImagingError) else self._join(decoded)
                results[slot] = joined
            if self._decode_stream is not None:
                self._decode_stream.synchronize()
        return [r if r is not None else ImagingError("not decoded") for r in results]

    def _join(self, decoded: BackendImage) -> BackendImage:
        """A CPU-decoded (sRGB, upright) image uploaded to the GPU; with alpha, kept on CPU."""
        if decoded.image.bands != 3:
            return decoded
        return BackendImage(
            image=self.upload(decoded.image),
            width=decoded.width,
            height=decoded.height,
            source_width=decoded.source_width,
            source_height=decoded.source_height,
            exif=decoded.exif,
            path=decoded.path,
        )

    def _decode_jpegs(self, datas: list[bytes], buffers: list[Any] | None = None) -> list[Any]:
        """CHW uint8 tensors on the device as coded (not yet oriented); None where refused."""
        if not datas:
            return []
        if self.decoder == "nvimgcodec":
            return self._decode_nvimgcodec(datas, buffers)
        if self.decoder == "torchvision":
            return self._decode_torchvision(datas)
        return [self._decode_host(data) for data in datas]

    def _decode_nvimgcodec(self, datas: list[bytes], buffers: list[Any] | None = None) -> list[Any]:
        from nvidia import nvimgcodec

        if self._nv_decoder is None:  # created on the prefetch thread: name the device
            self._nv_decoder = nvimgcodec.Decoder(device_id=self.device.index)
        params = nvimgcodec.DecodeParams(apply_exif_orientation=False)
        stream = self._decode_stream
        # interleaved RGB (H, W, 3) device Images, None where refused; decoded on (and their
        # buffers freed on) the decode stream, which is current here, so the torch ops that
        # follow are ordered after the decode (torch ignores the interface's "stream" key)
        images = None
        reused = self._nv_images.take(len(datas)) if buffers is not None else None
        if reused is not None and self._nv_reuse_images:
            for _, ready in reused:  # the last chunk that read it must be done with it
                if ready is not None:
                    stream.wait_event(ready)
            try:
                images = self._nv_decoder.decode(
                    datas,
                    images=[image for image, _ in reused],
                    params=params,
                    cuda_stream=stream.cuda_stream,
                )
            except TypeError:  # an nvImageCodec that cannot decode into given images
                self._nv_reuse_images = False
                self._nv_images.clear()
        if images is None:
            images = self._nv_decoder.decode(datas, params=params, cuda_stream=stream.cuda_stream)
        if len(images) != len(datas):  # before 0.6 a failed image was dropped, not None
            return [None] * len(datas)
        if buffers is not None and self._nv_reuse_images:
            buffers.extend(image for image in images if image is not None)
        as_tensor = self.torch.as_tensor
        return [
            None if image is None else as_tensor(image, device=self.device).permute(2, 0, 1)
            for image in images
        ]

    def _decode_torchvision(self, datas: list[bytes]) -> list[Any]:
        from torchvision.io import ImageReadMode, decode_jpeg

        torch = self.torch
        inputs = [torch.frombuffer(bytearray(d), dtype=torch.uint8) for d in datas]
        try:
            return list(decode_jpeg(inputs, mode=ImageReadMode.RGB, device=self.device))
        except RuntimeError as exc:
            if is_out_of_memory(exc):
                raise
        out: list[Any] = []
        for one in inputs:  # one bad file fails the batched call: find it, decode the rest
            try:
                out.append(decode_jpeg(one, mode=ImageReadMode.RGB, device=self.device))
            except RuntimeError as exc:
                if is_out_of_memory(exc):
                    raise
                out.append(None)
        return out

    def _decode_host(self, data: bytes) -> Any:
        try:
            image = pyvips.Image.jpegload_buffer(data, fail_on="error")
            return self.upload(image)
        except pyvips.Error:
            return None

    def _give_back(self, buffers: list[Any]) -> None:
        """The decoder's images of a chunk whose GPU work is queued, free once it has run."""
        if not buffers or not self.on_cuda:
            return
        ready = self.torch.cuda.Event()
        ready.record(self.torch.cuda.current_stream(self.device))
        self._nv_images.give(buffers, ready)

    # -- resize and encode ------------------------------------------------------------------

    def _resize(self, image: Any, width: int, height: int, *, cover: bool, crop: str) -> Any:
        source_h, source_w = int(image.shape[1]), int(image.shape[2])
        if (source_w, source_h) == (width, height):
            return image
        if not cover:
            return self._interpolate(image, width, height)
        scale = max(width / source_w, height / source_h)
        scaled_w = max(width, round(source_w * scale))
        scaled_h = max(height, round(source_h * scale))
        scaled = self._interpolate(image, scaled_w, scaled_h)
        if (scaled_w, scaled_h) == (width, height):
            return scaled
        if crop == "centre":
            left, top = (scaled_w - width) // 2, (scaled_h - height) // 2
            return scaled[:, top : top + height, left : left + width].contiguous()
        # libvips' attention/entropy crop on a host copy, so the crop matches the CPU's
        cropped = self.to_host(scaled).smartcrop(width, height, interesting=crop)
        return self.upload(cropped.copy_memory())

    def _interpolate(self, image: Any, width: int, height: int) -> Any:
        if (int(image.shape[2]), int(image.shape[1])) == (width, height):
            return image
        torch = self.torch
        batch = image.unsqueeze(0).to(torch.float32)
        resized = torch.nn.functional.interpolate(
            batch, size=(height, width), mode="bicubic", antialias=True, align_corners=False
        )
        return resized.round_().clamp_(0, 255).to(torch.uint8).squeeze(0)

    def _gpu_jpeg(self, profile: Profile) -> bool:
        """JPEG on the GPU encoder, unless sharpening (a libvips lightness filter) is asked."""
        return profile.format == "jpeg" and profile.sharpen == 0 and self.jpeg_encoder != "host"

    def _encode_jpegs(
        self, images: list[Any], exifs: list[bytes | None], profile: Profile
    ) -> list[bytes]:
        """JPEG bytes of each image with the metadata the profile's policy allows.

        A plain 4:4:4 baseline profile goes to torchvision's nvJPEG encoder even when
        nvImageCodec is chosen: the same nvJPEG settings, without nvImageCodec's allocations
        per image (6x faster on the 3000 px variant, measured on the H200).
        """
        encoder = self.jpeg_encoder
        if encoder == "nvimgcodec" and self._plain_444_on_torchvision and _plain_444(profile):
            encoder = "torchvision"
        if encoder == "nvimgcodec":
            raw = self._encode_nvimgcodec(images, profile)
        elif encoder == "torchvision":
            from torchvision.io import encode_jpeg

            if self.on_cuda:  # its nvJPEG stream does not wait for ours: the pixels must be done
                self.torch.cuda.current_stream(self.device).synchronize()
            encoded = encode_jpeg(list(images), quality=profile.quality)
            raw = [bytes(t.cpu().numpy()) for t in encoded]  # CUDA in, bytes on the GPU out
        else:
            return [
                vips_encode(self.to_host(i), profile, exif=e)
                for i, e in zip(images, exifs, strict=True)
            ]
        icc = srgb_icc() if profile.metadata.icc == "srgb" else None
        return [
            with_metadata(data, exif=filter_exif(exif, profile.metadata), icc=icc)
            for data, exif in zip(raw, exifs, strict=True)
        ]

    def _encode_nvimgcodec(self, images: list[Any], profile: Profile) -> list[bytes]:
        from nvidia import nvimgcodec

        if self._nv_encoder is None:
            self._nv_encoder = nvimgcodec.Encoder(device_id=self.device.index)
        chroma = (
            nvimgcodec.ChromaSubsampling.CSS_444
            if profile.chroma == "4:4:4"
            else nvimgcodec.ChromaSubsampling.CSS_420
        )
        jpeg = nvimgcodec.JpegEncodeParams(
            progressive=profile.progressive, optimized_huffman=profile.optimize_coding
        )
        try:  # nvImageCodec >= 0.6 names quality by type and value
            params = nvimgcodec.EncodeParams(
                quality_type=nvimgcodec.QualityType.QUALITY,
                quality_value=float(profile.quality),
                chroma_subsampling=chroma,
                jpeg_encode_params=jpeg,
            )
        except (TypeError, AttributeError):  # before 0.6: a plain `quality`
            params = nvimgcodec.EncodeParams(
                quality=float(profile.quality), chroma_subsampling=chroma, jpeg_encode_params=jpeg
            )
        stream = self.torch.cuda.current_stream(self.device)
        # the HWC copies stay referenced here until the encode returns: their memory must not
        # go back to torch's allocator while the encoder still reads it
        contiguous = [t.permute(1, 2, 0).contiguous() for t in images]
        hwc = [nvimgcodec.as_image(t) for t in contiguous]
        # the outputs are written into reused pinned code streams: a new one per JPEG costs a
        # cudaMallocHost (~1.4 ms on the thread that drives the GPU)
        encoded = None
        if self._nv_reuse:
            try:
                while len(self._nv_outputs) < len(hwc):
                    self._nv_outputs.append(
                        nvimgcodec.CodeStream(pre_allocated_size=0, pin_memory=True)
                    )
                encoded = self._nv_encoder.encode(
                    hwc,
                    "jpeg",
                    code_stream_s=self._nv_outputs[: len(hwc)],
                    params=params,
                    cuda_stream=stream.cuda_stream,
                )
            except Exception as exc:  # an nvImageCodec that cannot reuse them: new ones
                if is_gpu_failure(exc):
                    raise
                self._nv_reuse = False
        if encoded is None:
            encoded = self._nv_encoder.encode(
                hwc, "jpeg", params=params, cuda_stream=stream.cuda_stream
            )
        del hwc, contiguous
        if any(e is None for e in encoded):
            raise GpuFailure(f"nvImageCodec could not encode a {profile.name!r} JPEG")
        return [bytes(e) for e in encoded]

    # -- host <-> device --------------------------------------------------------------------

    def upload(self, image: pyvips.Image) -> Any:
        """A 3-band uchar libvips image as a CHW uint8 tensor on the device."""
        array = image.numpy()
        tensor = self.torch.from_numpy(array.reshape(image.height, image.width, image.bands))
        if self.on_cuda:
            tensor = tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.permute(2, 0, 1)

    def _host_later(self, tensor: Any) -> Callable[[], pyvips.Image]:
        """Start copying a CHW tensor to the host; the returned call waits for it.

        On CUDA the copy goes to pinned memory without blocking the thread that queues the
        GPU work, and only the CPU thread that encodes the variant waits for it to land.
        """
        if not self.on_cuda:
            host = self.to_host(tensor)
            return lambda: host
        torch = self.torch
        hwc = tensor.permute(1, 2, 0)
        pinned = torch.empty(tuple(hwc.shape), dtype=torch.uint8, pin_memory=True)
        pinned.copy_(hwc, non_blocking=True)
        copied = torch.cuda.Event()
        copied.record(torch.cuda.current_stream(self.device))

        def image() -> pyvips.Image:
            copied.synchronize()
            return pyvips.Image.new_from_array(pinned.numpy(), interpretation="srgb")

        return image

    def to_host(self, tensor: Any) -> pyvips.Image:
        """A CHW uint8 tensor as an sRGB libvips image in memory."""
        array = tensor.permute(1, 2, 0).contiguous().cpu().numpy()
        return pyvips.Image.new_from_array(array, interpretation="srgb")


def _same_memory(image: Any, decoded: Any) -> bool:
    """Whether a tensor is (a view of) the decoded image's memory."""
    if isinstance(decoded, pyvips.Image):
        return False
    return bool(image.untyped_storage().data_ptr() == decoded.untyped_storage().data_ptr())


def _plain_444(profile: Profile) -> bool:
    """What torchvision's encoder writes: 4:4:4, baseline, the standard Huffman tables."""
    return profile.chroma == "4:4:4" and not profile.optimize_coding and not profile.progressive


def _encode_when_copied(
    image: Callable[[], pyvips.Image], profile: Profile, exif: bytes | None
) -> bytes:
    return vips_encode(image(), profile, exif=exif)


def _orient(tensor: Any, orientation: int) -> Any:
    """CHW pixels as coded turned upright by EXIF `orientation` (1-8; others: unchanged)."""
    if orientation == 2:
        return tensor.flip(2)
    if orientation == 3:
        return tensor.flip(1).flip(2)
    if orientation == 4:
        return tensor.flip(1)
    if orientation == 5:
        return tensor.transpose(1, 2)
    if orientation == 6:
        return tensor.transpose(1, 2).flip(2)
    if orientation == 7:
        return tensor.transpose(1, 2).flip(1).flip(2)
    if orientation == 8:
        return tensor.transpose(1, 2).flip(1)
    return tensor
