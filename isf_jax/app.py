"""A local web editor: pick a seed or upload a face, set attributes, see several results.

  python -m isf_jax.app [--isf DIR] [--generator CKPT] [--encoder DIR] [--port 7860]

With no --isf it opens the demo world's ISF (demo_out/isf_ema, made by `bash scripts/demo.sh`)
or, when that does not exist yet, a page saying so. Every click writes what
`python -m isf_jax.edit sample` and `... interpolate` write for the same request (the page shows
that command) and offers it for download. Listens on 127.0.0.1 only, unless --host says
otherwise; a public gradio share link only with --share. The page sends values and uploads,
never paths: the server reads only the checkpoints named here. Needs `pip install
'isf-jax[app]'`.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_ISF = "demo_out/isf_ema"
MAKE_DEMO = "bash scripts/demo.sh"


@dataclasses.dataclass
class Session:
  """What the page edits with: loaded once at start, shared by every request (queued)."""

  translator: object  # isf_jax.translator.Translator
  isf: str
  generator: str | None = None
  invert_steps: int = 1000  # photos: projector steps, unless the translator has an encoder
  lpips_net: str = "vgg"
  outroot: Path = dataclasses.field(default_factory=lambda: Path(tempfile.mkdtemp("-isf-app")))
  requests: int = 0

  def new_outdir(self, keep: int = 8) -> Path:
    """A fresh directory for the next request; those of older requests are removed (gradio
    has copied what it serves into its own cache by then)."""
    self.requests += 1
    shutil.rmtree(self.outroot / f"request{self.requests - keep:05d}", ignore_errors=True)
    return self.outroot / f"request{self.requests:05d}"


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m isf_jax.app", description=__doc__.split("\n")[0])
  parser.add_argument("--isf", default=None, help=f"ISF checkpoint directory ({DEFAULT_ISF})")
  parser.add_argument("--generator", default=None, help="generator (default: the ISF's)")
  parser.add_argument("--encoder", default=None, help="e4e encoder for photos (else projector)")
  parser.add_argument("--invert-steps", type=int, default=1000, help="projector steps")
  parser.add_argument("--invert-lpips", default="vgg", choices=("vgg", "alex"))
  parser.add_argument("--batch-size", type=int, default=8)
  parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
  parser.add_argument("--port", type=int, default=7860)
  parser.add_argument("--share", action="store_true", help="also open a public gradio link")
  parser.add_argument("--no-warmup", action="store_true", help="compile on the first click")
  return parser


def load_session(args) -> Session:
  from isf_jax import editor
  from isf_jax.translator import Translator

  translator = Translator.load(
    generator=args.generator, isf=args.isf, batch_size=args.batch_size, encoder=args.encoder
  )
  # A built-in world reads kept attributes with its classifier (loaded once, here).
  translator = editor.with_source_classifier(translator, {}, None, args.isf)
  session = Session(translator, args.isf, args.generator, args.invert_steps)
  session.lpips_net = args.invert_lpips
  atexit.register(shutil.rmtree, session.outroot, ignore_errors=True)
  return session


def warm_up(session: Session) -> float:
  """Compile every function a default click uses, so the first click is as fast as the
  next; returns the seconds it took."""
  from isf_jax.app_page import PageValues, translate

  start = time.perf_counter()
  values = PageValues(targets={session.translator.attributes[0]: 1})
  status = translate(session, values)[0]
  if status.startswith("**Error"):
    raise ValueError(status.removeprefix("**Error:** "))
  return time.perf_counter() - start


def main(argv=None) -> int:
  args = build_parser().parse_args(argv)
  from isf_jax.cache import enable_compilation_cache  # lazy: the page loads fast

  enable_compilation_cache()
  try:
    import gradio  # noqa: F401
  except ImportError:
    print("error: the web editor needs gradio: pip install 'isf-jax[app]'", file=sys.stderr)
    return 1
  from isf_jax import app_page

  if args.isf is None and not Path(DEFAULT_ISF).exists():
    page = app_page.missing_world_page(DEFAULT_ISF, MAKE_DEMO)
  else:
    args.isf = args.isf or DEFAULT_ISF
    try:
      session = load_session(args)
      if not args.no_warmup:
        print(f"compiled in {warm_up(session):.1f}s", file=sys.stderr)
    except (OSError, ValueError, KeyError) as e:
      print(f"error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
      return 1
    page = app_page.build_page(session)
  # one request at a time: the compiled functions and the CPU are shared
  page.queue(default_concurrency_limit=1)
  page.launch(server_name=args.host, server_port=args.port, share=args.share, show_error=True)
  return 0


if __name__ == "__main__":
  sys.exit(main())
