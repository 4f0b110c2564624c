"""Loss terms and the optimiser against hand computations."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from isf_jax import losses, optim


def _sigmoid(x):
  return 1 / (1 + np.exp(-x))


def test_bce_with_pos_weight_by_hand():
  x = np.array([[0.3, -1.2, 2.0], [-0.5, 0.1, -3.0]], np.float32)
  y = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
  pw = np.array([2.0, 0.5, 1.5], np.float32)
  want = -np.mean(pw * y * np.log(_sigmoid(x)) + (1 - y) * np.log(1 - _sigmoid(x)))
  np.testing.assert_allclose(losses.bce_with_logits(x, y, pw), want, rtol=1e-6)
  want_plain = -np.mean(y * np.log(_sigmoid(x)) + (1 - y) * np.log(1 - _sigmoid(x)))
  np.testing.assert_allclose(losses.bce_with_logits(x, y), want_plain, rtol=1e-6)


def test_adversarial_losses_by_hand():
  real, fake = np.array([0.5, -0.2], np.float32), np.array([1.0, -2.0], np.float32)
  want_d = -np.mean(np.log(_sigmoid(real))) - np.mean(np.log(1 - _sigmoid(fake)))
  np.testing.assert_allclose(losses.d_adversarial(real, fake), want_d, rtol=1e-6)
  np.testing.assert_allclose(
    losses.g_adversarial(fake), -np.mean(np.log(_sigmoid(fake))), rtol=1e-6
  )


def test_neighbouring_is_unsquared_frobenius_batch_mean():
  w = np.zeros((2, 3, 4), np.float32)
  w_new = w.copy()
  w_new[0, 0, :] = 1.0  # norm 2
  w_new[1, 2, 0] = 3.0  # norm 3
  np.testing.assert_allclose(losses.neighbouring(w_new, w), 2.5, rtol=1e-6)


def test_r1_matches_finite_differences():
  rs = np.random.RandomState(0)
  a = jnp.asarray(rs.randn(12, 3), jnp.float32)
  logits_fn = lambda x: jnp.tanh(x.reshape(x.shape[0], -1) @ a)  # noqa: E731  [N, 3]
  x = jnp.asarray(rs.randn(2, 2, 2, 3), jnp.float32)
  h = 1e-3
  grads = np.zeros(x.shape, np.float64)
  flat = np.asarray(x, np.float64).reshape(-1)
  for i in range(flat.size):
    plus, minus = flat.copy(), flat.copy()
    plus[i] += h
    minus[i] -= h
    f = lambda v: float(jnp.sum(logits_fn(jnp.asarray(v.reshape(x.shape), jnp.float32))))  # noqa: E731
    grads.reshape(-1)[i] = (f(plus) - f(minus)) / (2 * h)
  want = 0.5 * np.mean(np.sum(grads.reshape(2, -1) ** 2, axis=1))
  np.testing.assert_allclose(losses.r1_penalty(logits_fn, x), want, rtol=2e-3)


def test_diversity_weight_constant_or_linear_decay():
  assert float(losses.diversity_weight(123, 2.0, 0)) == 2.0
  np.testing.assert_allclose(losses.diversity_weight(jnp.asarray(25), 2.0, 100), 1.5)
  np.testing.assert_allclose(losses.diversity_weight(jnp.asarray(250), 2.0, 100), 0.0)


def test_box_downsample_averages_blocks():
  x = np.arange(2 * 4 * 4 * 1, dtype=np.float32).reshape(2, 4, 4, 1)
  got = losses.box_downsample(x, 2)
  np.testing.assert_allclose(got[0, 0, 0, 0], np.mean(x[0, :2, :2, 0]))
  np.testing.assert_allclose(got[1, 1, 0, 0], np.mean(x[1, 2:, :2, 0]))


def _optim_config():
  return ml_collections.ConfigDict(
      dict(lr=1e-5, warmup_init_lr=5e-7, warmup_steps=5000, min_lr=5e-6, b1=0.0, b2=0.99,
           eps=1e-8, weight_decay=1e-5, grad_clip=1.0)
  )  # fmt: skip


def test_learning_rate_schedule_matches_official():
  schedule = optim.learning_rate_schedule(_optim_config(), total_steps=50_000)
  np.testing.assert_allclose(schedule(0), 5e-7, rtol=1e-6)
  np.testing.assert_allclose(schedule(2500), 5e-7 + 0.5 * (1e-5 - 5e-7), rtol=1e-5)
  # After warm-up timm evaluates the cosine at the absolute step (no warm-up offset).
  np.testing.assert_allclose(schedule(5000), 5e-6 + 2.5e-6 * (1 + np.cos(np.pi * 0.1)), rtol=1e-5)
  np.testing.assert_allclose(schedule(50_000), 5e-6, rtol=1e-5)


def test_coupled_weight_decay_and_clipping():
  tx = optim.make_optimizer(_optim_config(), total_steps=10)
  params = {"w": jnp.full((4,), 3.0)}
  state = tx.init(params)
  # Gradient of norm 20 is clipped to norm 1 before the decay term is added (torch order).
  grads = {"w": jnp.full((4,), 10.0)}
  updates, _ = tx.update(grads, state, params)
  clipped = 10.0 / 20.0 + 1e-5 * 3.0
  # Adam with b1=0: update = -lr * g / (sqrt(g^2) + eps) ~ -lr * sign(g) on the first step.
  expected = -5e-7 * clipped / (np.sqrt(clipped**2) + 1e-8)
  np.testing.assert_allclose(updates["w"], expected, rtol=1e-5)
  assert optax.tree.norm(updates) > 0
  assert jax.tree.structure(updates) == jax.tree.structure(params)
