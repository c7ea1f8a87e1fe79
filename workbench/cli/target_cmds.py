"""``workbench targets add|list|check|provision|trust|passphrase|remove``: where steps run."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import asdict

from workbench.cli.context import CliContext
from workbench.errors import InvalidInputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``targets`` commands to the parser."""
    targets = sub.add_parser("targets", help="execution targets: local, Spark clusters, SSH hosts")
    targets_sub = targets.add_subparsers(dest="targets_command", metavar="ACTION", required=True)

    add = targets_sub.add_parser("add", help="register a target (engineer or admin)")
    add_sub = add.add_subparsers(dest="kind", metavar="KIND", required=True)
    local = add_sub.add_parser("local", help="this machine (another Python, say)")
    local.add_argument("name")
    local.add_argument("--python", help="the Python that runs steps")
    spark = add_sub.add_parser("spark", help="an Apache Spark cluster")
    spark.add_argument("name")
    spark.add_argument("--master", required=True, help="local[*], spark://HOST:PORT, yarn, k8s://…")
    spark.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark configuration")
    ssh = add_sub.add_parser("ssh", help="a host reached over SSH")
    ssh.add_argument("name")
    ssh.add_argument("--host", required=True)
    ssh.add_argument("--port", type=int, default=22)
    # its own dest: the global --user (who acts) must never be replaced by the SSH login
    ssh.add_argument("--user", dest="ssh_user", default="", metavar="LOGIN", help="the SSH login on the host")
    ssh.add_argument("--key-file", default="", help="private key (its passphrase goes to the OS keyring)")
    ssh.add_argument("--work-dir", default="~/.mlops-workbench")
    ssh.add_argument("--python", default="python3", help="the remote Python")
    ssh.add_argument("--known-hosts", default="", help="an extra known_hosts file to trust")
    ssh.add_argument("--ask-passphrase", action="store_true", help="ask for the key's passphrase now")
    for parser in (local, spark, ssh):
        parser.set_defaults(handler=_add)

    listing = targets_sub.add_parser("list")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    check = targets_sub.add_parser(
        "check", help="connect and report versions, CPU/GPU, free disk and the step runtime's packages",
        description="Run the target's Python and report what steps need from it. Exits 1 naming every runtime "
                    "package that is missing or at a version out of range (torch counts on hosts with a GPU, or "
                    "with --with torch), 2 when the target cannot be reached.")
    check.add_argument("name")
    check.add_argument("--with", dest="want", action="append", default=[], metavar="PACKAGE",
                       help="count an optional package as needed (torch)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_check)
    provision = targets_sub.add_parser(
        "provision", help="install the step runtime's packages in a venv on an SSH host (engineer or admin)",
        description="Make <work dir>/venv on the host with the target's Python, send it wheels of this machine's "
                    "installed packages over SFTP (kept in a local wheel cache) and install them with "
                    "pip --no-index, so the host needs no network; then make the venv's Python the target's "
                    "Python. The host must run the same Python version, OS and architecture as this machine. "
                    "torch (large) is installed when the host has a GPU; --with torch installs it anyway, "
                    "--without torch leaves it out. The torch sent is this machine's build (a +cpu build runs "
                    "on the host's CPU only).")
    provision.add_argument("name")
    provision.add_argument("--with", dest="want", action="append", default=[], metavar="PACKAGE",
                           help="also install this optional package (torch)")
    provision.add_argument("--without", dest="skip", action="append", default=[], metavar="PACKAGE",
                           help="leave this optional package out even on a host with a GPU (torch)")
    provision.add_argument("--wheel-cache", default=None, metavar="DIR",
                           help="where wheels are kept between provisions (default: the user cache folder)")
    provision.add_argument("--json", action="store_true")
    provision.set_defaults(handler=_provision)
    trust = targets_sub.add_parser("trust", help="show an SSH host's key fingerprint and trust it")
    trust.add_argument("name")
    trust.add_argument("--yes", action="store_true", help="trust without asking (after checking it elsewhere)")
    trust.add_argument("--fingerprint", help="trust only if the host offers exactly this fingerprint")
    trust.set_defaults(handler=_trust)
    passphrase = targets_sub.add_parser("passphrase", help="store an SSH key's passphrase in the OS keyring")
    passphrase.add_argument("name")
    passphrase.add_argument("--session-only", action="store_true")
    passphrase.set_defaults(handler=_passphrase)
    remove = targets_sub.add_parser("remove")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)


def _params(args: argparse.Namespace) -> dict:
    if args.kind == "local":
        return {"python": args.python}
    if args.kind == "spark":
        conf = {}
        for item in args.conf:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InvalidInputError(f"--conf {item!r}: expected KEY=VALUE")
            conf[key] = value
        return {"master": args.master, "conf": conf}
    return {"host": args.host, "port": args.port, "user": args.ssh_user, "key_file": args.key_file,
            "work_dir": args.work_dir, "python": args.python, "known_hosts": args.known_hosts}


def _ask(prompt: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import add_target

    passphrase = _ask(f"passphrase of {args.key_file}: ") if getattr(args, "ask_passphrase", False) else None
    target = add_target(ctx.store(), ctx.user, args.name, args.kind, _params(args), passphrase=passphrase)
    print(f"added the {target.kind} target {target.name}")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import list_targets

    targets = list_targets(ctx.store(), ctx.user)
    if args.json:
        ctx.print_json([asdict(t) for t in targets])
        return 0
    for t in targets:
        where = t.params.get("master") or (f"{t.params.get('user', '')}@{t.params.get('host')}:{t.params.get('port')}"
                                           if t.kind == "ssh" else "this machine")
        print(f"{t.name:<16} {t.kind:<6} {where}")
    return 0


def _known_optional(names: list[str]) -> None:
    from workbench.engines.ssh.requirements import runtime_packages

    known = {p.dist for p in runtime_packages() if p.optional and p.optional != "when present"}
    for name in names:
        if name not in known:
            raise InvalidInputError(f"--with/--without {name!r}: not an optional package of the step runtime",
                                    hint=f"optional packages: {', '.join(sorted(known))}")


def _check(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import check_target

    _known_optional(args.want)
    result = check_target(ctx.store(), ctx.user, args.name, want=tuple(args.want))
    if args.json:
        ctx.print_json(asdict(result))
        return 0 if result.ok else (1 if result.packages else 2)
    details = result.details
    if details:
        gpus = ", ".join(f"{g['name']} ({g['memory_total_mb']} MiB)" for g in details.get("gpus") or []) or "none"
        print(f"{args.name}: reachable — Python {details.get('python')}"
              f"{' (' + str(details['executable']) + ')' if details.get('executable') else ''}, "
              f"{details.get('cpus')} CPUs, GPUs: {gpus}, {details.get('free_disk_gb')} GiB free")
        for package in result.packages:
            mark = {"ok": "ok", "missing": "MISSING", "incompatible": "INCOMPATIBLE"}.get(package["status"], "-")
            optional = {"": "", "when present": " (optional: used when present)"}.get(
                package["optional"], f" (optional: for {package['optional']} steps)")
            found = package["found"] or f"not installed{optional}"
            print(f"  {package['dist'] + package['spec']:<24} {found:<36} {mark}")
        if not result.packages:
            for library in ("numpy", "pandas", "sklearn", "pyarrow", "torch", "pyspark", "spark"):
                if library in details:
                    print(f"  {library}: {details[library] or 'missing'}")
    if not result.ok:
        print(f"{args.name}: {result.problem}", file=sys.stderr)
        return 1 if result.packages else 2
    return 0


def _provision(args: argparse.Namespace, ctx: CliContext) -> int:
    from pathlib import Path

    from workbench.progress import Progress
    from workbench.services.targets import provision_target

    _known_optional([*args.want, *args.skip])
    want = None
    if args.want or args.skip:
        want = tuple(w for w in args.want if w not in args.skip)

    def show(done: int, total: int, text: str) -> None:
        print(f"[{done}/{total}] {text}" if total else text, file=sys.stderr, flush=True)

    result = provision_target(ctx.store(), ctx.user, args.name, want=want,
                              cache=Path(args.wheel_cache).expanduser() if args.wheel_cache else None,
                              progress=Progress(show))
    if args.json:
        ctx.print_json(asdict(result))
        return 0
    print(f"provisioned {args.name}: its Python is now {result.python} "
          f"({len(result.installed)} packages installed, {len(result.kept)} already there, "
          f"{result.sent_bytes / 2**20:.1f} MiB sent)")
    return 0


def _trust(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import trust_target

    def confirm(offered: str, known: str | None) -> bool:
        print(f"{args.name} offers the host key {offered}")
        if known:
            print(f"on record: {known} — this REPLACES it")
        if args.fingerprint is not None:
            return offered.split()[-1] == args.fingerprint.split()[-1]
        if args.yes:
            return True
        return _ask("trust this key? [y/N] ").strip().lower() in ("y", "yes")

    if trust_target(ctx.store(), ctx.user, args.name, confirm):
        print(f"trusted; the key is recorded for {args.name}")
        return 0
    print("not trusted", file=sys.stderr)
    return 1


def _passphrase(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import get_target, set_passphrase

    target = get_target(ctx.store(), ctx.user, args.name)
    where = set_passphrase(target.name, _ask(f"passphrase for {target.name}: "), session_only=args.session_only)
    print(f"stored the passphrase of {target.name} in the {'OS keyring' if where == 'keyring' else 'session'}")
    return 0


def _remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.targets import remove_target

    remove_target(ctx.store(), ctx.user, args.name)
    print(f"removed {args.name}")
    return 0
