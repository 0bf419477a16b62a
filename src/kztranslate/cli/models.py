"""``kztranslate models``: the model presets (``models list``, the default) and other model tools.

``models`` is a group: each module named in :data:`SUBCOMMANDS` exposes
``register_subcommand(subparsers)``, which adds its parser under ``kztranslate models`` and sets
``func`` (as ``list`` does below). A new tool such as ``models convert`` lives in its own module
and adds that module's name to :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import json
from itertools import permutations

from ..engine.registry import PRESETS, ModelPreset

__all__ = ["SUBCOMMANDS", "register", "register_subcommand", "run_list"]

#: Modules adding ``kztranslate models`` subcommands, in the order ``--help`` lists them.
SUBCOMMANDS: list[str] = [__name__, "kztranslate.cli.models_convert"]

_EVERY_DIRECTION = set(permutations(("kk", "ru", "en"), 2))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list the model presets (name, Hub id, size, languages, license)",
        description="Model presets for --model, and model tools. Without a subcommand: `models list`.",
        epilog="""examples:
  kztranslate models                                  # the presets: size, directions, license
  kztranslate models list --json
  kztranslate models convert nllb-200-distilled-600M -o /models/nllb-ct2
""",
    )
    parser.set_defaults(func=run_list, json=False)
    group = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND", parser_class=type(parser))
    for module in SUBCOMMANDS:
        importlib.import_module(module).register_subcommand(group)


def register_subcommand(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        help="list the model presets (the default)",
        description="List the model presets: name for --model, Hugging Face Hub id, family, size, "
        "translation directions and license. * marks the default. A local model directory works too: --model PATH.",
    )
    parser.add_argument("--json", action="store_true", help="print the presets as JSON")
    parser.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    presets = list(PRESETS.values())
    if args.json:
        print(json.dumps([preset.to_dict() for preset in presets], ensure_ascii=False, indent=2))
        return 0
    header = ("name", "Hub id", "family", "size", "languages", "license")
    rows = [header] + [_row(preset) for preset in presets]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print("\n* default model. Notes:")
    for preset in presets:
        if preset.note:
            print(f"  {preset.name}: {preset.note}")
    return 0


def _row(preset: ModelPreset) -> tuple[str, ...]:
    return (
        preset.name + (" *" if preset.default else ""),
        preset.hub_id,
        preset.family,
        f"{preset.parameters} ({preset.download_size})",
        _languages(preset),
        preset.license,
    )


def _languages(preset: ModelPreset) -> str:
    if set(preset.language_pairs) == _EVERY_DIRECTION:
        return "kk ru en, any direction"
    return ", ".join(f"{source}→{target}" for source, target in preset.language_pairs)
