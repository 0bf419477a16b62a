"""``kztranslate keys``: create, list and revoke API keys of the HTTP service."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "keys",
        help="manage API keys of the HTTP service",
        description="API keys are stored as salted hashes in the service database; a new key is shown once.",
        epilog="""examples:
  kztranslate keys create our-cms --rate 5 --burst 10
  kztranslate keys list
  kztranslate keys revoke 1f2e3d4c                     # an id from `keys list`
""",
    )
    p.add_argument("--db", type=Path, help="the service database (default: as `kztranslate serve`)")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a key and print it (once)")
    create.add_argument("name", help="who the key is for, e.g. the CMS or plugin name")
    create.add_argument("--rate", type=float, help="requests per second for this key (default: the server's)")
    create.add_argument("--burst", type=int, help="burst for this key (default: the server's)")
    create.add_argument("--max-request-bytes", type=int, help="largest request body (default: the server's)")
    create.add_argument("--character-limit", type=int,
                        help="characters this key may have translated through the LibreTranslate/DeepL-compatible "
                        "routes (default: no limit; DeepL clients see it in /v2/usage and get 456 when it is used up)")
    sub.add_parser("list", help="list keys (ids and names, never the keys)")
    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("id", help="the key id shown by `kztranslate keys list`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The store uses only the standard library; it does not need the serve extra.
    from ..service.settings import default_db_path
    from ..service.store import Store

    store = Store(args.db or default_db_path())
    if args.action == "create":
        secret, key = store.create_key(
            args.name, rate_per_second=args.rate, rate_burst=args.burst, max_request_bytes=args.max_request_bytes
        )
        if args.character_limit is not None:
            store.set_character_limit(key.id, args.character_limit)
        print(secret)
        print(f"created key {key.id} for {key.name!r}; store it now: it cannot be shown again", file=sys.stderr)
    elif args.action == "list":
        for key in store.list_keys():
            print(json.dumps({
                "id": key.id,
                "name": key.name,
                "created": _iso(key.created),
                "revoked": _iso(key.revoked) if key.revoked else None,
                "rate_per_second": key.rate_per_second,
                "rate_burst": key.rate_burst,
                "max_request_bytes": key.max_request_bytes,
                "characters": store.character_usage(key.id)[0],
                "character_limit": store.character_usage(key.id)[1],
            }, ensure_ascii=False))
    else:
        store.revoke_key(args.id)
        print(f"revoked key {args.id}", file=sys.stderr)
    return 0


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")
