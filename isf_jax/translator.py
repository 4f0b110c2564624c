"""Editing API: translate latent codes to target attributes with a trained ISF.

  translator = Translator.load(generator="faces", isf="demo_out/isf_ema")
  inverted = translator.invert(["me.jpg"], mode="optimize", align=True)  # or encoder=... modes
  wp = inverted.wp  # [N, L, C]
  edited = translator.translate(wp, {"bright": 1}, source_labels=labels)  # [N, S, L, C]
  images = translator.render(edited[:, 0])  # [N, R, R, 3] in [-1, 1]

The ISF checkpoint is a directory written by `python -m convert.isf` or by the trainer
(`workdir/isf_ema`). Its ISF noise is drawn per input and sample from
`fold_in(fold_in(key(seed), input_index), sample_index)`, so an input's results do not depend
on the batch size or on the other inputs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from isf_jax import checkpoints
from isf_jax.generators import BUILTIN, generator_module, is_builtin, read_generator
from isf_jax.isf_checkpoint import load_isf
from isf_jax.layers import layer_mask
from isf_jax.models.isf import ISF
from isf_jax.stylegan2.config import GeneratorConfig
from isf_jax.stylegan2.networks import truncate

# The official FFHQ attribute order; label 1 = male, glasses, old, smiling (official-code.md §6).
FFHQ_ATTRIBUTES = ("gender", "glasses", "age", "expression")


def _binary(values, what: str) -> np.ndarray:
  values = np.asarray(values, np.float32)
  if not np.all((values == 0) | (values == 1)):
    raise ValueError(f"{what} must be 0 or 1, got {np.unique(values).tolist()}")
  return values


def _chunks(total: int, batch_size: int, desc: str, progress: bool):
  with tqdm(total=total, unit="img", desc=desc, disable=not progress) as bar:
    for start in range(0, total, batch_size):
      yield start, min(start + batch_size, total)
      bar.update(min(batch_size, total - start))


def _pad_to(x: np.ndarray, size: int) -> np.ndarray:
  """Pad the batch axis to `size` by repeating the last row: one compiled shape per batch."""
  if len(x) == size:
    return x
  return np.concatenate([x, np.repeat(x[-1:], size - len(x), axis=0)])


@dataclasses.dataclass(frozen=True, eq=False)
class Translator:
  """A frozen generator (StyleGAN2 or v1) and an ISF, with the attribute names of the ISF's
  label slots."""

  generator_config: GeneratorConfig  # isf_jax.stylegan2 or isf_jax.stylegan1 GeneratorConfig
  generator_variables: dict
  isf_kwargs: dict
  isf_params: dict
  attributes: tuple[str, ...]
  noise_dim: int
  classifier: Callable | None = None  # images [N, R, R, 3] in [-1, 1] -> labels [N, K]
  batch_size: int = 8
  provenance: dict = dataclasses.field(default_factory=dict)
  encoder: object = None  # isf_jax.invert.Encoder: photos -> this generator's W+

  # --- construction ------------------------------------------------------------------

  @classmethod
  def load(
    cls,
    generator=None,
    isf=None,
    attributes: Iterable[str] | None = None,
    classifier: Callable | None = None,
    batch_size: int = 8,
    encoder=None,
  ) -> Translator:
    """generator: a converted generator (directory or checkpoint file) or a built-in world
    ("faces", "statistics"); default the one named in the ISF checkpoint. isf: an ISF
    checkpoint directory. attributes: names of the label slots, needed when the checkpoint
    has none (converted official checkpoints) unless it has 4 slots (then the official FFHQ
    order). encoder: a converted e4e encoder directory for the generator (`isf-jax-convert
    e4e`: OUT/encoder), for `invert`."""
    if batch_size < 1:
      raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if isf is None:
      raise ValueError("give isf=PATH: an ISF checkpoint directory or official .ckpt")
    _, variables, info = load_isf(isf)
    names = cls._attribute_names(attributes, info.attributes, info.num_domains)
    generator = generator if generator is not None else info.generator
    if not generator:
      raise ValueError(
        f"{isf} names no generator: pass generator=PATH or one of {', '.join(BUILTIN)}"
      )
    gen_config, gen_variables = read_generator(generator)
    if gen_config.w_dim != info.w_dim:
      raise ValueError(f"generator w_dim {gen_config.w_dim} does not fit the ISF's {info.w_dim}")
    if info.latent == "wp" and info.num_layers != gen_config.num_ws:
      raise ValueError(
        f"ISF edits {info.num_layers} W+ layers, the generator has {gen_config.num_ws}"
      )
    provenance = {
      "isf": str(isf),
      "isf_sha256": checkpoints.sha256(isf),
      "generator": str(generator),
      "step": info.step,
    }
    if not is_builtin(generator):
      provenance["generator_sha256"] = checkpoints.sha256(generator)
    if encoder is not None:
      from isf_jax import invert

      loaded_encoder = invert.load_encoder(encoder, gen_config)
      provenance.update(encoder=str(encoder), encoder_sha256=checkpoints.sha256(encoder))
    return cls(
      gen_config,
      gen_variables,
      info.isf,
      variables["params"],
      names,
      info.noise_dim,
      classifier,
      batch_size,
      provenance,
      loaded_encoder if encoder is not None else None,
    )

  @staticmethod
  def _attribute_names(given, stored, num_domains: int) -> tuple[str, ...]:
    names = given if given is not None else stored
    if names is None:
      if num_domains != len(FFHQ_ATTRIBUTES):
        raise ValueError(
          f"the checkpoint has {num_domains} attributes and no names: pass attributes=[...]"
        )
      names = FFHQ_ATTRIBUTES
    names = tuple(str(n) for n in names)
    if len(names) != num_domains or len(set(names)) != len(names):
      raise ValueError(f"need {num_domains} distinct attribute names, got {list(names)}")
    return names

  # --- properties ----------------------------------------------------------------------

  @property
  def num_layers(self) -> int:
    return self.generator_config.num_ws

  @property
  def resolution(self) -> int:
    return self.generator_config.resolution

  def _edit(self, num_samples: int):
    return _edit_fn(tuple(sorted(self.isf_kwargs.items())), num_samples, self.noise_dim)

  def _synthesize(self, noise_mode: str):
    return _synthesize_fn(self.generator_config, noise_mode)

  def latents_from_seeds(self, seeds, psi: float = 0.7, cutoff: int | None = None) -> np.ndarray:
    """W+ [N, L, C] of z = RandomState(seed).randn(z_dim) (NVlabs' convention), truncated."""
    from isf_jax.seeds import seed_latents

    z = seed_latents(seeds, self.generator_config.z_dim)
    map_fn = _map_fn(self.generator_config, cutoff)
    return np.asarray(map_fn(self.generator_variables, z, np.float32(psi)))

  # --- input checking --------------------------------------------------------------------

  def as_wp(self, latents) -> np.ndarray:
    """W [N, C] or W+ [N, L, C] -> W+ [N, L, C] (float32), checked against the generator."""
    latents = np.asarray(latents, np.float32)
    c, num_layers = self.generator_config.w_dim, self.num_layers
    if latents.ndim == 2 and latents.shape[1] == c:
      return np.repeat(latents[:, None], num_layers, axis=1)
    if latents.ndim != 3 or latents.shape[1:] != (num_layers, c):
      raise ValueError(
        f"latents must be W [N, {c}] or W+ [N, {num_layers}, {c}] for this generator, "
        f"got shape {latents.shape}"
      )
    if self.isf_kwargs["latent"] == "w" and not np.all(latents == latents[:, :1]):
      raise ValueError("this ISF edits W (one code per image): pass W [N, C], not a mixed W+")
    return latents

  def target_labels(self, targets: Mapping, source_labels) -> np.ndarray:
    """Targets by name over the source labels [N, K] -> target labels [N, K]."""
    unknown = [n for n in targets if n not in self.attributes]
    if unknown:
      raise ValueError(f"unknown attribute(s) {unknown}; valid: {list(self.attributes)}")
    if not targets:
      raise ValueError(f"no target attribute given; valid: {list(self.attributes)}")
    labels = np.array(source_labels, np.float32)
    for name, value in targets.items():
      labels[:, self.attributes.index(name)] = _binary(value, f"target {name}")
    return labels

  def source_labels_for(self, wp: np.ndarray, targets: Mapping, source_labels) -> np.ndarray:
    """The source labels [N, K]: given, or read by the classifier when some attribute is
    not a target (a fully specified target needs none)."""
    n, k = len(wp), len(self.attributes)
    if source_labels is not None:
      labels = _binary(source_labels, "source labels")
      if labels.shape == (k,):
        labels = np.broadcast_to(labels, (n, k))
      if labels.shape != (n, k):
        raise ValueError(f"source labels must be [{n}, {k}] ({list(self.attributes)})")
      return labels
    kept = [a for a in self.attributes if a not in targets]
    if not kept:
      return np.zeros((n, k), np.float32)
    if self.classifier is None:
      raise ValueError(
        f"attributes {kept} are not targets, so their source labels are needed: pass "
        "source_labels or load the Translator with a classifier"
      )
    return _binary(self.classifier(self.render(wp)), "classifier labels").reshape(n, k)

  # --- photos ------------------------------------------------------------------------

  def invert(self, photos, mode: str = "optimize", steps: int = 1000, align: bool = False, **kw):
    """Photos -> `isf_jax.invert.Inversion` (W+ `.wp` [N, L, C], `.lpips`, `.psnr` per photo;
    `.photos`: how each file was read, e.g. `.photos[0].alignment`).

    photos: file paths (read by `invert.read_photo`: FFHQ-aligned with align=True, else
    centre-cropped and resized) or images [N, R, R, 3] in [-1, 1]. mode: "optimize",
    "encoder" or "encoder+optimize" (the encoder modes need `load(..., encoder=PATH)`).
    Other keywords (space, lpips_net, seed, progress) go to `invert.invert`."""
    from isf_jax import invert

    pixels, read = invert.as_images(photos, self.resolution, align)
    result = invert.invert(
      pixels, mode, self.generator_config, self.generator_variables, self.encoder, steps, **kw
    )
    return dataclasses.replace(result, photos=read)

  # --- editing -------------------------------------------------------------------------

  def translate(
    self,
    latents,
    targets: Mapping[str, int],
    num_samples: int = 1,
    seed: int = 0,
    layers=None,
    source_labels=None,
    progress: bool = False,
  ) -> np.ndarray:
    """Edited W+ [N, num_samples, L, C].

    targets: {name: 0 or 1}; attributes not named keep the source labels (`source_labels`
    [N, K] or [K], else read by the translator's classifier). layers: which W+ layers keep
    the ISF output (see `layer_mask`; "preset": the official per-attribute ranges); the
    others are copied from the source; the presets follow the generator kind.
    """
    if num_samples < 1:
      raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    wp = self.as_wp(latents)
    labels = self.target_labels(targets, self.source_labels_for(wp, targets, source_labels))
    mask = layer_mask(layers, targets, self.num_layers, self.generator_config.kind)
    out = []
    for start, stop in _chunks(len(wp), self.batch_size, "translate", progress):
      edited = self._edit(num_samples)(
        self.isf_params,
        _pad_to(wp[start:stop], self.batch_size),
        _pad_to(labels[start:stop], self.batch_size),
        np.arange(start, start + self.batch_size),
        jax.random.key(seed),
        jnp.asarray(mask),
      )
      out.append(np.asarray(edited)[: stop - start])
    return np.concatenate(out)

  def render(self, latents, noise_mode: str = "const", progress: bool = False) -> np.ndarray:
    """Images [..., R, R, 3] in [-1, 1] of W+ [..., L, C] (or W [N, C]) at full resolution."""
    latents = np.asarray(latents, np.float32)
    lead = latents.shape[:-2] if latents.ndim > 2 else latents.shape[:-1]
    wp = self.as_wp(latents.reshape(-1, *latents.shape[len(lead) :]))
    out = []
    for start, stop in _chunks(len(wp), self.batch_size, "render", progress):
      images = self._synthesize(noise_mode)(
        self.generator_variables, _pad_to(wp[start:stop], self.batch_size)
      )
      out.append(np.asarray(images)[: stop - start])
    images = np.concatenate(out)
    return images.reshape(*lead, *images.shape[1:])

  def sample(self, latents, targets, num_samples: int = 8, seed: int = 0, **kwargs) -> np.ndarray:
    """K modes per input: images [N, K, R, R, 3] of `translate` with K noise draws."""
    progress = kwargs.get("progress", False)
    edited = self.translate(latents, targets, num_samples, seed, **kwargs)
    return self.render(edited, progress=progress)

  def interpolate(
    self, latents, targets, num_frames: int = 8, seed: int = 0, **kwargs
  ) -> np.ndarray:
    """W+ frames [N, F, L, C] from the source (alpha 0) to its translation (alpha 1),
    both ends included.

    The official `isfgan_interp.py` instead goes from the translation with the attribute
    set to 1 to the one with it set to 0 (two noise draws) and stops before alpha 1; here
    the first frame is the unedited source, so a strip reads "before -> after".
    """
    if num_frames < 2:
      raise ValueError(f"num_frames must be at least 2, got {num_frames}")
    source = self.as_wp(latents)  # [N, L, C]
    target = self.translate(source, targets, 1, seed, **kwargs)[:, 0]  # [N, L, C]
    alpha = np.linspace(0, 1, num_frames, dtype=np.float32)[None, :, None, None]
    return source[:, None] + alpha * (target - source)[:, None]


@functools.lru_cache(maxsize=16)
def _edit_fn(isf_kwargs: tuple, num_samples: int, noise_dim: int):
  """Jitted (params, wp [B, L, C], labels [B, K], indices [B], key, mask [L]) -> [B, S, L, C];
  cached so that every Translator of one architecture shares the compiled code."""
  isf = ISF(**dict(isf_kwargs))

  def noise_for(key, index):  # [S, D]: one draw per (input, sample), independent of batching
    keys = jax.vmap(lambda s: jax.random.fold_in(jax.random.fold_in(key, index), s))(
      jnp.arange(num_samples)
    )
    return jax.vmap(lambda k: jax.random.normal(k, (noise_dim,)))(keys)

  def edit(params, wp, labels, indices, key, mask):
    noise = jax.vmap(noise_for, in_axes=(None, 0))(key, indices)  # [B, S, D]
    b, s = noise.shape[:2]
    wp_rep = jnp.repeat(wp, s, axis=0)  # [B * S, L, C]
    isf_in = wp_rep[:, 0] if isf.latent == "w" else wp_rep
    out = isf.apply({"params": params}, isf_in, noise.reshape(b * s, -1), jnp.repeat(labels, s, 0))
    if isf.latent == "w":
      out = jnp.broadcast_to(out[:, None], wp_rep.shape)
    out = jnp.where(mask[None, :, None], out, wp_rep)  # masked-out layers: the source
    return out.reshape(b, s, *wp.shape[1:])

  return jax.jit(edit)


@functools.lru_cache(maxsize=16)
def _map_fn(config: GeneratorConfig, cutoff: int | None):
  """Jitted (variables, z [N, Z], psi) -> W+ [N, L, C]: psi is an argument, so another
  truncation (a slider in the web editor) reuses the compiled code."""
  generator = generator_module(config)  # StyleGAN2 or v1

  def map_truncated(variables, z, psi):
    ws = generator.apply(variables, z, method="map")  # psi 1: untruncated
    truncated = truncate(ws, variables["buffers"]["mapping"]["w_avg"], psi, cutoff)
    return jnp.where(psi == 1, ws, truncated)  # psi 1 exactly as Generator.map: untouched

  return jax.jit(map_truncated)


@functools.lru_cache(maxsize=16)
def _synthesize_fn(config: GeneratorConfig, noise_mode: str):
  generator = generator_module(config)
  return jax.jit(
    lambda variables, wp: generator.apply(variables, wp, noise_mode=noise_mode, method="synthesize")
  )
