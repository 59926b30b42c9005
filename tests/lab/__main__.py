"""``python -m tests.lab`` -- list, show, enter and check the lab's worlds.

python -m tests.lab list
python -m tests.lab show private-vpce
python -m tests.lab run private-vpce -- aws sts get-caller-identity
python -m tests.lab run private-vpce            # an interactive shell inside the world
python -m tests.lab check private-vpce          # run the world file's [[check]] list
python -m tests.lab serve ...                    # internal: the world's supervisor
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _cmd_list(args: argparse.Namespace) -> int:
    from .spec import load_spec, world_names

    for name in world_names():
        print(f"{name:<28} {load_spec(name).description}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from .spec import load_spec

    spec = load_spec(args.world)
    if args.json:
        print(json.dumps(spec.raw, indent=2, default=str))
    else:
        print(spec.describe())
    return 0


def _banner(w: object) -> str:
    from .runtime import World

    assert isinstance(w, World)
    env = w.env
    config = Path(env["AWS_CONFIG_FILE"]).read_text().strip().replace("\n", " | ")
    keys = ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", *w.spec.env]
    lines = [
        "=" * 78,
        w.spec.describe(),
        "",
        f"  started   in {w.start_seconds:.2f} s; supervisor pid {w.pid} ({w.mode} namespaces)",
        *(f"  export    {k}={env[k]}" for k in keys if k in env),
        f"  config    {config}",
        "=" * 78,
    ]
    return "\n".join(lines)


def _cmd_run(args: argparse.Namespace) -> int:
    from .runtime import LabUnavailable, World

    cmd = list(args.command)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    w = World(args.world)
    try:
        w.start()
    except LabUnavailable as exc:
        print(f"lab unavailable: {exc}", file=sys.stderr)
        return 2
    try:
        if not args.quiet:
            print(_banner(w), file=sys.stderr)
        extra: dict[str, str] = {}
        for item in args.env or []:
            key, _, value = item.partition("=")
            extra[key] = value
        if not cmd:
            rc_file = w.run_dir / "bashrc"  # type: ignore[operator]
            rc_file.write_text(
                "[ -f ~/.bashrc ] && . ~/.bashrc\n"
                f"PS1='[lab:{w.name}] \\w\\$ '\n"
                f"echo 'inside world {w.name}: try  aws sts get-caller-identity ;  exit to leave'\n"
            )
            cmd = ["bash", "--rcfile", str(rc_file), "-i"]
        t0 = time.monotonic()
        rc = w.interactive(cmd, env=extra)
        if args.events:
            for ev in w.events():
                print("  event", json.dumps(ev), file=sys.stderr)
        if not args.quiet:
            print(
                f"[lab] {w.name}: command exited {rc} after {time.monotonic() - t0:.2f} s",
                file=sys.stderr,
            )
        return rc
    finally:
        took = w.stop()
        if not args.quiet:
            print(f"[lab] {w.name}: stopped in {took:.2f} s", file=sys.stderr)


def _cmd_check(args: argparse.Namespace) -> int:
    from .runtime import World
    from .spec import world_names

    names = args.worlds or world_names()
    failed = 0
    for name in names:
        with World(name) as w:
            results = w.check()
        print(f"{name}  (started in {w.start_seconds:.2f} s)")
        for r in results:
            mark = "ok  " if not r["problems"] else "FAIL"
            print(f"  {mark} [{r['client']:<8}] {r['about']} -> {r.get('outcome')}")
            for p in r["problems"]:
                print(f"         {p}")
            failed += bool(r["problems"])
    print(f"{failed} check(s) failed" if failed else "all checks behave as declared")
    return 1 if failed else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .supervisor import serve_main

    return serve_main(
        args.spec, args.run_dir, args.ca_dir, args.max_lifetime, not args.no_pdeathsig
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.lab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="list the worlds")
    p.set_defaults(fn=_cmd_list)
    p = sub.add_parser("show", help="describe a world")
    p.add_argument("world")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=_cmd_show)
    p = sub.add_parser("run", help="run a command (default: a shell) inside a world")
    p.add_argument("world")
    p.add_argument("-q", "--quiet", action="store_true", help="no banner")
    p.add_argument("-e", "--env", action="append", metavar="K=V", help="extra environment inside")
    p.add_argument("--events", action="store_true", help="print what the world's servers saw")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(fn=_cmd_run)
    p = sub.add_parser("check", help="run the worlds' declared checks")
    p.add_argument("worlds", nargs="*")
    p.set_defaults(fn=_cmd_check)
    p = sub.add_parser("serve", help=argparse.SUPPRESS)
    p.add_argument("--spec", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--ca-dir", required=True)
    p.add_argument("--max-lifetime", type=float, default=3600.0)
    p.add_argument("--no-pdeathsig", action="store_true")
    p.set_defaults(fn=_cmd_serve)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
