"""`trousseau keys create|list|revoke`: the API keys studios and operators use over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from trousseau.cli.context import catalog_of, settings_of
from trousseau.cli.output import console, errors
from trousseau.clock import utc_now
from trousseau.errors import NotFound

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def create_command(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Option(help="Tenant (studio) slug; created if new.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Also allow operations endpoints.")
    ] = False,
    name: Annotated[str, typer.Option(help="What the key is for, shown by `keys list`.")] = "",
) -> None:
    """Create a key and print it once: only its hash is kept, it cannot be shown again.

    The key alone goes to stdout (`KEY=$(trousseau keys create --tenant x)`), the rest to stderr.
    """
    from trousseau.catalog import ADMIN, TENANT, create_api_key, ensure_tenant, get_tenant

    catalog = catalog_of(settings_of(ctx))
    now = utc_now()
    try:
        with catalog.begin() as conn:
            try:
                owner = get_tenant(conn, tenant)
                new_tenant = False
            except NotFound:
                owner = ensure_tenant(conn, tenant, now=now)
                new_tenant = True
            scopes = (TENANT, ADMIN) if admin else (TENANT,)
            issued = create_api_key(conn, owner.id, now=now, name=name, scopes=scopes)
    finally:
        catalog.dispose()
    if new_tenant:
        errors.print(f"tenant {escape(repr(tenant))} created", highlight=False, soft_wrap=True)
    errors.print(
        f"key {issued.key.id} for tenant {escape(repr(tenant))} "
        f"(scopes: {escape(' '.join(sorted(issued.key.scopes)))})"
        ": store it now, it is shown only once",
        highlight=False,
        soft_wrap=True,
    )
    print(issued.token)


@keys_app.command("list")
def list_command(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
) -> None:
    """Keys with their tenant, scopes and state; never their secrets."""
    from rich.table import Table

    from trousseau.catalog import get_tenant, list_api_keys

    catalog = catalog_of(settings_of(ctx))
    try:
        with catalog.begin() as conn:
            tenant_id = get_tenant(conn, tenant).id if tenant is not None else None
            keys = list_api_keys(conn, tenant_id=tenant_id)
    finally:
        catalog.dispose()
    if not keys:
        console.print("no API keys: `trousseau keys create --tenant SLUG` makes one")
        return
    table = Table()
    for column in ("id", "tenant", "name", "scopes", "created (UTC)", "state"):
        table.add_column(column)
    for key in keys:
        state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(
            str(key.id),
            escape(key.tenant_slug),
            escape(key.name),
            " ".join(sorted(key.scopes)),
            f"{key.created_at:%Y-%m-%d %H:%M}",
            state,
        )
    console.print(table)


@keys_app.command("revoke")
def revoke_command(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="The key's id.")]
) -> None:
    """Revoke a key: requests with it are refused (401) from now on."""
    from trousseau.catalog import revoke_api_key

    catalog = catalog_of(settings_of(ctx))
    try:
        with catalog.begin() as conn:
            key = revoke_api_key(conn, key_id, now=utc_now())
    finally:
        catalog.dispose()
    console.print(
        f"key {key.id} of tenant {escape(repr(key.tenant_slug))} revoked "
        f"at {key.revoked_at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
        soft_wrap=True,
    )
