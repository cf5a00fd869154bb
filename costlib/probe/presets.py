"""Probe presets, architecture configs, GPU peak rates and the checked run settings.

Plain data and pure checks: nothing here imports torch, so the command line can list the
presets and reject bad numbers before the heavy libraries load.

Sources:

- ``ARCHITECTURES``: the component configs SD 1.5, SDXL base 1.0 and FLUX.1 publish with
  their weights (diffusers 0.42 / transformers 5.x class names; built, they have the known
  parameter counts: SD1.5 UNet 859.5 M, SDXL UNet 2,567.5 M, Flux transformer 11,901 M,
  T5-XXL encoder 4,762 M), and the tiny SD and Flux configs of diffusers' own test suite;
  the tiny SDXL is the tiny SD with SDXL's conditioning (two encoders, pooled text, time ids).
- ``SCHEDULERS``: Euler (SDXL) and flow-matching Euler with dynamic shift (FLUX.1-dev) as
  those models' scheduler configs give them; PNDM (SD 1.5), Euler-ancestral with trailing
  spacing (SDXL-Turbo) and fixed shift 1 (FLUX.1-schnell) as those models publish them; DDIM
  and DPM++ on the same betas.
- GPU peaks: the catalog's ``gpu_hardware`` rows (``data/gpu_hardware.csv``: NVIDIA
  datasheets' dense peaks per dtype and streaming multiprocessors per board), with sources;
  ``GPU_NAMES`` maps torch device names to them.
- ``PRESETS``: the published recipes (SD 1.5 512² 50 steps CFG, SDXL 1024² 30 steps CFG,
  SDXL-Turbo 512² 1 step no CFG, FLUX.1-schnell 1024² 4 steps, FLUX.1-dev 1024² 28 steps);
  each has a ``-tiny`` twin with the same pipeline, scheduler and guidance at 64² on tiny
  models, for the CPU.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from costlib.errors import InputError, check_range

# --- architecture configs -------------------------------------------------------------------
# component name -> (class name, constructor kwargs). diffusers models take the kwargs directly,
# transformers models take them through their config class.

_CLIP_L = {
    "hidden_act": "quick_gelu", "hidden_size": 768, "intermediate_size": 3072,
    "num_attention_heads": 12, "num_hidden_layers": 12, "max_position_embeddings": 77,
    "projection_dim": 768, "vocab_size": 49408, "bos_token_id": 0, "eos_token_id": 2,
    "pad_token_id": 1, "layer_norm_eps": 1e-05,
}
_CLIP_BIGG = {
    **_CLIP_L, "hidden_act": "gelu", "hidden_size": 1280, "intermediate_size": 5120,
    "num_attention_heads": 20, "num_hidden_layers": 32, "projection_dim": 1280,
}
_T5_XXL = {
    "d_ff": 10240, "d_kv": 64, "d_model": 4096, "dense_act_fn": "gelu_new",
    "feed_forward_proj": "gated-gelu", "num_heads": 64, "num_layers": 24,
    "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
    "vocab_size": 32128, "is_encoder_decoder": False,
}
_SD_VAE = {
    "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4, "in_channels": 3, "out_channels": 3,
    "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "sample_size": 512,
    "scaling_factor": 0.18215,
}
_FLUX = {
    "attention_head_dim": 128, "axes_dims_rope": [16, 56, 56], "guidance_embeds": True,
    "in_channels": 64, "joint_attention_dim": 4096, "num_attention_heads": 24, "num_layers": 19,
    "num_single_layers": 38, "patch_size": 1, "pooled_projection_dim": 768,
}
_FLUX_VAE = {
    **_SD_VAE, "latent_channels": 16, "mid_block_add_attention": True, "sample_size": 1024,
    "scaling_factor": 0.3611, "shift_factor": 0.1159, "force_upcast": True,
    "use_quant_conv": False, "use_post_quant_conv": False,
}
_SDXL_UNET = {
    "act_fn": "silu", "addition_embed_type": "text_time", "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256, "attention_head_dim": [5, 10, 20],
    "block_out_channels": [320, 640, 1280], "cross_attention_dim": 2048,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "layers_per_block": 2, "mid_block_type": "UNetMidBlock2DCrossAttn", "norm_num_groups": 32,
    "projection_class_embeddings_input_dim": 2816, "sample_size": 128,
    "transformer_layers_per_block": [1, 2, 10], "use_linear_projection": True,
}

_TINY_CLIP = {
    "hidden_size": 8, "intermediate_size": 16, "num_attention_heads": 2, "num_hidden_layers": 2,
    "vocab_size": 1000, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
}
_TINY_VAE = {
    "block_out_channels": [4, 8], "down_block_types": ["DownEncoderBlock2D"] * 2,
    "up_block_types": ["UpDecoderBlock2D"] * 2, "latent_channels": 4, "norm_num_groups": 2,
}
_TINY_FLUX = {
    "patch_size": 1, "in_channels": 4, "num_layers": 1, "num_single_layers": 1,
    "attention_head_dim": 16, "num_attention_heads": 2, "joint_attention_dim": 32,
    "pooled_projection_dim": 32, "axes_dims_rope": [4, 4, 8], "guidance_embeds": True,
}
_TINY_T5 = {
    "d_model": 32, "d_kv": 8, "d_ff": 37, "num_layers": 2, "num_heads": 4,
    "relative_attention_num_buckets": 8, "vocab_size": 1000, "feed_forward_proj": "gated-gelu",
    "dense_act_fn": "gelu_new", "is_encoder_decoder": False,
}

ARCHITECTURES: dict[str, dict[str, tuple[str, dict]]] = {
    "sd15": {
        "unet": ("UNet2DConditionModel", {
            "act_fn": "silu", "attention_head_dim": 8,
            "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768,
            "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
            "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0,
            "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
            "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
            "sample_size": 64, "use_linear_projection": False}),
        "vae": ("AutoencoderKL", _SD_VAE),
        "text_encoder": ("CLIPTextModel", _CLIP_L),
    },
    "sdxl": {
        "unet": ("UNet2DConditionModel", _SDXL_UNET),
        "vae": ("AutoencoderKL", {**_SD_VAE, "sample_size": 1024, "scaling_factor": 0.13025,
                                  "force_upcast": True}),
        "text_encoder": ("CLIPTextModel", _CLIP_L),
        "text_encoder_2": ("CLIPTextModelWithProjection", _CLIP_BIGG),
    },
    "flux-dev": {
        "transformer": ("FluxTransformer2DModel", _FLUX),
        "vae": ("AutoencoderKL", _FLUX_VAE),
        "text_encoder": ("CLIPTextModel", _CLIP_L),
        "text_encoder_2": ("T5EncoderModel", _T5_XXL),
    },
    "flux-schnell": {
        "transformer": ("FluxTransformer2DModel", {**_FLUX, "guidance_embeds": False}),
        "vae": ("AutoencoderKL", _FLUX_VAE),
        "text_encoder": ("CLIPTextModel", _CLIP_L),
        "text_encoder_2": ("T5EncoderModel", _T5_XXL),
    },
    "sd15-tiny": {
        "unet": ("UNet2DConditionModel", {
            "block_out_channels": [4, 8], "layers_per_block": 1, "sample_size": 32,
            "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
            "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"], "cross_attention_dim": 8,
            "norm_num_groups": 2}),
        "vae": ("AutoencoderKL", _TINY_VAE),
        "text_encoder": ("CLIPTextModel", _TINY_CLIP),
    },
    "sdxl-tiny": {
        # SDXL's conditioning (two encoders, pooled text and 6 time ids) at tiny widths:
        # cross_attention_dim = 8 + 8, projection input = 6 x 8 time ids + 8 pooled.
        "unet": ("UNet2DConditionModel", {
            "block_out_channels": [4, 8], "layers_per_block": 1, "sample_size": 32,
            "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
            "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"], "cross_attention_dim": 16,
            "norm_num_groups": 2, "attention_head_dim": [2, 4], "use_linear_projection": True,
            "addition_embed_type": "text_time", "addition_time_embed_dim": 8,
            "transformer_layers_per_block": [1, 2],
            "projection_class_embeddings_input_dim": 56}),
        "vae": ("AutoencoderKL", {**_TINY_VAE, "force_upcast": True}),
        "text_encoder": ("CLIPTextModel", _TINY_CLIP),
        "text_encoder_2": ("CLIPTextModelWithProjection", {**_TINY_CLIP, "projection_dim": 8}),
    },
    "flux-dev-tiny": {
        "transformer": ("FluxTransformer2DModel", _TINY_FLUX),
        "vae": ("AutoencoderKL", {**_TINY_VAE, "latent_channels": 1, "use_quant_conv": False,
                                  "use_post_quant_conv": False, "shift_factor": 0.0609,
                                  "scaling_factor": 1.5035}),
        # Flux pools CLIP's output into the transformer: hidden size = pooled_projection_dim.
        "text_encoder": ("CLIPTextModel", {**_TINY_CLIP, "hidden_size": 32,
                                           "intermediate_size": 37}),
        "text_encoder_2": ("T5EncoderModel", _TINY_T5),
    },
}
ARCHITECTURES["flux-schnell-tiny"] = {
    **ARCHITECTURES["flux-dev-tiny"],
    "transformer": ("FluxTransformer2DModel", {**_TINY_FLUX, "guidance_embeds": False}),
}

# --- schedulers -----------------------------------------------------------------------------
# name -> (diffusers class, config of the published model). An override keeps the preset's
# noise schedule (beta range, spacing) and swaps the solver, as diffusers' from_config does.

SCHEDULERS: dict[str, tuple[str, dict]] = {
    "pndm": ("PNDMScheduler", {
        "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "skip_prk_steps": True, "set_alpha_to_one": False,
        "steps_offset": 1}),
    "euler": ("EulerDiscreteScheduler", {
        "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "prediction_type": "epsilon", "steps_offset": 1,
        "timestep_spacing": "leading"}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {
        "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "prediction_type": "epsilon", "steps_offset": 1,
        "timestep_spacing": "trailing"}),
    "ddim": ("DDIMScheduler", {
        "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "clip_sample": False, "set_alpha_to_one": False,
        "steps_offset": 1}),
    "dpm++": ("DPMSolverMultistepScheduler", {
        "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "steps_offset": 1}),
    "flow-euler": ("FlowMatchEulerDiscreteScheduler", {
        "shift": 3.0, "use_dynamic_shifting": True, "base_image_seq_len": 256,
        "max_image_seq_len": 4096, "base_shift": 0.5, "max_shift": 1.15}),
    "flow-euler-fixed": ("FlowMatchEulerDiscreteScheduler", {
        "shift": 1.0, "use_dynamic_shifting": False, "base_image_seq_len": 256,
        "max_image_seq_len": 4096, "base_shift": 0.5, "max_shift": 1.15}),
}
FAMILY_SCHEDULERS = {
    "sd15": ("pndm", "euler", "euler-a", "ddim", "dpm++"),
    "sdxl": ("pndm", "euler", "euler-a", "ddim", "dpm++"),
    "flux": ("flow-euler", "flow-euler-fixed"),
}

# --- GPU peaks ------------------------------------------------------------------------------
# (the words a torch device name must hold, the GPU's name in the catalog's gpu_hardware
#  table). Words are whole: "L4" is not in "NVIDIA L40S", "H200" not in "NVIDIA GH200". Of
#  several matches the one with the most words wins ("H100 NVL" over a bare "H100"). A MIG
#  slice carries its board's name ("NVIDIA A100-SXM4-40GB MIG 3g.20gb").
GPU_NAMES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("H100", "HBM3"), "h100"),
    (("H100", "PCIE"), "h100_pcie"),
    (("H100", "NVL"), "h100_nvl"),
    (("H200",), "h200"),
    (("H200", "NVL"), "h200_nvl"),
    (("A100", "40GB"), "a100_40gb"),
    (("A100", "80GB"), "a100_80gb"),
    (("L40S",), "l40s"),
    (("L40",), "l40"),
    (("L4",), "l4"),
    (("RTX", "4090"), "rtx4090"),
    (("B200",), "b200"),
)
# dtype of a run -> (its datasheet dense peak, its practical large-GEMM rate or None). torch's
# default float32 matmul precision is "highest" (no TF32), so fp32 runs are held against the
# non-tensor FP32 peak; fp16 and bf16 run on the tensor cores at the same dense rate. (cuDNN
# convolutions do take TF32 by default, torch.backends.cudnn.allow_tf32: a UNet's fp32 MFU
# overstates how busy the FP32 units are.)
PEAK_QUANTITIES = {
    "fp32": ("peak_fp32_tflops", None),
    "fp16": ("peak_bf16_tflops", "practical_bf16_tflops"),
    "bf16": ("peak_bf16_tflops", "practical_bf16_tflops"),
}


def gpu_key(gpu_name: str) -> str | None:
    """The catalog's name for a torch device name (``"NVIDIA H100 NVL"`` -> ``"h100_nvl"``),
    or None for a GPU `GPU_NAMES` does not know."""
    words = set(re.split(r"[\s\-]+", gpu_name.upper()))
    matches = [(len(need), gpu) for need, gpu in GPU_NAMES if words.issuperset(need)]
    return max(matches, key=lambda m: m[0])[1] if matches else None


def gpu_peaks(gpu_name: str, dtype: str, multiprocessors: int | None = None,
              catalog=None) -> dict:
    """The dense datasheet peak a run of ``dtype`` on a GPU is held against (for MFU), from
    the catalog's ``gpu_hardware`` table, scaled to the share of a MIG slice.

    A slice is a MIG slice when its name says ``MIG`` or it has fewer streaming
    multiprocessors than its board (``sm_count``); its peaks are the board's times
    ``multiprocessors / sm_count``. A slice named MIG whose multiprocessors are not given has
    no peak (its share is unknown).

    Parameters
    ----------
    gpu_name : str
        Device name as torch reports it, e.g. ``"NVIDIA H100 80GB HBM3"``.
    dtype : str
        The run's compute dtype: ``"fp32"`` (held against the non-tensor FP32 peak: torch's
        default float32 matmul precision uses no TF32), ``"fp16"`` or ``"bf16"`` (the dense
        bf16/fp16 tensor peak).
    multiprocessors : int, optional
        Streaming multiprocessors of the device, as torch reports them
        (``multi_processor_count``). [SMs]
    catalog : Catalog, optional
        The catalog to read (the shipped one by default).

    Returns
    -------
    dict
        ``gpu``: the catalog's name of the GPU, or None where unknown; ``dtype_peak``: the
        ``gpu_hardware`` quantity used (e.g. ``"peak_bf16_tflops"``); ``peak_tflops``: the
        datasheet dense peak [TFLOP/s]; ``practical_peak_tflops``: the rate a large matrix
        multiply reaches in practice, where the catalog has one for the dtype [TFLOP/s];
        ``mig_fraction``: multiprocessors over the board's, for a MIG slice [-];
        ``source``: the rows used, with their sources. None where not known.

    Raises
    ------
    InputError
        For a dtype other than fp32, fp16, bf16 or a multiprocessor count below 1.
    """
    if dtype not in PEAK_QUANTITIES:
        raise InputError(f"dtype: {dtype!r} is not allowed; use one of "
                         f"{', '.join(PEAK_QUANTITIES)}")
    if multiprocessors is not None:
        _check_int("multiprocessors", multiprocessors, 1)
    peak_quantity, practical_quantity = PEAK_QUANTITIES[dtype]
    found = {"gpu": gpu_key(gpu_name), "dtype_peak": peak_quantity, "peak_tflops": None,
             "practical_peak_tflops": None, "mig_fraction": None, "source": None}
    if found["gpu"] is None:
        return found
    from costlib.catalog import load_catalog

    catalog = catalog or load_catalog()

    def row(quantity):
        rows = catalog.rows("gpu_hardware", gpu=found["gpu"], quantity=quantity)
        return rows[0] if rows else None

    peak = row(peak_quantity)
    practical = row(practical_quantity) if practical_quantity else None
    if peak is None:
        return found
    used = [peak, practical] if practical else [peak]
    board = row("sm_count")
    fraction = 1.0
    named_mig = "MIG" in gpu_name.upper().split()
    if board is not None and multiprocessors is not None and (
            named_mig or multiprocessors < board.value):
        fraction = found["mig_fraction"] = multiprocessors / board.value
        used.append(board)
    elif named_mig:
        return found
    found["peak_tflops"] = peak.value * fraction
    found["practical_peak_tflops"] = practical.value * fraction if practical else None
    found["source"] = "; ".join(f"gpu_hardware {e.name}: {e.source} ({e.as_of})" for e in used)
    return found


# --- presets --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    """One published generation recipe on one architecture.

    Attributes
    ----------
    name : str
        Preset name, also the ``model`` label of the result (e.g. ``"sdxl-tiny"``).
    family : str
        Pipeline family: ``"sd15"``, ``"sdxl"`` or ``"flux"``.
    architecture : str
        Key into ``ARCHITECTURES``.
    height, width : int
        Image size. [px]
    steps : int
        Denoising steps per image.
    guidance_scale : float
        Classifier-free guidance scale for SD/SDXL (CFG runs when > 1), the embedded
        guidance value for FLUX.1-dev, ignored by FLUX.1-schnell.
    scheduler : str
        Key into ``SCHEDULERS``.
    max_sequence_length : int or None
        T5 prompt length for Flux [tokens]; None for CLIP-only conditioning (77 tokens).
    """

    name: str
    family: str
    architecture: str
    height: int
    width: int
    steps: int
    guidance_scale: float
    scheduler: str
    max_sequence_length: int | None = None

    @property
    def tiny(self) -> bool:
        """True for the CPU-sized twin of a preset."""
        return self.name.endswith("-tiny")


_FULL = (
    Preset("sd15", "sd15", "sd15", 512, 512, 50, 7.5, "pndm"),
    Preset("sdxl", "sdxl", "sdxl", 1024, 1024, 30, 5.0, "euler"),
    Preset("sdxl-turbo", "sdxl", "sdxl", 512, 512, 1, 0.0, "euler-a"),
    Preset("flux-schnell", "flux", "flux-schnell", 1024, 1024, 4, 0.0, "flow-euler-fixed", 256),
    Preset("flux-dev", "flux", "flux-dev", 1024, 1024, 28, 3.5, "flow-euler", 512),
)
# Tiny twins: same pipeline, scheduler and guidance on tiny models at 64², with short step
# counts and a quarter of the T5 prompt length, so that a call takes about 0.1 s on a CPU.
_TINY_STEPS = {"sd15": 5, "sdxl": 3, "sdxl-turbo": 1, "flux-schnell": 4, "flux-dev": 3}
_TINY_ARCH = {"sd15": "sd15-tiny", "sdxl": "sdxl-tiny", "sdxl-turbo": "sdxl-tiny",
              "flux-schnell": "flux-schnell-tiny", "flux-dev": "flux-dev-tiny"}


def _tiny(p: Preset) -> Preset:
    return Preset(p.name + "-tiny", p.family, _TINY_ARCH[p.name], 64, 64, _TINY_STEPS[p.name],
                  p.guidance_scale, p.scheduler,
                  None if p.max_sequence_length is None else p.max_sequence_length // 4)


PRESETS: dict[str, Preset] = {q.name: q for p in _FULL for q in (p, _tiny(p))}

DTYPES = ("fp32", "fp16", "bf16")
# torch.compile's modes, and what is compiled: the denoiser alone, the published recipe of
# diffusers' "accelerate inference" tutorial (channels_last, fullgraph, denoiser and VAE
# decode, four Inductor settings; max-autotune unless a mode is given), or that recipe's
# layout without its Inductor settings ("published-layout": their coordinate-descent tuning
# compiles and times every kernel many times over at its first call, minutes for SDXL).
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
COMPILE_RECIPES = ("denoiser", "published", "published-layout")
# When the compiler toolchain fails its preflight: measure eager (reason in the result) or stop.
COMPILE_FALLBACKS = ("eager", "stop")


def get_preset(name: str) -> Preset:
    """The preset called ``name``; InputError listing the valid names otherwise."""
    if name not in PRESETS:
        raise InputError(f"preset: {name!r} is not allowed; valid presets: {', '.join(PRESETS)}")
    return PRESETS[name]


# --- run settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """Everything that defines one probe run, checked; written into the result as is.

    Attributes
    ----------
    preset, model, family : str
        Preset name, model label (the preset name) and pipeline family.
    height, width : int
        Image size. [px]
    steps : int
        Denoising steps per image.
    guidance_scale : float
        See `Preset`.
    cfg : bool
        Whether classifier-free guidance doubles the denoiser batch.
    max_sequence_length : int or None
        T5 prompt length for Flux. [tokens]
    scheduler, dtype : str
        Scheduler key (``"folder"``: the one shipped with the weights) and compute dtype
        (``"fp32"``, ``"fp16"``, ``"bf16"``).
    compile : bool
        Whether the run compiles with ``torch.compile`` (always ``dynamic=False``: one graph
        per batch size).
    compile_mode, compile_recipe : str or None
        `COMPILE_MODES` and `COMPILE_RECIPES` entries when ``compile``, else None.
    compile_fallback : str
        `COMPILE_FALLBACKS`: what a failed compiler preflight does.
    fresh_compile_cache : bool
        Compile into a new, empty Inductor/Triton cache (a true cold start).
    batch_sizes : tuple of int
        Batch sizes of the throughput sweep. [images]
    warmup_runs, latency_runs, stage_runs : int
        Untimed warm-up calls, timed batch-1 calls for latency, and batch-1 calls timed by
        stage (apart from the latency calls).
    sustained_seconds : float
        Length of the sustained run at the best batch size (0: none). [s]
    window_seconds : float
        Length of each throughput window, and of each window of the sustained run. [s]
    seed : int
        Seed of every generation (and of the random weights).
    weights : str or None
        Local diffusers folder with real weights; None for random weights.
    """

    preset: str
    model: str
    family: str
    height: int
    width: int
    steps: int
    guidance_scale: float
    cfg: bool
    max_sequence_length: int | None
    scheduler: str
    dtype: str
    compile: bool
    compile_mode: str | None
    compile_recipe: str | None
    compile_fallback: str
    fresh_compile_cache: bool
    batch_sizes: tuple[int, ...]
    warmup_runs: int
    latency_runs: int
    stage_runs: int
    window_seconds: float
    sustained_seconds: float
    seed: int
    weights: str | None


def _check_int(field: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"{field}: {value!r} is not allowed; must be an integer >= {low}")
    return value


def parse_device(device: str) -> str:
    """Check a device string: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``."""
    if not isinstance(device, str) or not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise InputError(f"device: {device!r} is not allowed; use 'cpu', 'cuda' or 'cuda:N'")
    return device


def resolve_settings(preset: str, *, device: str = "cuda", weights: str | None = None,
                     height: int | None = None, width: int | None = None,
                     steps: int | None = None, guidance_scale: float | None = None,
                     batch_sizes=None, dtype: str | None = None, scheduler: str | None = None,
                     compile: bool = False, compile_mode: str | None = None,
                     compile_recipe: str | None = None, compile_fallback: str = "eager",
                     fresh_compile_cache: bool = False, warmup_runs: int | None = None,
                     latency_runs: int | None = None, window_seconds: float | None = None,
                     sustained_seconds: float | None = None, seed: int = 0) -> Settings:
    """Settings of a run: the preset's recipe with the given overrides, every number checked.

    None keeps the preset's value; with ``weights`` the scheduler defaults to the folder's
    own. A compile mode or recipe turns ``compile`` on; the recipe defaults to the denoiser
    alone, the mode to max-autotune for the published recipe and "default" otherwise.
    Defaults that depend on the hardware: ``dtype`` is bf16 on a GPU and fp32 on the CPU;
    full-size presets sweep batch sizes 1, 2, 4, 8 with 3 warm-up calls, 30 latency calls,
    5 stage-timed calls, 30 s windows and a 600 s sustained run on a GPU (10 s on the CPU);
    tiny presets 1 and 2 with 1, 3, 2, 1 s and 2 s.

    Raises
    ------
    InputError
        Naming the field, the bad value and what is allowed.
    """
    p = get_preset(preset)
    device = parse_device(device)
    size_multiple = 8 if p.tiny else 64
    height = p.height if height is None else _check_int("height", height, size_multiple)
    width = p.width if width is None else _check_int("width", width, size_multiple)
    for field, value in (("height", height), ("width", width)):
        if value % size_multiple:
            raise InputError(f"{field}: {value!r} is not allowed; must be a multiple of "
                             f"{size_multiple} for preset {p.name}")
    steps = p.steps if steps is None else _check_int("steps", steps, 1)
    if guidance_scale is None:
        guidance_scale = p.guidance_scale
    check_range("guidance_scale", guidance_scale, 0.0, 100.0)
    guidance_scale = float(guidance_scale)
    dtype = dtype or ("fp32" if device == "cpu" else "bf16")
    if dtype not in DTYPES:
        raise InputError(f"dtype: {dtype!r} is not allowed; use one of {', '.join(DTYPES)}")
    scheduler = scheduler or (p.scheduler if weights is None else "folder")
    if scheduler not in FAMILY_SCHEDULERS[p.family] and not (
            scheduler == "folder" and weights is not None):
        raise InputError(f"scheduler: {scheduler!r} is not allowed for {p.name}; use one of "
                         f"{', '.join(FAMILY_SCHEDULERS[p.family])}")
    sustained = 2.0 if p.tiny else 10.0 if device == "cpu" else 600.0
    plan = (1, 3, 2, 1.0, (1, 2)) if p.tiny else (3, 30, 5, 30.0, (1, 2, 4, 8))
    warmup_runs = plan[0] if warmup_runs is None else _check_int("warmup_runs", warmup_runs, 0)
    latency_runs = plan[1] if latency_runs is None else _check_int(
        "latency_runs", latency_runs, 2)
    stage_runs = min(plan[2], latency_runs)
    if window_seconds is None:
        window_seconds = plan[3]
    check_range("window_seconds", window_seconds, 0.0, low_open=True)
    sustained_seconds = sustained if sustained_seconds is None else sustained_seconds
    check_range("sustained_seconds", sustained_seconds, 0.0)
    batch_sizes = plan[4] if batch_sizes is None else tuple(batch_sizes)
    if not batch_sizes:
        raise InputError("batch_sizes: () is not allowed; give at least one batch size")
    for b in batch_sizes:
        _check_int("batch_sizes", b, 1)
    batch_sizes = tuple(sorted(set(batch_sizes)))
    _check_int("seed", seed, 0)
    for field, value in (("compile", compile), ("fresh_compile_cache", fresh_compile_cache)):
        if not isinstance(value, bool):
            raise InputError(f"{field}: {value!r} is not allowed; must be True or False")
    for field, value, allowed in (("compile_mode", compile_mode, COMPILE_MODES),
                                  ("compile_recipe", compile_recipe, COMPILE_RECIPES),
                                  ("compile_fallback", compile_fallback, COMPILE_FALLBACKS)):
        if value is not None and value not in allowed:
            raise InputError(f"{field}: {value!r} is not allowed; use one of "
                             f"{', '.join(allowed)}")
    compile = compile or compile_mode is not None or compile_recipe is not None
    if compile:
        compile_recipe = compile_recipe or "denoiser"
        compile_mode = compile_mode or (
            "max-autotune" if compile_recipe == "published" else "default")
    if weights is not None:
        folder = Path(weights).expanduser()
        if not folder.is_dir():
            raise InputError(f"weights: {str(weights)!r} is not allowed; no such folder")
        if not (folder / "model_index.json").is_file():
            raise InputError(f"weights: {str(weights)!r} is not allowed; not a diffusers "
                             "folder (model_index.json is missing)")
        weights = str(folder.resolve())
    cfg = p.family != "flux" and guidance_scale > 1.0
    return Settings(
        preset=p.name, model=p.name, family=p.family, height=height, width=width, steps=steps,
        guidance_scale=guidance_scale, cfg=cfg, max_sequence_length=p.max_sequence_length,
        scheduler=scheduler, dtype=dtype, compile=compile, compile_mode=compile_mode,
        compile_recipe=compile_recipe, compile_fallback=compile_fallback,
        fresh_compile_cache=fresh_compile_cache, batch_sizes=batch_sizes,
        warmup_runs=warmup_runs, latency_runs=latency_runs, stage_runs=stage_runs,
        window_seconds=float(window_seconds), sustained_seconds=float(sustained_seconds),
        seed=seed, weights=weights)

