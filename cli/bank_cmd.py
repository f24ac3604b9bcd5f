"""`claims bank resolve REF --confirmed|--failed`: an administrator's decision on a bank conflict."""

from __future__ import annotations

import typer

from cli.common import ActorOption, OnOption, business_date, console, fail, ready_engine
from intake.messages import explain, localise_stored, msg
from services.access.actors import actor_from
from services.money.payments import CONFIRMED, FAILED, BankResolveError, resolve_conflict


def bank_resolve(
    reference: str = typer.Argument(..., help="the payment's reference (参考号)"),
    confirmed: bool = typer.Option(False, "--confirmed", help="the payment reached the payee"),
    failed: bool = typer.Option(False, "--failed", help="the payment did not reach the payee"),
    actor: str | None = ActorOption,
    on: str | None = OnOption,
) -> None:
    """Decide a payment two statement lines contradicted (银行回单冲突). --failed fails it (its claim
    waits for a retry, the move is an event); --confirmed keeps it settled. The decision is recorded.

    Example: claims bank resolve PAY0123456789ABCDEF0 --failed --actor wang
    """
    if confirmed == failed:
        fail(msg("cli.bank_choice"), code=2)
    engine = ready_engine()
    try:
        outcome = resolve_conflict(engine, reference, CONFIRMED if confirmed else FAILED,
                                   actor=actor_from(actor, "admin"), on=business_date(on))
    except BankResolveError as exc:
        fail(localise_stored(explain(exc)))  # a problem of the statement is stored in English (bank.*)
        return
    console.print(localise_stored(outcome))


def bank_copy(
    batch_id: int = typer.Argument(..., help="the batch's id (批次号)"),
    actor: str | None = ActorOption,
) -> None:
    """Write a payment batch's file again: the same rows, marked 副本 (copy) in the file name and on
    every row, the handover (who, when) recorded, so the bank never takes it for a new batch.

    Example: claims bank copy 12 --actor wang
    """
    from services.money.channel import outbox_dir
    from services.money.outbox import NoSuchBatch, write_copy

    engine = ready_engine()
    try:
        path = write_copy(engine, batch_id, outbox_dir(), actor=actor_from(actor, "clerk").name)
    except NoSuchBatch as exc:
        fail(exc)
        return
    console.print(msg("ops.copy_written", path=path))
