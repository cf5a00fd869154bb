"""Build the probe's diffusers pipelines and count their FLOPs.

torch, diffusers, transformers and tokenizers are imported inside the functions, so that
importing this module stays light.

Two sources of models:

- `build_random_pipeline`: architecture-identical models from the configs of
  `costlib.probe.presets.ARCHITECTURES`, with non-zero random weights (built on the meta
  device, allocated on the target device, filled there), real text encoders and in-memory
  tokenizers. No download; the compute per call is that of the trained model.
- `load_pipeline`: real weights from a local diffusers folder, offline
  (``local_files_only=True``).

`count_flops` counts the model FLOPs of one image with ``torch.utils.flop_counter`` over
forward passes on the meta device (no weights, no memory): 2 FLOP per multiply-add in
matmuls, convolutions and attention; norms and elementwise work are not counted, the usual
MFU convention. The full-size counts are in the catalog's ``model_flops`` table.
"""

from __future__ import annotations

import copy
import json
import math
import time
from contextlib import contextmanager
from pathlib import Path

from costlib.errors import InputError
from costlib.probe.presets import ARCHITECTURES, PRESETS, SCHEDULERS, Settings

PROMPT = "a photo of an astronaut riding a horse on the moon, highly detailed"
TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
PIPELINE_CLASSES = {"sd15": "StableDiffusionPipeline", "sdxl": "StableDiffusionXLPipeline",
                    "flux": "FluxPipeline"}
CLIP_TOKENS = 77


def torch_dtype(dtype: str):
    """The torch dtype for ``"fp32"``, ``"fp16"`` or ``"bf16"``."""
    import torch

    return getattr(torch, TORCH_DTYPES[dtype])


def _sync(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


# --- tokenizers -----------------------------------------------------------------------------

def _word_level_tokenizer(specials: list[str], bos: str | None, eos: str, pad: str,
                          max_length: int):
    """A fast tokenizer over the words of `PROMPT`, built in memory (nothing fetched)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(specials)}
    for word in PROMPT.replace(",", " , ").split():
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    single = f"{bos} $A {eos}" if bos else f"$A {eos}"
    special = [(t, vocab[t]) for t in (bos, eos) if t]
    tok.post_processor = processors.TemplateProcessing(single=single, special_tokens=special)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos,
                                   pad_token=pad, unk_token="<unk>", model_max_length=max_length)


def clip_tokenizer():
    """CLIP-style tokenizer: ids bos 0, pad 1, eos 2 as in the CLIP configs, 77 tokens."""
    return _word_level_tokenizer(["<|startoftext|>", "<|pad|>", "<|endoftext|>", "<unk>"],
                                 "<|startoftext|>", "<|endoftext|>", "<|pad|>", CLIP_TOKENS)


def t5_tokenizer(max_length: int):
    """T5-style tokenizer: pad 0, eos 1, unk 2, no bos."""
    return _word_level_tokenizer(["<pad>", "</s>", "<unk>"], None, "</s>", "<pad>", max_length)


# --- models ---------------------------------------------------------------------------------

def _module_class(name: str):
    import diffusers
    import transformers

    return getattr(diffusers, name, None) or getattr(transformers, name)


def _construct(cls, config):
    """Instantiate a model class (or class name) from constructor kwargs (dict) or from a
    loaded model's config."""
    import transformers

    cls = _module_class(cls) if isinstance(cls, str) else cls
    if issubclass(cls, transformers.PreTrainedModel):
        config = cls.config_class(**config) if isinstance(config, dict) else copy.deepcopy(config)
        return cls(config)
    return cls.from_config(dict(config))


@contextmanager
def _parameters_on_meta():
    """Create parameters on the meta device (no memory, no init work); buffers stay real."""
    import torch

    original = torch.nn.Module.register_parameter

    def register(module, name, param):
        original(module, name, param)
        if param is not None and param.device.type != "meta":
            module._parameters[name] = torch.nn.Parameter(
                param.to("meta"), requires_grad=param.requires_grad)

    torch.nn.Module.register_parameter = register
    try:
        yield
    finally:
        torch.nn.Module.register_parameter = original


def fill_random_(module, seed: int) -> None:
    """Fill every parameter in place with non-zero random values, on its own device.

    Matrices and kernels get N(0, 1/fan_in) (unit-scale activations, so fp16 stays finite),
    norm scales N(1, 0.02) and biases N(0, 0.02). Zeros would run faster on some GPUs.
    """
    import torch

    with torch.no_grad():
        for i, (name, p) in enumerate(module.named_parameters()):
            g = torch.Generator(device=p.device).manual_seed(seed * 100_003 + i)
            if p.ndim >= 2:
                p.normal_(0.0, 1.0 / math.sqrt(p[0].numel()), generator=g)
            elif name.endswith(("weight", "scale")):
                p.normal_(1.0, 0.02, generator=g)
            else:
                p.normal_(0.0, 0.02, generator=g)


def make_scheduler(name: str, base_config=None):
    """A diffusers scheduler by key of `SCHEDULERS`, on ``base_config`` if given."""
    import diffusers

    class_name, config = SCHEDULERS[name]
    cls = getattr(diffusers, class_name)
    return cls.from_config(dict(base_config) if base_config is not None else config)


def _assemble(family: str, components: dict):
    import diffusers

    cls = getattr(diffusers, PIPELINE_CLASSES[family])
    if family == "sd15":
        return cls(**components, safety_checker=None, feature_extractor=None,
                   requires_safety_checker=False)
    if family == "sdxl":
        return cls(**components, add_watermarker=False)
    return cls(**components)


def build_random_pipeline(settings: Settings, device: str):
    """The preset's pipeline with random weights on ``device``.

    Returns
    -------
    pipe : diffusers.DiffusionPipeline
        In eval mode, progress bar off.
    seconds : dict
        ``build_seconds`` (construct and fill) and ``to_device_seconds`` (allocation and
        buffers on the device). [s]
    """
    import torch

    arch = ARCHITECTURES[PRESETS[settings.preset].architecture]
    for class_name, _ in arch.values():  # import the model code before the clock starts
        _module_class(class_name)
    components, build, to_device = {}, 0.0, 0.0
    for i, (name, (class_name, config)) in enumerate(arch.items()):
        t0 = time.perf_counter()
        with _parameters_on_meta():
            model = _construct(class_name, config)
        # torch's own .to: diffusers' override warns about fp32 modules, which these lack.
        torch.nn.Module.to(model, torch_dtype(settings.dtype))
        buffers = {n: b.clone() for n, b in model.named_buffers()}
        t1 = time.perf_counter()
        model.to_empty(device=device)
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        if hasattr(model, "tie_weights"):  # to_empty unties shared embeddings (T5)
            model.tie_weights()
        _sync(device)
        t2 = time.perf_counter()
        fill_random_(model, settings.seed + i)
        _sync(device)
        components[name] = model.eval()
        build += (t1 - t0) + (time.perf_counter() - t2)
        to_device += t2 - t1
    components["tokenizer"] = clip_tokenizer()
    if "text_encoder_2" in components:
        components["tokenizer_2"] = (t5_tokenizer(settings.max_sequence_length)
                                     if settings.family == "flux" else clip_tokenizer())
    components["scheduler"] = make_scheduler(settings.scheduler)
    pipe = _assemble(settings.family, components)
    pipe.set_progress_bar_config(disable=True)
    return pipe, {"build_seconds": build, "to_device_seconds": to_device}


def load_pipeline(settings: Settings, device: str):
    """The pipeline of the local diffusers folder ``settings.weights``, offline.

    Raises
    ------
    InputError
        When the folder holds another pipeline than the preset's family.
    """
    folder = Path(settings.weights)
    index = json.loads((folder / "model_index.json").read_text())
    found, wanted = index.get("_class_name"), PIPELINE_CLASSES[settings.family]
    if found != wanted:
        raise InputError(f"weights: {str(folder)!r} is not allowed; it holds a {found}, "
                         f"preset {settings.preset} needs a {wanted}")
    import diffusers

    extra = {"safety_checker": None, "requires_safety_checker": False} \
        if "safety_checker" in index else {}
    if settings.family == "sdxl":  # the invisible watermark would run on every timed call
        extra["add_watermarker"] = False
    # Folders that ship only fp16 files (``*.fp16.safetensors``) need the variant named.
    denoiser = folder / ("transformer" if settings.family == "flux" else "unet")
    files = [f for f in denoiser.glob("*") if f.suffix in (".safetensors", ".bin")]
    if files and all(".fp16." in f.name for f in files):
        extra["variant"] = "fp16"
    # diffusers 0.42 renamed torch_dtype to dtype (the old name warns).
    major_minor = tuple(int(x) for x in diffusers.__version__.split(".")[:2])
    dtype_key = "dtype" if major_minor >= (0, 42) else "torch_dtype"
    extra[dtype_key] = torch_dtype(settings.dtype)
    t0 = time.perf_counter()
    pipe = diffusers.DiffusionPipeline.from_pretrained(folder, local_files_only=True, **extra)
    t1 = time.perf_counter()
    pipe.to(device)
    _sync(device)
    t2 = time.perf_counter()
    if settings.scheduler != "folder":
        pipe.scheduler = make_scheduler(settings.scheduler, pipe.scheduler.config)
    for _, module in pipe.components.items():
        if hasattr(module, "eval"):
            module.eval()
    pipe.set_progress_bar_config(disable=True)
    return pipe, {"build_seconds": t1 - t0, "to_device_seconds": t2 - t1}


# --- FLOPs ----------------------------------------------------------------------------------

def _meta_models(settings: Settings, pipe=None) -> dict:
    """Meta-device copies (no memory) of the models, from the preset or a loaded pipeline."""
    import torch

    if pipe is None:
        specs = ARCHITECTURES[PRESETS[settings.preset].architecture]
    else:
        specs = {}
        for name, module in pipe.components.items():
            if isinstance(module, torch.nn.Module):
                module = getattr(module, "_orig_mod", module)
                specs[name] = (type(module), module.config)
    with torch.device("meta"):
        return {name: _construct(cls, cfg) for name, (cls, cfg) in specs.items()}


def denoiser_calls(settings: Settings, scheduler=None) -> int:
    """Denoiser calls per image: the scheduler's timesteps (PNDM adds one to ``steps``)."""
    if scheduler is None:
        scheduler = make_scheduler(settings.scheduler)
    else:
        scheduler = type(scheduler).from_config(scheduler.config)
    mu = {"mu": 1.0} if scheduler.config.get("use_dynamic_shifting") else {}
    scheduler.set_timesteps(settings.steps, **mu)
    return len(scheduler.timesteps)


def _gflop(fn) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops() / 1e9


def count_flops(settings: Settings, pipe=None) -> dict:
    """Model FLOPs of one image at batch 1, by stage, counted on the meta device.

    Parameters
    ----------
    settings : Settings
        The recipe: size, steps, CFG, prompt length.
    pipe : diffusers.DiffusionPipeline, optional
        A loaded pipeline whose model configs to count; the preset's configs if None.

    Returns
    -------
    dict
        ``text_encode_gflop`` (every text-encoder pass of one image: with CFG, SD 1.5 also
        encodes the empty negative prompt; SDXL zeroes it), ``denoise_step_gflop`` (one
        denoiser call, batch 2 under CFG), ``decode_gflop`` (VAE decode),
        ``total_gflop_per_image`` = text + steps x step + decode. [GFLOP]
    """
    import torch

    models = _meta_models(settings, pipe)
    meta = torch.device("meta")
    vae = models["vae"].config
    factor = 2 ** (len(vae.block_out_channels) - 1)
    lat_h, lat_w = settings.height // factor, settings.width // factor

    def ids(n, length):
        return torch.zeros(n, length, dtype=torch.long, device=meta)

    n_prompts = 2 if settings.family == "sd15" and settings.cfg else 1
    t5_tokens = settings.max_sequence_length or 512
    text = _gflop(lambda: models["text_encoder"](ids(n_prompts, CLIP_TOKENS)))
    if "text_encoder_2" in models:
        length = t5_tokens if settings.family == "flux" else CLIP_TOKENS
        text += _gflop(lambda: models["text_encoder_2"](ids(n_prompts, length)))

    if settings.family == "flux":
        tf = models["transformer"].config
        tokens = (lat_h // 2) * (lat_w // 2)
        guidance = torch.ones(1, device=meta) if tf.guidance_embeds else None
        step = _gflop(lambda: models["transformer"](
            hidden_states=torch.randn(1, tokens, tf.in_channels, device=meta),
            encoder_hidden_states=torch.randn(1, t5_tokens, tf.joint_attention_dim, device=meta),
            pooled_projections=torch.randn(1, tf.pooled_projection_dim, device=meta),
            timestep=torch.ones(1, device=meta), guidance=guidance,
            img_ids=torch.zeros(tokens, 3, device=meta),
            txt_ids=torch.zeros(t5_tokens, 3, device=meta)))
    else:
        un = models["unet"].config
        b = 2 if settings.cfg else 1
        extra = {}
        if un.addition_embed_type == "text_time":
            pooled = models["text_encoder_2"].config.projection_dim
            extra["added_cond_kwargs"] = {"text_embeds": torch.randn(b, pooled, device=meta),
                                          "time_ids": torch.randn(b, 6, device=meta)}
        step = _gflop(lambda: models["unet"](
            torch.randn(b, un.in_channels, lat_h, lat_w, device=meta),
            torch.full((b,), 999.0, device=meta),
            encoder_hidden_states=torch.randn(b, CLIP_TOKENS, un.cross_attention_dim,
                                              device=meta), **extra))
    decode = _gflop(lambda: models["vae"].decode(
        torch.randn(1, vae.latent_channels, lat_h, lat_w, device=meta)))
    calls = denoiser_calls(settings, None if pipe is None else pipe.scheduler)
    return {
        "text_encode_gflop": text,
        "denoise_step_gflop": step,
        "decode_gflop": decode,
        "denoiser_calls": calls,
        "total_gflop_per_image": text + calls * step + decode,
        "method": "torch.utils.flop_counter.FlopCounterMode on the meta device, batch 1, "
                  "2 FLOP per multiply-add (matmul, conv, attention)",
    }
