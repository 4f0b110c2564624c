"""StyleGAN2 training steps: the essentials of the NVlabs recipe, for small demo worlds.

Pure, module-level functions; the modules and optimisers are bound with `functools.partial`
(`Networks`). Per-step randomness is `fold_in(state.rng, state.step)`.

The recipe (stylegan2-ada-pytorch's, minus ADA and the path-length regulariser):
* non-saturating logistic loss: G minimises softplus(-D(G(z))), D minimises
  softplus(D(G(z))) + softplus(-D(x));
* lazy R1 on reals every `r1_interval` steps, weighted by gamma / 2 * interval. It is added to
  that step's D gradient instead of a separate optimiser step, so Adam needs no lazy-regulariser
  correction of its learning rate and betas;
* style mixing regularisation: with probability `style_mixing_prob` a batch's W+ switches to a
  second latent's W at a random layer;
* per-layer random noise while training;
* EMA of G with a half-life of min(ema_kimg * 1000, ema_rampup * images seen) images.
The path-length regulariser is left out: it doubles the G step's cost on a CPU and mainly
smooths W for projection, which the demo world does not need.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
import optax


class GanState(flax.struct.PyTreeNode):
  step: jax.Array
  rng: jax.Array  # raw uint32 key; per-step keys are fold_in(rng, step)
  g_params: Any
  g_buffers: Any  # noise_const maps and w_avg: fixed while training
  g_opt_state: Any
  g_ema_params: Any
  d_params: Any
  d_opt_state: Any


@dataclasses.dataclass(frozen=True)
class Networks:
  generator: Any  # isf_jax.stylegan2.Generator
  discriminator: Any  # isf_jax.stylegan2.discriminator.Discriminator
  g_tx: optax.GradientTransformation
  d_tx: optax.GradientTransformation
  cfg: ml_collections.ConfigDict  # config.train


def adam(cfg) -> optax.GradientTransformation:
  """The StyleGAN2 optimiser: Adam with beta1 = 0 and beta2 = 0.99."""
  return optax.adam(cfg.lr, b1=cfg.beta1, b2=cfg.beta2, eps=1e-8)


def init_state(nets: Networks, seed: int, resolution: int) -> GanState:
  key = jax.random.PRNGKey(seed)
  g_key, d_key, rng = jax.random.split(key, 3)
  z = jnp.zeros((1, nets.generator.config.z_dim))
  g_vars = nets.generator.init(g_key, z)
  d_params = nets.discriminator.init(d_key, jnp.zeros((4, resolution, resolution, 3)))["params"]
  state = GanState(
    step=jnp.zeros((), jnp.int32),
    rng=rng,
    g_params=g_vars["params"],
    g_buffers=g_vars["buffers"],
    g_opt_state=nets.g_tx.init(g_vars["params"]),
    g_ema_params=g_vars["params"],
    d_params=d_params,
    d_opt_state=nets.d_tx.init(d_params),
  )
  return jax.tree.map(jnp.copy, state)  # own buffers per leaf: the step donates the state


def mixed_styles(nets: Networks, g_vars, key, batch: int):
  """W+ [N, num_ws, w_dim] of fresh z, style-mixed with probability style_mixing_prob."""
  cfg, gen = nets.cfg, nets.generator
  z_key, z2_key, cut_key, p_key = jax.random.split(key, 4)
  z_dim, num_ws = gen.config.z_dim, gen.config.num_ws
  ws = gen.apply(g_vars, jax.random.normal(z_key, (batch, z_dim)), method="map")
  ws2 = gen.apply(g_vars, jax.random.normal(z2_key, (batch, z_dim)), method="map")
  cutoff = jax.random.randint(cut_key, (), 1, num_ws)
  cutoff = jnp.where(jax.random.uniform(p_key) < cfg.style_mixing_prob, cutoff, num_ws)
  layer = jnp.arange(num_ws)[None, :, None]
  return jnp.where(layer < cutoff, ws, ws2)


def generate(nets: Networks, g_params, g_buffers, key, batch: int):
  """Training-time fakes [N, R, R, 3]: mixed styles and random noise."""
  g_vars = {"params": g_params, "buffers": g_buffers}
  style_key, noise_key = jax.random.split(key)
  ws = mixed_styles(nets, g_vars, style_key, batch)
  return nets.generator.apply(g_vars, ws, noise_mode="random", rng=noise_key, method="synthesize")


def _d_logits(nets, d_params, images):
  return nets.discriminator.apply({"params": d_params}, images)


def g_loss(g_params, state, nets, key, batch):
  fake = generate(nets, g_params, state.g_buffers, key, batch)
  logits = _d_logits(nets, state.d_params, fake)
  loss = jnp.mean(jax.nn.softplus(-logits))
  return loss, {"g/loss": loss, "scores/fake": jnp.mean(logits)}


def d_loss(d_params, nets, reals, fakes, with_r1: bool):
  real_logits = _d_logits(nets, d_params, reals)
  fake_logits = _d_logits(nets, d_params, fakes)
  adv = jnp.mean(jax.nn.softplus(fake_logits)) + jnp.mean(jax.nn.softplus(-real_logits))
  metrics = {"d/loss": adv, "scores/real": jnp.mean(real_logits)}
  if not with_r1:
    return adv, metrics
  r1 = r1_penalty(nets, d_params, reals)
  weight = nets.cfg.r1_gamma / 2 * nets.cfg.r1_interval
  metrics["d/r1"] = r1
  return adv + weight * r1, metrics


def r1_penalty(nets, d_params, reals):
  """Mean over the batch of |grad_x D(x)|^2 on reals."""
  grad = jax.grad(lambda x: jnp.sum(_d_logits(nets, d_params, x)))(reals)
  return jnp.mean(jnp.sum(jnp.square(grad), axis=(1, 2, 3)))


def ema_beta(nets: Networks, step):
  """Per-step EMA decay: half-life min(ema_kimg k, ema_rampup * images seen) images."""
  cfg = nets.cfg
  images_seen = (step + 1).astype(jnp.float32) * cfg.batch_size
  half_life = jnp.minimum(cfg.ema_kimg * 1000.0, cfg.ema_rampup * images_seen)
  return 0.5 ** (cfg.batch_size / jnp.maximum(half_life, 1e-8))


def _update(tx, grads, opt_state, params):
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


def train_step(state: GanState, reals, *, nets: Networks, with_r1: bool):
  """A G step then a D step on one global batch of reals [N, R, R, 3] in [-1, 1]."""
  batch = reals.shape[0]
  g_key, fake_key = jax.random.split(jax.random.fold_in(state.rng, state.step))
  (_, g_metrics), g_grads = jax.value_and_grad(g_loss, has_aux=True)(
    state.g_params, state, nets, g_key, batch
  )
  g_params, g_opt_state = _update(nets.g_tx, g_grads, state.g_opt_state, state.g_params)

  fakes = jax.lax.stop_gradient(generate(nets, g_params, state.g_buffers, fake_key, batch))
  (_, d_metrics), d_grads = jax.value_and_grad(d_loss, has_aux=True)(
    state.d_params, nets, reals, fakes, with_r1
  )
  d_params, d_opt_state = _update(nets.d_tx, d_grads, state.d_opt_state, state.d_params)

  beta = ema_beta(nets, state.step)
  ema = jax.tree.map(lambda e, p: beta * e + (1 - beta) * p, state.g_ema_params, g_params)
  metrics = {
    **g_metrics,
    **d_metrics,
    "ema/beta": beta,
    "norms/g_grad": optax.tree.norm(g_grads),
    "norms/d_grad": optax.tree.norm(d_grads),
  }
  new_state = state.replace(
    step=state.step + 1,
    g_params=g_params,
    g_opt_state=g_opt_state,
    g_ema_params=ema,
    d_params=d_params,
    d_opt_state=d_opt_state,
  )
  return new_state, metrics


def ema_variables(state: GanState) -> dict:
  """The EMA generator's variables ({"params", "buffers"})."""
  return {"params": state.g_ema_params, "buffers": state.g_buffers}
