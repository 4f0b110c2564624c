"""One ISF-GAN iteration: a discriminator step, then an ISF step (official order, 1:1).

Pure, module-level functions. The frozen networks (StyleGAN2 or v1, LPIPS) enter as arguments
(`frozen`), never as part of the train state; the modules and optimisers are bound with
`functools.partial` (`Networks`). Per-step randomness is `fold_in(state.rng, state.step)`.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import optax

from isf_jax import losses, sharding

SOURCE_IMAGES = ("render", "dataset")  # where the step's real (source) images come from


class TrainState(flax.struct.PyTreeNode):
  step: jax.Array
  rng: jax.Array  # raw uint32 key; per-step keys are fold_in(rng, step)
  isf_params: Any
  isf_opt_state: Any
  isf_ema_params: Any
  d_params: Any
  d_opt_state: Any


@dataclasses.dataclass(frozen=True)
class Networks:
  """Everything static the step needs: modules, optimisers and the loss config."""

  isf: Any  # isf_jax.models.isf.ISF
  discriminator: Any  # isf_jax.models.discriminator.Discriminator
  generator: Any  # isf_jax.stylegan2 or isf_jax.stylegan1 Generator
  lpips: Any  # isf_jax.lpips.LPIPS
  isf_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  cfg: ml_collections.ConfigDict  # config.train


def render(nets: Networks, frozen, wp, key):
  """W+ -> float32 image at the D/loss size (resized by config.train.resize: box averaging, as
  the official StyleGAN2 code, or bilinear, as its v1 code), with the configured noise mode.

  With `remat_generator` the generator's activations are recomputed in the backward pass
  instead of stored, trading compute for memory in the three renders the ISF loss
  differentiates through (measured effect: docs/performance.md).
  """
  cfg = nets.cfg

  def synthesize(wp, key):
    return nets.generator.apply(
      frozen["generator"], wp, noise_mode=cfg.render_noise_mode, rng=key, method="synthesize"
    )

  if cfg.remat_generator:
    synthesize = jax.checkpoint(synthesize)
  image = synthesize(wp, key).astype(jnp.float32)
  return losses.resize_to(image, cfg.img_size, cfg.resize)


def source_images(nets: Networks, frozen, batch, key):
  """The real images of a batch at the D/loss size: rendered from its codes (official) or
  its stored `image` (config.train.source_image)."""
  cfg = nets.cfg
  if cfg.source_image not in SOURCE_IMAGES:
    raise ValueError(f"source_image must be one of {SOURCE_IMAGES}, got {cfg.source_image!r}")
  if cfg.source_image == "dataset":
    return losses.resize_to(batch["image"], cfg.img_size, cfg.resize)
  return jax.lax.stop_gradient(render(nets, frozen, batch["wp"], key))


def _lpips(nets, frozen, a, b):
  return nets.lpips.apply(frozen["lpips"], a, b, reduction="mean").astype(jnp.float32)


def _noise(key, batch, nets):
  return jax.random.normal(key, (batch, nets.cfg.noise_dim))


def d_loss(d_params, nets, real, fake, labels):
  cfg = nets.cfg
  apply = lambda x: nets.discriminator.apply({"params": d_params}, x)  # noqa: E731
  real_cls, real_src = apply(real)
  _, fake_src = apply(fake)
  head = 0 if cfg.r1_on == "cls" else 1
  terms = {
    "cls": cfg.lambda_cls * losses.bce_with_logits(real_cls, labels, jnp.asarray(cfg.pos_weight)),
    "adv": losses.d_adversarial(real_src, fake_src),
    "r1": cfg.lambda_r1 * losses.r1_penalty(lambda x: apply(x)[head], real),
  }
  metrics = {f"d/{k}": v for k, v in terms.items()}
  metrics.update({"scores/real": jnp.mean(real_src), "scores/fake": jnp.mean(fake_src)})
  return sum(terms.values()), metrics


def isf_loss(isf_params, state, nets, frozen, d_params, w, real, labels, targets, keys):
  cfg = nets.cfg
  n = w.shape[0]
  isf = lambda latent, key, y: nets.isf.apply(
    {"params": isf_params}, latent, _noise(key, n, nets), y
  )  # noqa: E731
  w_t = isf(w, keys["isf_noise"], targets)
  x_t = render(nets, frozen, w_t, keys["isf_render"])
  fake_cls, fake_src = nets.discriminator.apply({"params": d_params}, x_t)
  w_cyc = isf(w_t, keys["cycle_noise"], labels)
  x_cyc = render(nets, frozen, w_cyc, keys["cycle_render"])
  w_t2 = isf(w, keys["second_noise"], targets)  # a second translation, for diversity
  x_t2 = render(nets, frozen, w_t2, keys["second_render"])
  ds_weight = losses.diversity_weight(state.step, cfg.lambda_ds, cfg.ds_decay_steps)
  terms = {
    "adv": losses.g_adversarial(fake_src),
    "cls": cfg.lambda_cls * losses.bce_with_logits(fake_cls, targets, jnp.asarray(cfg.pos_weight)),
    "nb": cfg.lambda_nb * losses.neighbouring(w_t, w),
    "latent_cyc": cfg.lambda_lat_cyc * losses.l1(w_cyc, w),
    "image_cyc": cfg.lambda_src_cyc * losses.l1(x_cyc, real),
    "ds": -ds_weight * losses.l1(x_t, x_t2),
    "lpips_cyc": cfg.lambda_lpips_cyc * _lpips(nets, frozen, x_cyc, real),
    "lpips": cfg.lambda_lpips * _lpips(nets, frozen, x_t, real),
  }
  return sum(terms.values()), {f"isf/{k}": v for k, v in terms.items()}


def init_state(nets: Networks, seed: int, wp_shape, num_domains: int) -> TrainState:
  """Fresh ISF and D parameters, optimiser states and EMA (= the initial ISF)."""
  key = jax.random.PRNGKey(seed)
  isf_key, d_key, rng = jax.random.split(key, 3)
  n = wp_shape[0]
  isf_params = nets.isf.init(
    isf_key, jnp.zeros(wp_shape), jnp.zeros((n, nets.cfg.noise_dim)), jnp.zeros((n, num_domains))
  )["params"]
  size = nets.cfg.img_size
  d_params = nets.discriminator.init(d_key, jnp.zeros((n, size, size, 3)))["params"]
  state = TrainState(
    step=jnp.zeros((), jnp.int32),
    rng=rng,
    isf_params=isf_params,
    isf_opt_state=nets.isf_tx.init(isf_params),
    isf_ema_params=isf_params,
    d_params=d_params,
    d_opt_state=nets.d_tx.init(d_params),
  )
  # Every leaf gets its own buffer (the EMA starts as the parameters): the step donates it.
  return jax.tree.map(jnp.copy, state)


def _update(tx, grads, opt_state, params):
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


# The random draws of one step, each with its own key (render keys feed the generator's noise
# when config.train.render_noise_mode is "random").
STEP_KEYS = (
  "source_render",  # the source image, when rendered
  "d_noise",  # ISF noise of the discriminator step's fake
  "d_render",
  "isf_noise",  # ISF step: the translation
  "isf_render",
  "cycle_noise",  # the translation back to the source labels
  "cycle_render",
  "second_noise",  # a second translation to the same targets (diversity term)
  "second_render",
)


def step_keys(rng, step) -> dict:
  """{name: key} for STEP_KEYS, from the run's key folded with the step number."""
  keys = jax.random.split(jax.random.fold_in(rng, step), len(STEP_KEYS))
  return dict(zip(STEP_KEYS, keys, strict=True))


def train_step(state: TrainState, frozen, batch, *, nets: Networks):
  """D step then ISF step on one global batch: {"wp" [N, L, C], "labels" [N, K],
  "target_labels" [N, K], and "image" [N, S, S, 3] when the source image is read}."""
  cfg = nets.cfg
  keys = step_keys(state.rng, state.step)
  w = batch["wp"]
  labels = batch["labels"].astype(jnp.float32)
  targets = batch["target_labels"].astype(jnp.float32)  # drawn by the input pipeline
  real = source_images(nets, frozen, batch, keys["source_render"])

  w_fake = nets.isf.apply(
    {"params": state.isf_params}, w, _noise(keys["d_noise"], w.shape[0], nets), targets
  )
  fake = jax.lax.stop_gradient(render(nets, frozen, w_fake, keys["d_render"]))
  (d_total, d_metrics), d_grads = jax.value_and_grad(d_loss, has_aux=True)(
    state.d_params, nets, real, fake, labels
  )
  d_params, d_opt_state = _update(nets.d_tx, d_grads, state.d_opt_state, state.d_params)

  (g_total, g_metrics), g_grads = jax.value_and_grad(isf_loss, has_aux=True)(
    state.isf_params, state, nets, frozen, d_params, w, real, labels, targets, keys
  )
  isf_params, isf_opt_state = _update(nets.isf_tx, g_grads, state.isf_opt_state, state.isf_params)
  ema = jax.tree.map(
    lambda e, p: cfg.ema_decay * e + (1 - cfg.ema_decay) * p, state.isf_ema_params, isf_params
  )
  metrics = {
    "d/total": d_total,
    "isf/total": g_total,
    **d_metrics,
    **g_metrics,
    "norms/d_grad": optax.tree.norm(d_grads),
    "norms/isf_grad": optax.tree.norm(g_grads),
    "norms/d_params": optax.tree.norm(d_params),
    "norms/isf_params": optax.tree.norm(isf_params),
  }
  new_state = state.replace(
    step=state.step + 1,
    isf_params=isf_params,
    isf_opt_state=isf_opt_state,
    isf_ema_params=ema,
    d_params=d_params,
    d_opt_state=d_opt_state,
  )
  return new_state, metrics


def jit_train_step(nets: Networks, mesh, donate: bool = True):
  """`train_step` compiled for `mesh`: state and frozen variables replicated, the batch split
  on "data" (XLA inserts the gradient reductions); the old state's buffers are reused for
  the new one unless `donate` is False."""
  replicated, batch = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  return jax.jit(
    functools.partial(train_step, nets=nets),
    in_shardings=(replicated, replicated, batch),
    out_shardings=(replicated, replicated),
    donate_argnums=(0,) if donate else (),
  )
