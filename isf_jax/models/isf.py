"""The implicit style function (ISF): w' = f2(AdaLN(w, f1(noise, target attributes))).

Architecture of the official code (yhlleo/stylegan-mmuit, `core/model.py`):
  f1: shared trunk on [noise, attributes] -> one head per W+ layer -> styles s [N, L, C];
  AdaLN: (1 + gamma) * LayerNorm(w_l) + beta, (gamma, beta) = one shared Linear(s_l);
  f2: an MLP shared across layers; the output is w' itself (optionally w' + w).
LayerNorms use eps 1e-5 and two-pass variance, as torch.

Intermediate outputs, for inspection: `isf.apply(variables, w, noise, y,
mutable=["intermediates"])` returns (w', {"intermediates": {...}}) holding, each as a 1-tuple,
  "f1_styles"               [N, L, S]  the style codes of f1 (one per W+ layer; L = 1 for "w"),
  "adanorm": {"normalized"} [N, L, C]  the latent after (Ada)LN's normalisation, before the
                                       styles act (absent for norm "none"),
  "f2_input"                [N, L, C]  the modulated latent f2 receives.
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

NORMS = ("adaln", "adain", "none")
LATENT_SPACES = ("wp", "w")
LN_EPS = 1e-5


def _layer_norm(name, affine=True):
  return nn.LayerNorm(
    epsilon=LN_EPS, use_bias=affine, use_scale=affine, use_fast_variance=False, name=name
  )


class StyleMLP(nn.Module):
  """f1: noise and target attributes -> one style code per W+ layer."""

  num_heads: int
  hidden_dim: int = 512
  style_dim: int = 512
  pre_norm: bool = True

  @nn.compact
  def __call__(self, noise, attributes):  # [N, D], [N, K] -> [N, num_heads, style_dim]
    h = nn.relu(nn.Dense(self.hidden_dim, name="fc0")(jnp.concatenate([noise, attributes], -1)))
    for i in range(1, 4):
      if self.pre_norm:
        h = nn.relu(nn.Dense(self.hidden_dim, name=f"fc{i}")(_layer_norm(f"ln{i}")(h)))
      else:
        h = _layer_norm(f"ln{i}")(nn.relu(nn.Dense(self.hidden_dim, name=f"fc{i}")(h)))
    styles = []
    for head in range(self.num_heads):
      s = nn.relu(nn.Dense(self.hidden_dim, name=f"head{head}_fc0")(h))
      s = nn.relu(nn.Dense(self.hidden_dim, name=f"head{head}_fc1")(s))
      styles.append(nn.Dense(self.style_dim, name=f"head{head}_fc2")(s))
    return jnp.stack(styles, axis=1)


class AdaptiveNorm(nn.Module):
  """AdaLN / AdaIN of the latent by the style; `none` adds them."""

  norm: str = "adaln"

  @nn.compact
  def __call__(self, w, s):  # [N, L, C], [N, L, S] -> [N, L, C]
    if self.norm == "none":
      return s + w
    gamma, beta = jnp.split(nn.Dense(2 * w.shape[-1], name="fc")(s), 2, axis=-1)
    # adain (torch InstanceNorm1d without affine on [N, L, C]) is LayerNorm without affine.
    normalized = _layer_norm("ln", affine=self.norm == "adaln")(w)
    self.sow("intermediates", "normalized", normalized)
    return (1 + gamma) * normalized + beta


class LatentMLP(nn.Module):
  """f2: the same three-layer MLP on every W+ layer, no output activation."""

  pre_norm: bool = True

  @nn.compact
  def __call__(self, x):  # [N, L, C] -> [N, L, C]
    c = x.shape[-1]
    for i in range(3):
      if self.pre_norm:
        x = _layer_norm(f"ln{i}")(x)
      elif i > 0:
        x = _layer_norm(f"ln{i}")(nn.relu(x))
      x = nn.Dense(c, name=f"fc{i}")(x)
      if self.pre_norm and i < 2:
        x = nn.relu(x)
    return x


class ISF(nn.Module):
  """Implicit style function: edits a latent towards target attributes, given noise.

  Attributes:
    num_layers: W+ layers (18 for a 1024 px StyleGAN2); ignored for latent "w".
    num_domains: number of binary attributes K.
    latent: "wp" (W+ [N, L, C]) or "w" ([N, C], one head).
    norm: "adaln" (official), "adain" or "none".
    pre_norm: LayerNorm before each Linear (official scripts) or after.
    residual: output w + f2(...) instead of f2(...) (off in the official scripts).
    hidden_dim: width of f1 (the official code hard-codes 512).
  """

  num_layers: int = 18
  num_domains: int = 4
  latent: str = "wp"
  norm: str = "adaln"
  pre_norm: bool = True
  residual: bool = False
  hidden_dim: int = 512

  @nn.compact
  def __call__(self, w, noise, attributes):
    # w [N, L, C] (or [N, C] for latent "w"), noise [N, D], attributes [N, K] -> like w
    if self.norm not in NORMS or self.latent not in LATENT_SPACES:
      raise ValueError(f"norm must be in {NORMS} and latent in {LATENT_SPACES}")
    if attributes.shape[-1] != self.num_domains:
      raise ValueError(f"expected {self.num_domains} attributes, got shape {attributes.shape}")
    single = self.latent == "w"
    wp = w[:, None] if single else w
    num_heads = 1 if single else self.num_layers
    if wp.ndim != 3 or wp.shape[1] != num_heads:
      want = "[N, C]" if single else f"[N, {num_heads}, C]"
      raise ValueError(f"expected latent {want}, got shape {w.shape}")
    styles = StyleMLP(num_heads, self.hidden_dim, wp.shape[-1], self.pre_norm, name="f1")(
      noise, attributes.astype(noise.dtype)
    )
    self.sow("intermediates", "f1_styles", styles)
    modulated = AdaptiveNorm(self.norm, name="adanorm")(wp, styles)
    self.sow("intermediates", "f2_input", modulated)
    out = LatentMLP(self.pre_norm, name="f2")(modulated)
    if self.residual:
      out = out + wp
    return out[:, 0] if single else out
