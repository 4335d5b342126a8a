"""`bastion serve`, `bastion users add|list|disable|set-role|set-password` and `bastion audit verify`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, NoReturn

import typer

from bastion.cli.common import EXIT_INTERNAL, EXIT_INVALID, fail, print_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bastion.server.db import Database
    from bastion.server.settings import ServerSettings

FORWARDED_ENV = "BASTION_FORWARDED_ALLOW_IPS"
_JSON = typer.Option(False, "--json", help="Print one JSON object on stdout.")

users_app = typer.Typer(help="Manage the server's users.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the server's audit trail.", no_args_is_help=True)


@contextmanager
def _database(create: bool = False) -> Iterator[Database]:
    """The store (`$BASTION_DATABASE_URL` or the default SQLite file), closed at the end; exit 2 on a store
    error, and on a SQLite file that does not exist unless `create` (`users add`, which may run before
    the first `bastion serve`: it says on stderr that it created the file)."""
    from bastion.server.db import Database
    from bastion.store import StoreError

    try:
        db = Database(create=create)
    except StoreError as error:
        fail(str(error), EXIT_INVALID)
    if db.created is not None:
        sys.stderr.write(f"created the server store {db.created}\n")
    try:
        yield db
    finally:
        db.close()


@contextmanager
def _transaction(create: bool = False) -> Iterator[Session]:
    """A writing transaction on the store (`_database`)."""
    with _database(create) as db, db.transaction() as session:
        yield session


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
    max_upload_mb: int = typer.Option(20, "--max-upload-mb", min=1, max=1024, help="Largest request body, MiB."),
    workers: int = typer.Option(1, "--workers", min=0, max=64, help="Processes of the local Dask cluster that "
                                "execute runs and studies (0: jobs stay queued)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address for the jobs, e.g. "
                                         "tcp://host:8786 (default: $BASTION_DASK_SCHEDULER, else a local cluster)."),
    processes: int | None = typer.Option(None, "--processes", min=1, max=64, help="Server processes answering "
                                         "requests (uvicorn workers; default: the machine's cores, at most 4)."),
    access_log: bool = typer.Option(False, "--access-log", help="Also log every request on stderr (uvicorn's "
                                    "access log; the audit trail records every access either way)."),
    forwarded_allow_ips: str | None = typer.Option(
        None, "--forwarded-allow-ips", envvar=FORWARDED_ENV, metavar="IPS",
        help="Trust X-Forwarded-For / X-Forwarded-Proto only from these proxies' addresses (comma-separated "
             "IPs or networks, e.g. 10.0.0.5,10.1.0.0/16; also $BASTION_FORWARDED_ALLOW_IPS). Default: trust "
             "no proxy header (the audited address is the connection's)."),
) -> None:
    """Serve the REST API on the run store (docs/server.md); the first start creates an administrator."""
    import uvicorn

    from bastion.server import ServerSettings, create_app
    from bastion.server.db import Database
    from bastion.server.oidc import OidcConfigError, oidc_from_env
    from bastion.server.processes import default_processes, settle_heap
    from bastion.server.settings import MIB
    from bastion.server.users import first_admin
    from bastion.store import StoreError

    proxies = _proxies(forwarded_allow_ips)
    try:
        oidc = oidc_from_env()
    except OidcConfigError as error:
        fail(f"OpenID Connect: {error}", EXIT_INVALID)
    try:
        db = Database()
    except StoreError as error:
        fail(str(error), EXIT_INVALID)
    with db.transaction() as session:
        password = first_admin(session)
    if password is not None:
        sys.stderr.write(
            "No user yet: created the administrator 'admin' (nation ZZZ, clearance UNCLASSIFIED).\n"
            f"One-time password (shown only now): {password}\n"
            f"Sign in at http://{host}:{port}/ as admin with it: the first page creates your own analyst account.\n"
        )
    settings = ServerSettings(max_upload_bytes=max_upload_mb * MIB, workers=workers, scheduler=scheduler, oidc=oidc)
    count = processes if processes is not None else default_processes()
    sys.stderr.write(f"Bastion server on {db.where}: the web app at http://{host}:{port}/ (sign in there), "
                     f"the API at http://{host}:{port}/api/v1/docs ({count} server process{'es' * (count > 1)})\n")
    if oidc is not None:
        sys.stderr.write(f"Signing in with OpenID Connect: {oidc.name} ({oidc.issuer})\n")
    if count == 1:
        proxy_headers, allowed = _proxy_options(proxies)
        try:
            app = create_app(settings, db=db)
            settle_heap()  # processes.settle_heap: no full collection of the libraries' objects while serving
            uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                        access_log=access_log, proxy_headers=proxy_headers, forwarded_allow_ips=allowed)
        finally:
            db.close()
        return
    _serve_processes(db, settings, host, port, count, access_log, proxies)
    _exit_now()  # stopped cleanly (the workers, the job queue, the store): no interpreter teardown


def _proxies(value: str | None) -> list[str]:
    """The proxies' addresses of `--forwarded-allow-ips` (empty: trust none); exit 2 on a bad one."""
    import ipaddress

    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            fail(f"--forwarded-allow-ips: {item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.1.0.0/16)")
    return items


def _proxy_options(proxies: list[str]) -> tuple[bool, str | None]:
    """uvicorn's `proxy_headers` and `forwarded_allow_ips`: the headers are read only from the given
    proxies, never by default (uvicorn's own default trusts 127.0.0.1, so any local client could
    choose the address the audit trail and the login limit see)."""
    return (True, ",".join(proxies)) if proxies else (False, None)


def _serve_processes(db: Database, settings: ServerSettings, host: str, port: int, count: int,
                     access_log: bool, proxies: list[str]) -> None:
    """`count` uvicorn worker processes serve requests; this process (their supervisor) alone runs the
    job queue: the recovery of interrupted jobs, then the dispatcher until the workers have stopped."""
    import uvicorn

    from bastion.server.processes import export_settings, worker_loop
    from bastion.server.queue import start_job_queue

    dispatcher = start_job_queue(db, settings.workers, settings.scheduler)
    export_settings(settings)
    proxy_headers, allowed = _proxy_options(proxies)
    try:
        uvicorn.run("bastion.server.processes:make_app", factory=True, workers=count, host=host, port=port,
                    log_level="info", server_header=False, loop=worker_loop(),
                    access_log=access_log, proxy_headers=proxy_headers, forwarded_allow_ips=allowed)
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        db.close()


def _exit_now(code: int = 0) -> NoReturn:
    """End this process with `code` now that the server has stopped, without the interpreter's teardown.

    What an exit must do still happens, as at a normal exit: the threads that are not daemons are
    joined, then the `atexit` handlers run (logging's flush, Dask's). Skipped is only the teardown
    after them, which frees one by one the objects the libraries and the application hold (hundreds
    of thousands): 0.65-0.8 s of every stop of `bastion serve --processes N` (measured, 2 cores), for
    memory the system takes back anyway. (With one process uvicorn ends it already: it raises the
    SIGTERM it caught again once it has stopped.)
    """
    import atexit
    import os
    import threading

    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # closed, or its reader gone: nothing left to write it to
            stream.flush()
    os._exit(code)


def _password(from_stdin: bool, name: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask the password in: give it on stdin's first line with --password-stdin, "
             "or run the command in a terminal")
    import getpass

    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        fail("the two passwords differ")
    return first


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., "--role", help="viewer | analyst | admin | auditor"),
    nation: str = typer.Option(..., "--nation", help="ISO 3166-1 alpha-3, e.g. LVA"),
    clearance: str = typer.Option(..., "--clearance", help="UNCLASSIFIED | RESTRICTED | CONFIDENTIAL | SECRET"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin's first line."),
    as_json: bool = _JSON,
) -> None:
    """Add a user (the password is asked for, or read from stdin). A name is 1 to 100 ASCII letters,
    digits and . _ - @, unique whatever its case."""
    from bastion.server.users import UserError, add_user, check, check_name

    try:
        check_name(name)
        check(role, nation, clearance)
    except UserError as error:
        fail(str(error))
    password = _password(password_stdin, name)
    try:
        with _transaction(create=True) as session:
            add_user(session, name, role, nation, clearance, password)
    except UserError as error:
        fail(str(error))
    if as_json:
        print_json({"added": name, "role": role, "nation": nation, "clearance": clearance})
    else:
        typer.echo(f"added {name} ({role}, {nation}, {clearance})")


@users_app.command("list")
def users_list(as_json: bool = _JSON) -> None:
    """List the users: name, role, nation, clearance, disabled."""
    from bastion.server.repository import Users

    with _transaction() as session:
        users = [(u.name, u.role, u.nation, u.clearance, bool(u.disabled)) for u in Users(session).all()]
    if as_json:
        keys = ("name", "role", "nation", "clearance", "disabled")
        print_json({"users": [dict(zip(keys, u, strict=True)) for u in users]})
        return
    for name, role, nation, clearance, disabled in users:
        typer.echo(f"{name}\t{role}\t{nation}\t{clearance}\t{'disabled' if disabled else 'active'}")


@users_app.command("disable")
def users_disable(name: str = typer.Argument(..., help="User name."), as_json: bool = _JSON) -> None:
    """Disable a user and revoke their tokens (users are never deleted: the audit trail names them)."""
    from bastion.server.users import UserError, disable

    try:
        with _transaction() as session:
            disable(session, name)
    except UserError as error:
        fail(str(error))
    if as_json:
        print_json({"disabled": name})
    else:
        typer.echo(f"disabled {name}")


@users_app.command("set-role")
def users_set_role(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Argument(..., help="viewer | analyst | admin | auditor"),
    as_json: bool = _JSON,
) -> None:
    """Change a user's role (their tokens are revoked: they log in again)."""
    from bastion.server.users import UserError, set_role

    try:
        with _transaction() as session:
            set_role(session, name, role)
    except UserError as error:
        fail(str(error))
    if as_json:
        print_json({"user": name, "role": role})
    else:
        typer.echo(f"{name} is now {role}")


@users_app.command("set-password")
def users_set_password(
    name: str = typer.Argument(..., help="User name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin's first line."),
    as_json: bool = _JSON,
) -> None:
    """Set a user's password (e.g. the first start's admin, or a forgotten one); their tokens and
    sessions are revoked: they sign in again with the new password."""
    from bastion.server.users import UserError, find, set_password

    try:
        with _transaction() as session:
            find(session, name)
    except UserError as error:
        fail(str(error))
    password = _password(password_stdin, name)
    try:
        with _transaction() as session:
            set_password(session, name, password)
    except UserError as error:
        fail(str(error))
    if as_json:
        print_json({"password_set": name})
    else:
        typer.echo(f"password of {name} set; their sessions and tokens are revoked")


@audit_app.command("verify")
def audit_verify(
    expected: str | None = typer.Option(
        None, "--head", metavar="SEQ:HASH", help="A head an earlier verify printed (kept outside the database): "
        "the trail must still hold that record with that hash, which shows any deletion of the newest records."
    ),
    as_json: bool = _JSON,
) -> None:
    """Check the audit trail's hash chain and its head: exit 0 when intact (printing the head, SEQ:HASH, to
    keep elsewhere), 1 naming the first broken record."""
    from bastion.server.audit import checked, parse_head

    try:
        given = None if expected is None else parse_head(expected)
    except ValueError as error:
        fail(f"--head: {error}")
    with _database() as db:  # one read-only snapshot, no write lock (audit.checked)
        found = checked(db.engine, given)
    count, broken, (seq, hash_) = found.records, found.broken, found.head
    if as_json:
        print_json({"intact": broken is None, "records": count, "broken": None if broken is None else str(broken),
                    "head": None if broken is not None else f"{seq}:{hash_}"})
        if broken is not None:
            raise typer.Exit(EXIT_INTERNAL)
        return
    if broken is not None:
        fail(f"audit trail broken: {broken}", EXIT_INTERNAL)
    typer.echo(f"audit trail intact: {count} records; head {seq}:{hash_}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
