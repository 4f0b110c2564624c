"""One encoder training step on synthetic pairs (w, G(w)), as pure module-level functions.

The batch is drawn inside the step: z ~ N(0, I) -> w (the generator's mapping, truncated by
config.data.psi) -> G(w) rendered with fresh noise (the noise maps an inversion cannot know),
optionally replaced by real photos (`batch["real"]`, where `batch["use_real"]` is 1). The
encoder (`isf_jax.encoders.e4e.Encoder4Editing`, codes = latent_avg + w0 + delta_i, where
latent_avg is the generator's w_avg: it predicts W+ as offsets from w_avg) sees the photo; its
codes are rendered with the generator's constant noise maps, as editing renders them. Losses
(e4e, Tov et al. 2021, without its latent discriminator):

  pixel L2    mean (G(E(x)) - x)^2
  LPIPS       LPIPS v0.1 (config.loss.lpips_net) between G(E(x)) and x
  latent L2   mean (E(x) - w)^2 over W+, on rendered photos only (real ones have no known w)
  delta       e4e's regulariser: sum over styles i >= 1 of ||w_i - w_0||_2, batch mean
  identity    1 - cos(ArcFace(G(E(x))), ArcFace(x)), when ArcFace weights are given

Per-step randomness is fold_in(state.rng, state.step), so a resumed run draws what an
uninterrupted one would. The frozen networks (generator, LPIPS, ArcFace) enter as `frozen`.
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

from isf_jax import sharding
from isf_jax.encoders import e4e

STEP_KEYS = ("z", "render")  # the codes, the fresh noise maps of their renders


class EncoderState(flax.struct.PyTreeNode):
  step: jax.Array
  rng: jax.Array  # raw uint32 key; per-step keys are fold_in(rng, step)
  params: Any
  opt_state: Any
  constants: Any  # the encoder's untrained collections: batch_stats, buffers/latent_avg

  def variables(self) -> dict:
    return {"params": self.params, **self.constants}


@dataclasses.dataclass(frozen=True)
class Networks:
  """Everything static the step needs: modules, the optimiser and the loss config."""

  encoder: e4e.Encoder4Editing
  generator: Any  # isf_jax.stylegan2 / stylegan1 Generator
  lpips: Any  # isf_jax.lpips.LPIPS
  arcface: Any  # isf_jax.metrics.arcface.IRSE50, or None (no identity loss)
  tx: optax.GradientTransformation
  z_dim: int
  cfg: ml_collections.ConfigDict  # config.loss, with config.data's psi as cfg.psi


def make_optimizer(optim: ml_collections.ConfigDict, total_steps: int):
  """Adam with a linear warm-up and a cosine decay to optim.final_lr_fraction * lr."""
  schedule = optax.warmup_cosine_decay_schedule(
    0.0, optim.lr, optim.warmup_steps, max(total_steps, optim.warmup_steps + 1),
    optim.lr * optim.final_lr_fraction,
  )  # fmt: skip
  return optax.adam(schedule, b1=optim.b1, b2=optim.b2)


def init_state(nets: Networks, seed: int, w_avg) -> EncoderState:
  """Fresh encoder parameters (e4e's initialisers); latent_avg = w_avg [C] on every style."""
  init_key, rng = jax.random.split(jax.random.PRNGKey(seed))
  cfg = nets.encoder.config
  variables = nets.encoder.init(init_key, jnp.zeros((1, *cfg.input_shape, 3)))
  latent_avg = jnp.broadcast_to(w_avg, (cfg.n_styles, cfg.style_dim)).astype(jnp.float32)
  constants = {
    "batch_stats": variables["batch_stats"],
    "buffers": {"latent_avg": latent_avg},
  }
  state = EncoderState(
    step=jnp.zeros((), jnp.int32),
    rng=rng,
    params=variables["params"],
    opt_state=nets.tx.init(variables["params"]),
    constants=constants,
  )
  return jax.tree.map(jnp.copy, state)  # own buffers: the step donates them


def step_keys(rng, step) -> dict:
  keys = jax.random.split(jax.random.fold_in(rng, step), len(STEP_KEYS))
  return dict(zip(STEP_KEYS, keys, strict=True))


def sample_pairs(nets: Networks, frozen, keys, batch_size: int):
  """(w as W+ [N, L, C], G(w) [N, R, R, 3] with fresh noise) for this step's keys."""
  z = jax.random.normal(keys["z"], (batch_size, nets.z_dim))
  generator = functools.partial(nets.generator.apply, frozen["generator"])
  wp = generator(z, nets.cfg.psi, method="map")  # [N, L, C]
  images = generator(wp, noise_mode="random", rng=keys["render"], method="synthesize")
  return wp, images.astype(jnp.float32)


def encode(nets: Networks, variables, photos):
  """photos [N, R, R, 3] in [-1, 1] -> W+ [N, L, C]."""
  return nets.encoder.apply(variables, e4e.preprocess(photos, nets.encoder.config.input_shape))


def reconstruct(nets: Networks, frozen, wp):
  """W+ [N, L, C] -> images [N, R, R, 3], with the generator's constant noise maps."""
  image = nets.generator.apply(frozen["generator"], wp, noise_mode="const", method="synthesize")
  return image.astype(jnp.float32)


def delta_norm(wp):
  """e4e's delta regulariser: sum over i >= 1 of ||w_i - w_0||_2, batch mean."""
  return jnp.mean(jnp.sum(jnp.linalg.norm(wp[:, 1:] - wp[:, :1], axis=-1), axis=-1))


def loss_fn(params, state: EncoderState, nets: Networks, frozen, w, photos, known_w):
  """(total, metrics) for photos [N, R, R, 3] whose codes w [N, L, C] are known where
  known_w [N] is 1."""
  cfg = nets.cfg
  wp = encode(nets, {"params": params, **state.constants}, photos)
  recon = reconstruct(nets, frozen, wp)
  latent_error = jnp.mean((wp - w) ** 2, axis=(1, 2))  # [N]
  terms = {
    "l2": cfg.lambda_l2 * jnp.mean((recon - photos) ** 2),
    "lpips": cfg.lambda_lpips * nets.lpips.apply(frozen["lpips"], recon, photos).mean(),
    "latent": cfg.lambda_latent * jnp.sum(latent_error * known_w) / jnp.maximum(known_w.sum(), 1),
    "delta": cfg.lambda_delta * delta_norm(wp),
  }
  if nets.arcface is not None:
    from isf_jax.metrics import arcface

    embed = lambda x: nets.arcface.apply(frozen["arcface"], arcface.preprocess(x))  # noqa: E731
    similarity = arcface.cosine_similarity(embed(recon), embed(photos))  # [N]
    terms["id"] = cfg.lambda_id * jnp.mean(1 - similarity)
  return sum(terms.values()), {f"loss/{k}": v for k, v in terms.items()}


def train_step(state: EncoderState, frozen, batch, *, nets: Networks, batch_size: int, mesh):
  """One Adam step on `batch_size` photos: rendered pairs, where batch["use_real"] [N] is 1
  replaced by batch["real"] [N, R, R, 3] (both absent when no real photos are mixed in)."""
  keys = step_keys(state.rng, state.step)
  w, photos = sample_pairs(nets, frozen, keys, batch_size)
  # The draws are split on the mesh's "data" axis like a fed batch: each device renders and
  # encodes its share; XLA sums the gradients.
  w, photos = jax.lax.with_sharding_constraint((w, photos), sharding.batch_sharded(mesh))
  known_w = jnp.ones((batch_size,), jnp.float32)
  if "real" in batch:
    use_real = batch["use_real"].astype(jnp.float32)  # [N]
    photos = jnp.where(use_real[:, None, None, None] > 0, batch["real"], photos)
    known_w = 1 - use_real
  (total, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
    state.params, state, nets, frozen, w, photos, known_w
  )
  updates, opt_state = nets.tx.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, updates)
  metrics = {
    "loss/total": total,
    **metrics,
    "norms/grad": optax.tree.norm(grads),
    "norms/params": optax.tree.norm(params),
  }
  return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics


def jit_train_step(nets: Networks, mesh, batch_size: int, donate: bool = True):
  """`train_step` compiled for `mesh`: state and frozen variables replicated, fed arrays and
  the in-step draws split on "data"."""
  replicated, split = sharding.replicated(mesh), sharding.batch_sharded(mesh)
  return jax.jit(
    functools.partial(train_step, nets=nets, batch_size=batch_size, mesh=mesh),
    in_shardings=(replicated, replicated, split),
    out_shardings=(replicated, replicated),
    donate_argnums=(0,) if donate else (),
  )
